"""Read a CloudFormation or SAM template (YAML or JSON) into plain Python data.

CloudFormation's YAML has short forms of its intrinsic functions as tags
(``!Ref Name``, ``!GetAtt Fn.Arn``, ``!Sub "..."``). They are read into the
long forms a JSON template uses (``{"Ref": "Name"}``,
``{"Fn::GetAtt": ["Fn", "Arn"]}``, ``{"Fn::Sub": "..."}``), so the rest of
the package sees one shape whichever format the file was in.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ..errors import TemplateError

#: short-form tags and the functions they stand for (``!Ref`` and ``!Condition`` have no ``Fn::``)
_FUNCTIONS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub",
            "Transform", "And", "Equals", "If", "Not", "Or", "Length", "ToJsonString",
        )
    },
}


class _Loader(yaml.SafeLoader):
    """YAML's safe loader plus CloudFormation's tags."""


def _construct(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    function = _FUNCTIONS.get(suffix)
    if function is None:
        raise yaml.constructor.ConstructorError(None, None, f"unknown tag !{suffix}", node.start_mark)
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if function == "Fn::GetAtt" and isinstance(value, str):
            value = value.split(".", 1)  # !GetAtt Resource.Attribute
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {function: value}


_Loader.add_multi_constructor("!", _construct)


def positions(text: str) -> dict[str, tuple[int, int]]:
    """Where each mapping key of a template's text stands: its dotted path (``Resources.Rule.Properties``)
    to its (line, column), both from 1. JSON templates are read as the YAML they also are. {} for text that
    cannot be read (its errors are read_template_text's to report)."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return {}
    found: dict[str, tuple[int, int]] = {}
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    here = f"{path}.{key.value}" if path else str(key.value)
                    found.setdefault(here, (key.start_mark.line + 1, key.start_mark.column + 1))
                    stack.append((value, here))
    return found


def read_template_text(text: str, source: str = "<template>") -> dict[str, Any]:
    """Parse template text (JSON or YAML, CloudFormation tags included) into a dict."""
    stripped = text.lstrip()
    try:
        data = json.loads(text) if stripped.startswith("{") else yaml.load(text, Loader=_Loader)
    except json.JSONDecodeError as exc:
        problem = f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise TemplateError(source, [("", problem)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise TemplateError(source, [("", f"not valid YAML: {problem}{where}")]) from None
    if not isinstance(data, dict):
        raise TemplateError(source, [("", "a template must be a mapping with a Resources section")])
    resources = data.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError(source, [("Resources", "a template must have a non-empty Resources mapping")])
    return data
