"""Resolve the intrinsic functions of a template that can be resolved offline.

Resolved: ``Ref`` (parameters, with their ``Default`` or a value given by the
caller; pseudo parameters; resources, as their names), ``Fn::GetAtt`` (as the
resource's name), ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
``Fn::FindInMap``, ``Fn::If`` with the template's ``Conditions``
(``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``), ``Fn::ToJsonString``
and ``AWS::NoValue``. The rest (``Fn::ImportValue``, ``Fn::GetAZs``,
``Fn::Base64``, ``Fn::Cidr``, ``Fn::Transform``) need a deployed account; they
raise :class:`Unresolvable`, which the caller reports with the place where it
happened.

As in CloudFormation, ``Ref`` of a parameter gives text even for a
``Number`` parameter (so ``{"numeric": [">", !Ref Limit]}`` is rejected, as
EventBridge rejects it), and a list for ``CommaDelimitedList`` and ``List<...>``.

A resource's *name* is its explicit name property when it has one
(``Name``, ``FunctionName``, ...), else its logical id, which is what a
reader of the template calls it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any


class Unresolvable(Exception):
    """An intrinsic function that needs a deployed stack, or one used wrongly."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

_NAME_PROPERTIES = ("Name", "FunctionName", "RuleName", "QueueName", "TopicName", "StateMachineName", "EventBusName")
_SUB = re.compile(r"\$\{([^}]*)\}")


