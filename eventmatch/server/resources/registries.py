"""EventBridge Schemas over the API: registries (CreateRegistry ... ListRegistries), schemas and their versions
(CreateSchema, UpdateSchema, DescribeSchema, DeleteSchema, ListSchemas, ListSchemaVersions, DeleteSchemaVersion,
SearchSchemas, ExportSchema). Code bindings are :mod:`.codebindings`', discoverers :mod:`.discoverers`', the
resource policy and tags :mod:`.schema_policy`'s.

Three kinds of registry, as in AWS: ``aws.events``, read-only, AWS's catalogue of its services' events
(:func:`eventmatch.schemas.aws_catalogue`, each type a schema ``<source>@<DetailType>`` at version 1);
``discovered-schemas``, made with the first discoverer and filled by discovery (:mod:`.discoverers`); and the
account's own. Messages AWS does not document are chosen here (docs/server.md says so).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from ...arn import arn
from ...errors import ConflictError, ResourceNotFoundError, ValidationError
from ...schemas import aws_catalogue, to_openapi
from ...schemas.bindings import schema_name, to_draft4
from .common import Answer, Handler, Params, Store, json_object, listing

if TYPE_CHECKING:
    from ..service import Service

#: the registries AWS keeps: its catalogue (read-only), and where discoverers put what they find
AWS_EVENTS, DISCOVERED = "aws.events", "discovered-schemas"
TYPES = ("OpenApi3", "JSONSchemaDraft4")


@dataclass
class Registry:
    name: str
    arn: str
    description: str = ""


class Registries(Store[Registry]):
    """A service's own registries (and ``discovered-schemas`` once made), by name."""

    kind = "schema-registries"
    model = Registry
    missing = "Registry {name} does not exist."


@dataclass
class Schema:
    registry: str
    name: str
    arn: str
    description: str = ""
    #: each version: SchemaVersion, Content, Type, VersionCreatedDate
    versions: list[dict[str, Any]] = field(default_factory=list)
    next_version: int = 1
    modified: datetime | None = None

    def version(self, wanted: object = None) -> dict[str, Any]:
        """A version (the latest when none is asked for); NotFound for one that does not exist."""
        if wanted in (None, ""):
            return self.versions[-1]
        for version in self.versions:
            if version["SchemaVersion"] == str(wanted):
                return version
        raise ResourceNotFoundError(f"Schema {self.name} has no version {wanted}.")

    def describe(self, tags: dict[str, str], wanted: object = None) -> Answer:
        version = self.version(wanted)
        return {"Content": version["Content"], "Description": self.description, "LastModified": self.modified,
                "SchemaArn": self.arn, "SchemaName": self.name, "SchemaVersion": version["SchemaVersion"],
                "Tags": tags, "Type": version["Type"], "VersionCreatedDate": version["VersionCreatedDate"]}


class Schemas(Store[Schema]):
    """A service's schemas of its own and discovered registries, by ``registry/name``."""

    kind = "schemas"
    model = Schema
    missing = "Schema {name} does not exist."


@cache
def _aws_schemas() -> dict[str, tuple[str, str]]:
    """The ``aws.events`` registry's schemas: name -> (source, detail-type)."""
    return {schema_name(t.source, t.detail_type): (t.source, t.detail_type) for t in aws_catalogue()}


def _registry_arn(svc: Service, name: str) -> str:
    return arn("schemas", svc.region, "aws" if name == AWS_EVENTS else svc.account, f"registry/{name}")


def _schema_arn(svc: Service, registry: str, name: str) -> str:
    return arn("schemas", svc.region, "aws" if registry == AWS_EVENTS else svc.account, f"schema/{registry}/{name}")


def _known_registry(svc: Service, name: object) -> str:
    if name != AWS_EVENTS:
        svc.store(Registries).named(name)
    return str(name)


def schema_of(svc: Service, registry: object, name: object) -> Schema:
    """A schema (of ``aws.events`` too, made from the catalogue); NotFound when the registry or schema is not."""
    registry = _known_registry(svc, registry)
    if registry == AWS_EVENTS:
        found = _aws_schemas().get(str(name))
        if found is None:
            raise ResourceNotFoundError(f"Schema {name} does not exist.")
        event_type = aws_catalogue().get(*found)
        assert event_type is not None
        content = json.dumps(to_openapi(event_type))
        return Schema(AWS_EVENTS, str(name), _schema_arn(svc, AWS_EVENTS, str(name)), modified=svc.started, versions=[
            {"SchemaVersion": "1", "Content": content, "Type": "OpenApi3", "VersionCreatedDate": svc.started}])
    return svc.store(Schemas).named(f"{registry}/{name}")


def _writable(svc: Service, registry: object) -> str:
    if registry == AWS_EVENTS:
        raise ValidationError(f"Registry {AWS_EVENTS} is AWS's and read-only.")
    return _known_registry(svc, registry)


