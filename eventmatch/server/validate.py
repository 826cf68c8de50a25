"""Every request's parameters checked against the service's model, as AWS's front end checks them.

AWS validates each request against its API model before the action runs: required members, the length of
strings, lists and maps, numeric ranges, regular expressions and enums. Every problem found is reported in
one ``ValidationException`` (recorded in ``../shared/reference/aws-recorded/``)::

    2 validation errors detected: Value 'x y' at 'name' failed to satisfy constraint: Member must satisfy
    regular expression pattern: [\\.\\-_A-Za-z0-9]+; Value 'PATCHY' at 'httpMethod' failed to satisfy ...

The model is botocore's (the ``server`` extra installs it), read once per service on first use. The
path of a member is its name with a lower-case first letter, and a list's element is ``<list>.<n>.member``
(counted from 1), as AWS writes them; members are checked in the model's order, and for one member its
pattern before its length, as recorded. Types are checked apart (``type_problem``): AWS's front end refuses a
value of the wrong JSON type before it looks at constraints, so no action ever sees one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

#: AWS prints some enums in its own order (a Java set's), not the model's: as recorded
ENUM_ORDER = {
    "ApiDestinationHttpMethod": ["HEAD", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS"],
}


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    """A value as AWS's Java front end prints it (``toString``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    return str(value)


@cache
def _pattern(text: str) -> re.Pattern[str] | None:
    """A model's regular expression (Java's syntax) in Python's, or None where Python cannot read it."""
    try:
        return re.compile(text, re.DOTALL)
    except re.error:
        return None


class Validator:
    """The checks of one service's model (``events``, ``scheduler``)."""

    def __init__(self, service: str) -> None:
        import botocore.session

        self.model = botocore.session.get_session().get_service_model(service)
        self._inputs: dict[str, Any] = {}

    def problems(self, action: str, params: Mapping[str, Any]) -> list[str]:
        """Every problem of ``params`` for ``action``, in AWS's words and order ([] when none)."""
        shape = self._inputs.get(action)
        if shape is None:
            if action not in self.model.operation_names:
                return []
            shape = self.model.operation_model(action).input_shape
            self._inputs[action] = shape
        found: list[str] = []
        if shape is not None:
            self._structure(shape, params, "", found, 0)
        return found

    def message(self, action: str, params: Mapping[str, Any]) -> str | None:
        """AWS's ValidationException message for ``params``, or None when they are valid."""
        found = self.problems(action, params)
        if not found:
            return None
        count = len(found)
        return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(found)

    def type_problem(self, action: str, params: Mapping[str, Any]) -> str | None:
        """The first member of ``params`` whose JSON type is not its model's (a list or an object for a string,
        a string for a structure, an object for a list...), said in words; None when every type is right. A
        scalar for another scalar (a number for a string) is left to the action, whose message AWS's is."""
        shape = self._inputs.get(action)
        if shape is None:
            if action not in self.model.operation_names:
                return None
            shape = self.model.operation_model(action).input_shape
            self._inputs[action] = shape
        if shape is None:
            return None
        return _type_problem(shape, params, "", 0)

    def _structure(self, shape: Any, value: Any, path: str, found: list[str], depth: int) -> None:
        if not isinstance(value, Mapping) or depth > 20:
            return
        required = shape.required_members
        for name, member in shape.members.items():
            if member.serialization.get("location") in ("uri", "querystring", "header"):
                where = member.serialization.get("name", name)
            else:
                where = _lower_first(name)
            here = f"{path}.{where}" if path else where
            item = value.get(name)
            if item is None:
                if name in required:
                    found.append(f"Value null at '{here}' failed to satisfy constraint: Member must not be null")
                continue
            self._value(member, item, here, found, depth)

    def _value(self, shape: Any, value: Any, path: str, found: list[str], depth: int) -> None:
        meta = shape.metadata
        kind = shape.type_name

        def fail(constraint: str) -> None:
            found.append(f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: Member must {constraint}")

        if kind == "string" and isinstance(value, str):
            pattern = meta.get("pattern")
            if pattern is not None:
                compiled = _pattern(pattern)
                if compiled is not None and compiled.fullmatch(value) is None:
                    fail(f"satisfy regular expression pattern: {pattern}")
            self._length(meta, len(value), fail)
            enum = meta.get("enum")
            if enum and value not in enum:
                fail(f"satisfy enum value set: [{', '.join(ENUM_ORDER.get(shape.name, enum))}]")
        elif kind in ("integer", "long", "float", "double") and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            if "min" in meta and value < meta["min"]:
                fail(f"have value greater than or equal to {meta['min']}")
            if "max" in meta and value > meta["max"]:
                fail(f"have value less than or equal to {meta['max']}")
        elif kind == "list" and isinstance(value, list):
            self._length(meta, len(value), fail)
            for index, item in enumerate(value, 1):
                if item is not None:
                    self._value(shape.member, item, f"{path}.{index}.member", found, depth + 1)
        elif kind == "map" and isinstance(value, Mapping):
            self._length(meta, len(value), fail)
        elif kind == "structure":
            self._structure(shape, value, path, found, depth + 1)

    @staticmethod
    def _length(meta: Mapping[str, Any], length: int, fail: Any) -> None:
        if "min" in meta and length < meta["min"]:
            fail(f"have length greater than or equal to {meta['min']}")
        elif "max" in meta and length > meta["max"]:
            fail(f"have length less than or equal to {meta['max']}")


#: the JSON types each kind of model shape takes (timestamps: epoch seconds, or text the action reads)
_TYPES: dict[str, tuple[type, ...]] = {"string": (str,), "integer": (int,), "long": (int,), "float": (int, float),
                                        "double": (int, float), "boolean": (bool,), "timestamp": (int, float, str),
                                        "list": (list,), "map": (dict,), "structure": (dict,), "blob": (str,)}
_WORDS = {str: "a string", int: "a number", float: "a number", bool: "a boolean", list: "a list", dict: "an object"}
_CONTAINERS = frozenset({"list", "map", "structure"})
#: how deep the type check follows a value (AWS's shapes are far shallower)
MAX_DEPTH = 30


def _type_problem(shape: Any, value: Any, path: str, depth: int) -> str | None:
    kind = shape.type_name
    wanted = _TYPES.get(kind)
    if wanted is None:
        return None
    if depth > MAX_DEPTH:
        return f"The value at '{path}' is nested too deeply."
    # a scalar: a list or an object is wrong; another scalar is left to the action's own checks and messages
    wrong = not isinstance(value, wanted) if kind in _CONTAINERS else isinstance(value, (list, dict))
    if wrong:
        got = "null" if value is None else _WORDS.get(type(value), type(value).__name__)
        return f"The value at '{path or 'the request'}' must be {_WORDS[wanted[0]]}, not {got}."
    if kind == "structure":
        for name, member in shape.members.items():
            item = value.get(name)
            if item is not None:
                problem = _type_problem(member, item, f"{path}.{name}" if path else name, depth + 1)
                if problem:
                    return problem
    elif kind == "list":
        for index, item in enumerate(value):
            problem = _type_problem(shape.member, item, f"{path}[{index}]", depth + 1)
            if problem:
                return problem
    elif kind == "map":
        for key, item in value.items():
            if item is not None:
                problem = _type_problem(shape.value, item, f"{path}.{key}", depth + 1)
                if problem:
                    return problem
    return None


@cache
def validator(service: str) -> Validator:
    """The validator of ``service``'s model, read once."""
    return Validator(service)


__all__ = ["ENUM_ORDER", "Validator", "validator"]
