"""What a target receives: the whole event, a constant Input, an InputPath, or an InputTransformer.

The InputTransformer follows what AWS was recorded doing (see
``../shared/reference/bus-semantics.md``):

* A template that starts with ``{`` or ``[`` is a JSON template. A placeholder
  in value position becomes the value as JSON (a missing path becomes ``""``);
  inside a string literal it becomes the value's text (a string without its
  quotes, anything else as JSON, a missing path as nothing).
* Any other template is text. Placeholders become the value's text, and objects
  and arrays lose their quotes (``{acc_id:0a787ecb-4015,sf_id:baz}``,
  ``[ACTIVE,INACTIVE]``).
* The result is delivered if it is JSON (the target receives the parsed
  value), or if every line is a JSON string (the target receives the text);
  otherwise it is not delivered, as AWS drops it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError

MISSING: Any = object()  # what resolve() returns for a path the event lacks
PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
PREDEFINED = (
    "aws.events.rule-arn",
    "aws.events.rule-name",
    "aws.events.event.ingestion-time",
    "aws.events.event",
    "aws.events.event.json",
)
_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]|\['([^']*)'\]")


class NotDelivered(Exception):
    """The transformed input is not JSON: AWS does not deliver it."""


def parse_json_path(path: str) -> tuple[str | int, ...]:
    """Steps of an EventBridge JSON path such as ``$.detail.items[0].id``; raises ValueError."""
    if not path.startswith("$"):
        raise ValueError(f"a JSON path starts with $: {path!r}")
    steps: list[str | int] = []
    pos = 1
    while pos < len(path):
        m = _PATH_STEP.match(path, pos)
        if m is None:
            raise ValueError(f"not a JSON path: {path!r}")
        name, index, quoted = m.groups()
        steps.append(int(index) if index is not None else (name if name is not None else quoted))
        pos = m.end()
    return tuple(steps)


def resolve(event: Any, steps: tuple[str | int, ...]) -> Any:
    """The value at the path, or the module's missing marker."""
    value = event
    for step in steps:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return MISSING
            value = value[step]
        else:
            if not isinstance(value, Mapping) or step not in value:
                return MISSING
            value = value[step]
    return value


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _text(value: Any, strip_quotes: bool) -> str:
    if value is MISSING:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return _json(value).replace('"', "") if strip_quotes else _json(value)
    return _json(value)


def _json_placeholders(template: str) -> Iterator[tuple[re.Match[str], bool]]:
    """The placeholders of a JSON template, in order, each with whether it stands inside a string literal."""
    in_string = False
    i, n = 0, len(template)
    while i < n:
        ch = template[i]
        if in_string and ch == "\\":
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        elif ch == "<":
            m = PLACEHOLDER.match(template, i)
            if m is not None:
                yield m, in_string
                i = m.end()
                continue
        i += 1


def _placeholder_as_key(template: str) -> str | None:
    """The name of a placeholder written where a JSON template has an object key (``{<name>: 1}``), if any."""
    for m, in_string in _json_placeholders(template):
        if not in_string and template[m.end():].lstrip().startswith(":"):
            return m.group(1)
    return None


@dataclass(frozen=True)
class InputTransformer:
    """``InputPathsMap`` and ``InputTemplate``, validated as PutTargets validates them."""

    paths: dict[str, tuple[str | int, ...]]
    template: str
    is_json: bool

    @classmethod
    def create(cls, spec: Mapping[str, Any], target_id: str) -> InputTransformer:
        if not isinstance(spec, Mapping):
            raise ValidationError(f"InputTransformer for target {target_id} must be an object.")
        template = spec.get("InputTemplate")
        if not isinstance(template, str) or not 1 <= len(template) <= 8192:
            raise ValidationError(f"InputTemplate for target {target_id} must be a string of 1 to 8192 characters.")
        raw_paths = spec.get("InputPathsMap") or {}
        if not isinstance(raw_paths, Mapping) or len(raw_paths) > 100:
            raise ValidationError(f"InputPathsMap for target {target_id} must map at most 100 names to paths.")
        paths: dict[str, tuple[str | int, ...]] = {}
        for name, path in raw_paths.items():
            if not isinstance(name, str) or name.upper().startswith("AWS."):
                raise ValidationError(f"InputPathsMap for target {target_id} has an invalid key {name}.")
            try:
                paths[name] = parse_json_path(path) if isinstance(path, str) else parse_json_path("")
            except ValueError:
                raise ValidationError(
                    f"InputPathsMap for target {target_id} has an invalid path {path} for key {name}."
                ) from None
        for name in PLACEHOLDER.findall(template):
            if name not in paths and name not in PREDEFINED:
                raise ValidationError(f"InputTemplate for target {target_id} contains invalid placeholder {name}.")
        is_json = template.lstrip()[:1] in ("{", "[")
        if is_json:
            key = _placeholder_as_key(template)
            if key is not None:  # AWS's InputTransformer reference: a placeholder cannot be an object key
                raise ValidationError(f"InputTemplate for target {target_id} contains invalid placeholder {key}.")
        return cls(paths, template, is_json)

    def render(self, event: Mapping[str, Any], rule_name: str, rule_arn: str, ingestion_time: str) -> str:
        """The template with every placeholder replaced (text; see :func:`payload_of`)."""
        values: dict[str, Any] = {name: resolve(event, steps) for name, steps in self.paths.items()}
        values["aws.events.rule-arn"] = rule_arn
        values["aws.events.rule-name"] = rule_name
        values["aws.events.event.ingestion-time"] = ingestion_time
        template = self.template
        if not self.is_json:
            return PLACEHOLDER.sub(
                lambda m: _text(self._value(m.group(1), values, event, ingestion_time), True), template
            )
        out: list[str] = []
        pos = 0
        for m, in_string in _json_placeholders(template):
            out.append(template[pos:m.start()])
            value = self._value(m.group(1), values, event, ingestion_time)
            if in_string:
                out.append(_text(value, False) if not isinstance(value, str) else _json(value)[1:-1])
            else:
                out.append('""' if value is MISSING else _json(value))
            pos = m.end()
        out.append(template[pos:])
        return "".join(out)

    @staticmethod
    def _value(name: str, values: dict[str, Any], event: Mapping[str, Any], ingestion_time: str) -> Any:
        if name == "aws.events.event.json":
            return dict(event)
        if name == "aws.events.event":
            return {
                "id": event.get("id"),
                "account": event.get("account"),
                "detailType": event.get("detail-type"),
                "time": ingestion_time,
                "source": event.get("source"),
                "region": event.get("region"),
                "resources": event.get("resources", []),
                "version": event.get("version"),
            }
        return values.get(name, MISSING)


def payload_of(text: str) -> Any:
    """What the target receives for a rendered template; raises NotDelivered when AWS would drop it."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:
        try:
            if not isinstance(json.loads(line), str):
                raise NotDelivered(text)
        except ValueError:
            raise NotDelivered(text) from None
    if not lines:
        raise NotDelivered(text)
    return text


__all__ = ["MISSING", "InputTransformer", "NotDelivered", "parse_json_path", "payload_of", "resolve"]