# -- registries ----------------------------------------------------------------------------------------------
def create_registry(svc: Service, params: Params) -> Answer:
    name = str(params.get("RegistryName"))
    registries = svc.store(Registries)
    if name in registries or name == AWS_EVENTS:
        raise ConflictError(f"Registry {name} already exists.")
    made = registries[name] = Registry(name, _registry_arn(svc, name), str(params.get("Description") or ""))
    tags = dict(params.get("Tags") or {})
    svc.tags.tag(made.arn, tags)
    return {"Description": made.description, "RegistryArn": made.arn, "RegistryName": name, "Tags": tags}


def describe_registry(svc: Service, params: Params) -> Answer:
    name = _known_registry(svc, params.get("RegistryName"))
    found = svc.store(Registries).get(name) or Registry(name, _registry_arn(svc, name), "AWS's event schemas")
    return {"Description": found.description, "RegistryArn": found.arn, "RegistryName": name,
            "Tags": svc.tags.get(found.arn)}


def update_registry(svc: Service, params: Params) -> Answer:
    found = svc.store(Registries).named(_writable(svc, params.get("RegistryName")))
    if "Description" in params:
        found.description = str(params.get("Description") or "")
    return {"Description": found.description, "RegistryArn": found.arn, "RegistryName": found.name,
            "Tags": svc.tags.get(found.arn)}


def delete_registry(svc: Service, params: Params) -> Answer:
    name = _writable(svc, params.get("RegistryName"))
    gone = svc.store(Registries).pop(name)
    schemas = svc.store(Schemas)
    for key in [k for k in schemas if k.startswith(f"{name}/")]:
        svc.tags.forget(schemas.pop(key).arn)
    svc.tags.forget(gone.arn)
    return {}


def list_registries(svc: Service, params: Params) -> Answer:
    prefix, scope = str(params.get("RegistryNamePrefix") or ""), params.get("Scope")
    names = ([] if scope == "LOCAL" else [AWS_EVENTS]) + ([] if scope == "AWS" else sorted(svc.store(Registries)))
    listed = [{"RegistryArn": _registry_arn(svc, n), "RegistryName": n, "Tags": svc.tags.get(_registry_arn(svc, n))}
              for n in names if n.startswith(prefix)]
    return listing("Registries", listed, _paged(params))


def _paged(params: Params) -> Params:
    """Schemas' paging members (Limit) as the shared paging reads them (MaxResults)."""
    return {**params, **({"MaxResults": params["Limit"]} if "Limit" in params else {})}


# -- schemas and versions ------------------------------------------------------------------------------------
def _content(params: Params) -> tuple[str, str]:
    """CreateSchema's and UpdateSchema's Content and Type: JSON, an object, a Type Schemas knows."""
    content, kind = params.get("Content"), params.get("Type")
    if kind not in TYPES:
        raise ValidationError(f"Type must be one of {', '.join(TYPES)}.")
    json_object(content, "Content")
    return str(content), str(kind)


def _answer(svc: Service, schema: Schema) -> Answer:
    version = schema.versions[-1]
    return {"Description": schema.description, "LastModified": schema.modified, "SchemaArn": schema.arn,
            "SchemaName": schema.name, "SchemaVersion": version["SchemaVersion"], "Tags": svc.tags.get(schema.arn),
            "Type": version["Type"], "VersionCreatedDate": version["VersionCreatedDate"]}


def add_version(svc: Service, registry: str, name: str, content: str, kind: str, description: str | None) -> Schema:
    """A new version of a schema (made with its first): what CreateSchema, UpdateSchema and discovery do."""
    schemas, now = svc.store(Schemas), svc.now()
    schema = schemas.get(f"{registry}/{name}")
    if schema is None:
        schema = schemas[f"{registry}/{name}"] = Schema(registry, name, _schema_arn(svc, registry, name))
    schema.versions.append({"SchemaVersion": str(schema.next_version), "Content": content, "Type": kind,
                            "VersionCreatedDate": now})
    schema.next_version += 1
    schema.modified = now
    if description is not None:
        schema.description = description
    return schema


def create_schema(svc: Service, params: Params) -> Answer:
    registry, name = _writable(svc, params.get("RegistryName")), str(params.get("SchemaName"))
    if f"{registry}/{name}" in svc.store(Schemas):
        raise ConflictError(f"Schema {name} already exists.")
    content, kind = _content(params)
    schema = add_version(svc, registry, name, content, kind, str(params.get("Description") or ""))
    svc.tags.tag(schema.arn, dict(params.get("Tags") or {}))
    return _answer(svc, schema)


def update_schema(svc: Service, params: Params) -> Answer:
    registry = _writable(svc, params.get("RegistryName"))
    schema = schema_of(svc, registry, params.get("SchemaName"))
    latest = schema.versions[-1]
    content, kind = _content({"Content": latest["Content"], "Type": latest["Type"],
                              **{k: params[k] for k in ("Content", "Type") if params.get(k) is not None}})
    if (content, kind) != (latest["Content"], latest["Type"]):
        add_version(svc, registry, schema.name, content, kind, None)
    if "Description" in params:
        schema.description = str(params.get("Description") or "")
        schema.modified = svc.now()
    return _answer(svc, schema)