def _parameter_value(value: Any, kind: str) -> Any:
    """A parameter's value as ``Ref`` returns it: text (numbers too), or a list of text for list types."""

    def text(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    if kind == "CommaDelimitedList" or kind.startswith("List<"):
        items = value if isinstance(value, list) else str(value).split(",")
        return [text(i).strip() for i in items]
    return text(value)


class Resolver:
    """Resolves values of one template; ``parameters`` override the parameters' defaults."""

    def __init__(
        self,
        template: Mapping[str, Any],
        parameters: Mapping[str, str] | None = None,
        *,
        region: str = "us-east-1",
        account: str = "123456789012",
        stack_name: str = "eventmatch-stack",
    ) -> None:
        self.template = template
        self.resources: Mapping[str, Any] = template.get("Resources") or {}
        declared = template.get("Parameters") or {}
        self.parameters: dict[str, Any] = {}
        self.types: dict[str, str] = {}
        for name, spec in declared.items() if isinstance(declared, Mapping) else ():
            if isinstance(spec, Mapping):
                self.types[name] = str(spec.get("Type", "String"))
                if "Default" in spec:
                    self.parameters[name] = _parameter_value(spec["Default"], self.types[name])
        given = dict(parameters or {})
        unknown = sorted(set(given) - set(declared if isinstance(declared, Mapping) else ()))
        if unknown:
            raise Unresolvable(f"the template declares no parameter {', '.join(unknown)}")
        for name, value in given.items():
            self.parameters[name] = _parameter_value(value, self.types.get(name, "String"))
        self.pseudo = {
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": stack_name,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/00000000",
            "AWS::NotificationARNs": [],
        }
        self._conditions: dict[str, bool] = {}

    # -- names ------------------------------------------------------------------------
    def name_of(self, logical_id: str) -> str:
        resource = self.resources.get(logical_id)
        if not isinstance(resource, Mapping):
            raise Unresolvable(f"no resource or parameter named {logical_id}")
        props = resource.get("Properties") or {}
        for key in _NAME_PROPERTIES:
            if key in props:
                try:
                    value = self.resolve(props[key])
                except Unresolvable:
                    break
                if isinstance(value, str):
                    return value
        return logical_id

    def ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise Unresolvable(f"Ref takes a name, not {json.dumps(name)}")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        declared = self.template.get("Parameters") or {}
        if name in declared:
            if name not in self.parameters:
                raise Unresolvable(f"parameter {name} has no Default; give it a value (--parameter {name}=VALUE)")
            return self.parameters[name]
        return self.name_of(name)

    def get_att(self, args: Any) -> str:
        if isinstance(args, str):
            args = args.split(".", 1)
        if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)):
            raise Unresolvable("Fn::GetAtt takes [resource, attribute]")
        return self.name_of(args[0])

    # -- conditions --------------------------------------------------------------------
    def condition(self, name: Any) -> bool:
        if not isinstance(name, str):
            raise Unresolvable("a condition is named by a string")
        if name not in self._conditions:
            conditions = self.template.get("Conditions") or {}
            if name not in conditions:
                raise Unresolvable(f"no condition named {name}")
            self._conditions[name] = False  # a cycle reads as false rather than recursing forever
            self._conditions[name] = self._truth(conditions[name])
        return self._conditions[name]

    def _truth(self, value: Any) -> bool:
        if isinstance(value, Mapping) and len(value) == 1:
            (key, args), = value.items()
            if key == "Fn::Equals" and isinstance(args, list) and len(args) == 2:
                return bool(self.resolve(args[0]) == self.resolve(args[1]))
            if key == "Fn::Not" and isinstance(args, list) and len(args) == 1:
                return not self._truth(args[0])
            if key == "Fn::And" and isinstance(args, list):
                return all(self._truth(a) for a in args)
            if key == "Fn::Or" and isinstance(args, list):
                return any(self._truth(a) for a in args)
            if key == "Condition":
                return self.condition(args)
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return resolved
        raise Unresolvable(f"cannot read {json.dumps(value, default=str)} as a condition")

    # -- values ------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic function resolved (``NO_VALUE`` entries dropped)."""
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            (key, args), = value.items()
            if key == "Ref":
                return self.ref(args)
            if key == "Condition" and not isinstance(args, Mapping):
                return self.condition(args)
            if isinstance(key, str) and key.startswith("Fn::"):
                return self._function(key, args)
        out = {}
        for k, v in value.items():
            resolved = self.resolve(v)
            if resolved is not NO_VALUE:
                out[k] = resolved
        return out

    def _function(self, key: str, args: Any) -> Any:
        if key == "Fn::GetAtt":
            return self.get_att(args)
        if key == "Fn::Sub":
            return self._sub(args)
        if key == "Fn::Join":
            if not (isinstance(args, list) and len(args) == 2):
                raise Unresolvable("Fn::Join takes [delimiter, [values]]")
            delimiter, items = self.resolve(args[0]), self.resolve(args[1])
            if not isinstance(delimiter, str) or not isinstance(items, list):
                raise Unresolvable("Fn::Join takes [delimiter, [values]]")
            return delimiter.join(str(i) for i in items)
        if key == "Fn::Select":
            if not (isinstance(args, list) and len(args) == 2):
                raise Unresolvable("Fn::Select takes [index, [values]]")
            index, items = self.resolve(args[0]), self.resolve(args[1])
            try:
                return items[int(index)]
            except (ValueError, TypeError, IndexError, KeyError):
                raise Unresolvable(f"Fn::Select: no item {index!r} in {items!r}") from None
        if key == "Fn::Split":
            if not (isinstance(args, list) and len(args) == 2):
                raise Unresolvable("Fn::Split takes [delimiter, text]")
            delimiter, text = self.resolve(args[0]), self.resolve(args[1])
            if not isinstance(delimiter, str) or not isinstance(text, str):
                raise Unresolvable("Fn::Split takes [delimiter, text]")
            return text.split(delimiter)
        if key == "Fn::FindInMap":
            if not (isinstance(args, list) and len(args) == 3):
                raise Unresolvable("Fn::FindInMap takes [map, top-level key, second-level key]")
            name, top, second = (self.resolve(a) for a in args)
            try:
                return self.template["Mappings"][name][top][second]
            except (KeyError, TypeError):
                raise Unresolvable(f"Fn::FindInMap: no {name}.{top}.{second} in Mappings") from None
        if key == "Fn::If":
            if not (isinstance(args, list) and len(args) == 3):
                raise Unresolvable("Fn::If takes [condition, value if true, value if false]")
            return self.resolve(args[1] if self.condition(args[0]) else args[2])
        if key == "Fn::ToJsonString":
            return json.dumps(self.resolve(args), separators=(",", ":"))
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._truth({key: args})
        raise Unresolvable(f"{key} needs a deployed stack and cannot be resolved offline")

    def _sub(self, args: Any) -> str:
        variables: Mapping[str, Any] = {}
        if isinstance(args, list):
            if len(args) != 2 or not isinstance(args[1], Mapping):
                raise Unresolvable("Fn::Sub takes a string or [string, {variables}]")
            text, variables = args[0], {k: self.resolve(v) for k, v in args[1].items()}
        else:
            text = args
        if not isinstance(text, str):
            raise Unresolvable("Fn::Sub takes a string or [string, {variables}]")

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(name.split(".", 1))
            value = self.ref(name)
            return value if isinstance(value, str) else json.dumps(value)

        return _SUB.sub(one, text)
