"""EventBridge Schemas' code bindings over the API: PutCodeBinding, DescribeCodeBinding, GetCodeBindingSource.

Bindings are made at once (PutCodeBinding answers ``CREATE_IN_PROGRESS``, as AWS does; DescribeCodeBinding then
says ``CREATE_COMPLETE``). Python's (``Python36``) are real: a zip of a package of typed classes for the event
and its detail, with ``parse(event)`` (:mod:`eventmatch.schemas.bindings`). The other languages AWS offers
(Java8, TypeScript3, Go1) are refused with ``BadRequestException``: this server writes no code for them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ...errors import ResourceNotFoundError, ValidationError
from ...schemas.bindings import LANGUAGES, PYTHON, python_zip
from ...schemas.discover import SchemaError, from_document
from .common import Answer, Handler, Params, Store
from .registries import Schema, schema_of

if TYPE_CHECKING:
    from ..service import Service


@dataclass
class Binding:
    schema_arn: str
    language: str
    version: str
    created: datetime

    def describe(self) -> Answer:
        return {"CreationDate": self.created, "LastModified": self.created, "SchemaVersion": self.version,
                "Status": "CREATE_COMPLETE"}


class CodeBindings(Store[Binding]):
    """A service's code bindings, by ``<schema ARN> <language> <version>``."""

    kind = "code-bindings"
    model = Binding
    missing = "Code binding {name} does not exist."


def _key(schema: Schema, language: str, version: str) -> str:
    return f"{schema.arn} {language} {version}"


def _language(params: Params) -> str:
    language = str(params.get("Language"))
    if language not in LANGUAGES:
        raise ValidationError(f"Language must be one of {', '.join(LANGUAGES)}.")
    if language != PYTHON:
        raise ValidationError(f"Code bindings for {language} are not made by this server: only {PYTHON}.")
    return language


def put_code_binding(svc: Service, params: Params) -> Answer:
    language = _language(params)
    schema = schema_of(svc, params.get("RegistryName"), params.get("SchemaName"))
    version = schema.version(params.get("SchemaVersion"))["SchemaVersion"]
    bindings = svc.store(CodeBindings)
    made = bindings.get(_key(schema, language, version))
    if made is None:
        made = bindings[_key(schema, language, version)] = Binding(schema.arn, language, version, svc.now())
        return {**made.describe(), "Status": "CREATE_IN_PROGRESS"}
    return made.describe()


def describe_code_binding(svc: Service, params: Params) -> Answer:
    language = _language(params)
    schema = schema_of(svc, params.get("RegistryName"), params.get("SchemaName"))
    version = schema.version(params.get("SchemaVersion"))["SchemaVersion"]
    made = svc.store(CodeBindings).get(_key(schema, language, version))
    if made is None:
        raise ResourceNotFoundError(f"No {language} code binding of schema {schema.name} version {version}: "
                                    "PutCodeBinding makes it.")
    return made.describe()


def get_code_binding_source(svc: Service, params: Params) -> Answer:
    """The zip of the bindings (the answer's ``Body``, sent as the response's body)."""
    describe_code_binding(svc, params)
    schema = schema_of(svc, params.get("RegistryName"), params.get("SchemaName"))
    version = schema.version(params.get("SchemaVersion"))
    try:
        event_type = from_document(json.loads(version["Content"]), schema.name)
    except (SchemaError, ValueError) as exc:
        raise ValidationError(f"Schema {schema.name} is not an event's schema: {exc}") from None
    return {"Body": python_zip(event_type)}


ACTIONS: dict[str, Handler] = {
    "PutCodeBinding": put_code_binding, "DescribeCodeBinding": describe_code_binding,
    "GetCodeBindingSource": get_code_binding_source,
}

__all__ = ["ACTIONS", "Binding", "CodeBindings"]