def describe_schema(svc: Service, params: Params) -> Answer:
    schema = schema_of(svc, params.get("RegistryName"), params.get("SchemaName"))
    return schema.describe(svc.tags.get(schema.arn), params.get("SchemaVersion"))


def delete_schema(svc: Service, params: Params) -> Answer:
    schema = schema_of(svc, _writable(svc, params.get("RegistryName")), params.get("SchemaName"))
    del svc.store(Schemas)[f"{schema.registry}/{schema.name}"]
    svc.tags.forget(schema.arn)
    return {}


def delete_schema_version(svc: Service, params: Params) -> Answer:
    schema = schema_of(svc, _writable(svc, params.get("RegistryName")), params.get("SchemaName"))
    version = schema.version(params.get("SchemaVersion"))
    if len(schema.versions) == 1:
        raise ValidationError("The only version of a schema cannot be deleted: delete the schema.")
    schema.versions.remove(version)
    return {}


def list_schemas(svc: Service, params: Params) -> Answer:
    registry, prefix = _known_registry(svc, params.get("RegistryName")), str(params.get("SchemaNamePrefix") or "")
    if registry == AWS_EVENTS:
        listed = [{"SchemaArn": _schema_arn(svc, registry, n), "SchemaName": n, "VersionCount": 1,
                   "LastModified": svc.started} for n in sorted(_aws_schemas()) if n.startswith(prefix)]
    else:
        listed = [{"SchemaArn": s.arn, "SchemaName": s.name, "VersionCount": len(s.versions),
                   "LastModified": s.modified, "Tags": svc.tags.get(s.arn)}
                  for key, s in sorted(svc.store(Schemas).items())
                  if s.registry == registry and s.name.startswith(prefix)]
    return listing("Schemas", listed, _paged(params))


def list_schema_versions(svc: Service, params: Params) -> Answer:
    schema = schema_of(svc, params.get("RegistryName"), params.get("SchemaName"))
    listed = [{"SchemaArn": schema.arn, "SchemaName": schema.name, "SchemaVersion": v["SchemaVersion"],
               "Type": v["Type"]} for v in schema.versions]
    return listing("SchemaVersions", listed, _paged(params))


def search_schemas(svc: Service, params: Params) -> Answer:
    """SearchSchemas: the registry's schemas whose name holds one of the keywords (case-insensitive)."""
    registry = _known_registry(svc, params.get("RegistryName"))
    words = [w.lower() for w in str(params.get("Keywords") or "").split() if w]
    names = (sorted(_aws_schemas()) if registry == AWS_EVENTS
             else sorted(s.name for s in svc.store(Schemas).values() if s.registry == registry))
    found = []
    for name in names:
        if words and not any(w in name.lower() for w in words):
            continue
        schema = schema_of(svc, registry, name)
        found.append({"RegistryName": registry, "SchemaArn": schema.arn, "SchemaName": name, "SchemaVersions": [
            {"CreatedDate": v["VersionCreatedDate"], "SchemaVersion": v["SchemaVersion"], "Type": v["Type"]}
            for v in schema.versions]})
    return listing("Schemas", found, _paged(params))


def export_schema(svc: Service, params: Params) -> Answer:
    """ExportSchema as JSONSchemaDraft4, the one Type AWS exports to, of ``aws.events`` and discovered schemas
    (AWS exports no schema of a registry of one's own)."""
    if params.get("Type") != "JSONSchemaDraft4":
        raise ValidationError("Type must be JSONSchemaDraft4.")
    schema = schema_of(svc, params.get("RegistryName"), params.get("SchemaName"))
    if schema.registry not in (AWS_EVENTS, DISCOVERED):
        raise ValidationError(f"Only schemas of {AWS_EVENTS} and {DISCOVERED} can be exported.")
    version = schema.version(params.get("SchemaVersion"))
    content = json.loads(version["Content"])
    if version["Type"] == "OpenApi3":
        content = to_draft4(content)
    return {"Content": json.dumps(content), "SchemaArn": schema.arn, "SchemaName": schema.name,
            "SchemaVersion": version["SchemaVersion"], "Type": "JSONSchemaDraft4"}


ACTIONS: dict[str, Handler] = {
    "CreateRegistry": create_registry, "DescribeRegistry": describe_registry, "UpdateRegistry": update_registry,
    "DeleteRegistry": delete_registry, "ListRegistries": list_registries, "CreateSchema": create_schema,
    "UpdateSchema": update_schema, "DescribeSchema": describe_schema, "DeleteSchema": delete_schema,
    "DeleteSchemaVersion": delete_schema_version, "ListSchemas": list_schemas,
    "ListSchemaVersions": list_schema_versions, "SearchSchemas": search_schemas, "ExportSchema": export_schema,
}

__all__ = ["ACTIONS", "AWS_EVENTS", "DISCOVERED", "Registries", "Registry", "Schema", "Schemas", "add_version",
           "schema_of"]
