"""What the resource kinds share: the handlers' types, AWS's validation messages, list pages, and the JSON
form of the models in a snapshot of the state."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ...errors import ResourceNotFoundError, ValidationError
from ..paging import page

if TYPE_CHECKING:
    from ..service import Service

#: a request's parameters: the JSON object the wire read, checked against botocore's model of the action
Params = Mapping[str, Any]
#: an answer: the JSON object the wire sends (datetimes become epoch seconds)
Answer = dict[str, Any]
#: an API action's handler
Handler = Callable[["Service", Params], Answer]

NAME = re.compile(r"^[\.\-_A-Za-z0-9]+$")
NAME_PATTERN = "[\\.\\-_A-Za-z0-9]+"


def check(problems: list[str]) -> None:
    """Raise AWS's ValidationException for every problem found, in one message, as AWS reports them."""
    if problems:
        count = len(problems)
        raise ValidationError(
            f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)
        )


def name_problem(name: object, what: str = "name") -> list[str]:
    if not isinstance(name, str) or not NAME.match(name) or len(name) > 64:
        return [f"Value '{name}' at '{what}' failed to satisfy constraint: Member must satisfy regular expression "
                f"pattern: {NAME_PATTERN}"]
    return []


def enum_problem(value: object, where: str, allowed: list[str]) -> list[str]:
    if value not in allowed:
        return [f"Value '{value}' at '{where}' failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(allowed)}]"]
    return []


def listing(key: str, items: list[Any], params: Params) -> Answer:
    """A list action's answer: one page of ``items`` under ``key``, and the NextToken when more follow."""
    shown, token = page(key, items, params)
    return {key: shown, **({"NextToken": token} if token else {})}


def json_object(text: object, what: str) -> dict[str, Any]:
    """A parameter that holds a JSON object as text (a schema's Content, a policy, an event), read; AWS-style
    ValidationException naming ``what`` when it is not JSON or not an object."""
    try:
        parsed = json.loads(str(text))
    except ValueError as exc:
        raise ValidationError(f"{what} is not valid JSON: {exc}.") from None
    except RecursionError:  # nested deeper than anything a schema or a policy needs
        raise ValidationError(f"{what} is nested too deeply.") from None
    if not isinstance(parsed, dict):
        raise ValidationError(f"{what} must be a JSON object.")
    return parsed


def given(params: Params, keys: tuple[str, ...]) -> dict[str, object]:
    """The parameters among ``keys`` that the request gave (AWS answers them as they were given)."""
    return {k: params[k] for k in keys if k in params}


# -- the JSON form of a snapshot ----------------------------------------------------------------
TIME = "$time"


def to_json(value: object) -> object:
    """``value`` as JSON: datetimes as ``{"$time": ISO 8601}``, tuples as lists."""
    if isinstance(value, datetime):
        return {TIME: value.isoformat()}
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def from_json(value: object) -> Any:
    """What ``to_json`` made, back."""
    if isinstance(value, dict):
        if len(value) == 1 and TIME in value:
            return datetime.fromisoformat(str(value[TIME]))
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


Model = TypeVar("Model")


class Store(dict[str, Model], Generic[Model]):
    """The models of one kind of a service, by name (``Service.store(Kind)`` gives a service's); ``kind``
    names them in a snapshot, and ``model`` is their class (a dataclass)."""

    kind: ClassVar[str]
    model: ClassVar[type]
    #: AWS's ResourceNotFoundException message for a name the store does not hold (``{name}`` in it)
    missing: ClassVar[str]

    def named(self, name: object) -> Model:
        """The model called ``name``; ResourceNotFoundException with AWS's message when there is none."""
        found = self.get(str(name))
        if found is None:
            raise ResourceNotFoundError(self.missing.format(name=name))
        return found

    def to_json(self) -> dict[str, object]:
        return {name: to_json(dict(vars(model))) for name, model in self.items()}

    def load(self, data: Mapping[str, Any]) -> None:
        """Take the models ``to_json`` gave (a snapshot's) in place of these."""
        self.clear()
        self.update({name: self.model(**from_json(model)) for name, model in data.items()})


__all__ = ["Answer", "Handler", "Model", "Params", "Store", "check", "enum_problem", "from_json", "given", "listing",
           "name_problem", "to_json"]
