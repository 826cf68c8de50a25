"""Resolve the intrinsic functions of a template that can be resolved offline.

Resolved: ``Ref`` (parameters, with their ``Default`` or a value given by the
caller; pseudo parameters; resources, as their names), ``Fn::GetAtt`` (as the
resource's name), ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``,
``Fn::FindInMap``, ``Fn::Length``, ``Fn::If`` with the template's ``Conditions``
(``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``), ``Fn::ToJsonString``
and ``AWS::NoValue``. The rest (``Fn::ImportValue``, ``Fn::GetAZs``,
``Fn::Base64``, ``Fn::Cidr``, ``Fn::Transform``) need a deployed account; they
raise :class:`Unresolvable`, which the caller reports with the place where it
happened.

As in CloudFormation, ``Ref`` of a parameter gives text even for a
``Number`` parameter (so ``{"numeric": [">", !Ref Limit]}`` is rejected, as
EventBridge rejects it), and a list for ``CommaDelimitedList`` and ``List<...>``.

``Ref`` of a resource gives what CloudFormation documents for its type: a
bucket's or a table's name, a queue's URL, a topic's or a state machine's
ARN (see ``_REF``); ``Fn::GetAtt`` of ``Arn`` (and the other ARN attributes)
the resource's ARN. The name inside them is the resource's explicit name
property (``BucketName``, ``FunctionName``, ...) or, where the template sets
none and CloudFormation would generate one, its logical id.

Parameters are checked against their ``AllowedValues`` and
``AllowedPattern``; every problem with them is listed at once in
``Resolver.problems``.
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

#: the property that names a resource, by type (others: the first of ``_NAME_PROPERTIES`` present)
_NAME_BY_TYPE = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Serverless::SimpleTable": "TableName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Serverless::Function": "FunctionName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::Serverless::StateMachine": "Name",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::Events::Archive": "ArchiveName",
    "AWS::Events::Connection": "Name",
    "AWS::Events::ApiDestination": "Name",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::Scheduler::ScheduleGroup": "Name",
    "AWS::Kinesis::Stream": "Name",
    "AWS::KinesisFirehose::DeliveryStream": "DeliveryStreamName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::IAM::Role": "RoleName",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::CodeBuild::Project": "Name",
}
_NAME_PROPERTIES = ("Name", "FunctionName", "RuleName", "QueueName", "TopicName", "StateMachineName", "EventBusName",
                    "BucketName", "TableName")

#: what ``Ref`` returns, by type, where it is not the name (CloudFormation's "Return values" of each type);
#: {r} region, {a} account, {n} name
_REF = {
    "AWS::SQS::Queue": "https://sqs.{r}.amazonaws.com/{a}/{n}",
    "AWS::SNS::Topic": "arn:aws:sns:{r}:{a}:{n}",
    "AWS::StepFunctions::StateMachine": "arn:aws:states:{r}:{a}:stateMachine:{n}",
    "AWS::Serverless::StateMachine": "arn:aws:states:{r}:{a}:stateMachine:{n}",
    "AWS::Events::Connection": "{n}",
    "AWS::Events::ApiDestination": "{n}",
}

#: ``Fn::GetAtt`` ARN attributes, by type
_ARN = {
    "AWS::S3::Bucket": "arn:aws:s3:::{n}",
    "AWS::SQS::Queue": "arn:aws:sqs:{r}:{a}:{n}",
    "AWS::SNS::Topic": "arn:aws:sns:{r}:{a}:{n}",
    "AWS::DynamoDB::Table": "arn:aws:dynamodb:{r}:{a}:table/{n}",
    "AWS::Serverless::SimpleTable": "arn:aws:dynamodb:{r}:{a}:table/{n}",
    "AWS::Lambda::Function": "arn:aws:lambda:{r}:{a}:function:{n}",
    "AWS::Serverless::Function": "arn:aws:lambda:{r}:{a}:function:{n}",
    "AWS::StepFunctions::StateMachine": "arn:aws:states:{r}:{a}:stateMachine:{n}",
    "AWS::Serverless::StateMachine": "arn:aws:states:{r}:{a}:stateMachine:{n}",
    "AWS::Events::EventBus": "arn:aws:events:{r}:{a}:event-bus/{n}",
    "AWS::Events::Rule": "arn:aws:events:{r}:{a}:rule/{n}",
    "AWS::Events::Archive": "arn:aws:events:{r}:{a}:archive/{n}",
    "AWS::Events::Connection": "arn:aws:events:{r}:{a}:connection/{n}",
    "AWS::Events::ApiDestination": "arn:aws:events:{r}:{a}:api-destination/{n}",
    "AWS::Scheduler::Schedule": "arn:aws:scheduler:{r}:{a}:schedule/default/{n}",
    "AWS::Scheduler::ScheduleGroup": "arn:aws:scheduler:{r}:{a}:schedule-group/{n}",
    "AWS::Kinesis::Stream": "arn:aws:kinesis:{r}:{a}:stream/{n}",
    "AWS::KinesisFirehose::DeliveryStream": "arn:aws:firehose:{r}:{a}:deliverystream/{n}",
    "AWS::Logs::LogGroup": "arn:aws:logs:{r}:{a}:log-group:{n}:*",
    "AWS::IAM::Role": "arn:aws:iam::{a}:role/{n}",
    "AWS::ECS::Cluster": "arn:aws:ecs:{r}:{a}:cluster/{n}",
    "AWS::CodeBuild::Project": "arn:aws:codebuild:{r}:{a}:project/{n}",
}
_ARN_ATTRIBUTES = ("Arn", "TopicArn", "QueueArn", "StreamArn", "RoleArn")

#: intrinsic functions that exist but need a deployed account
_DEPLOYED = ("Fn::ImportValue", "Fn::GetAZs", "Fn::Base64", "Fn::Cidr", "Fn::Transform")

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


def _check_parameter(value: Any, spec: Mapping[str, Any]) -> str | None:
    """What is wrong with a parameter's value against its AllowedValues and AllowedPattern, or None."""
    items = value if isinstance(value, list) else [value]
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list):
        texts = [_parameter_value(a, "String") for a in allowed]
        for item in items:
            if item not in texts:
                return f"value {item!r} is not one of the AllowedValues ({', '.join(texts)})"
    pattern = spec.get("AllowedPattern")
    if isinstance(pattern, str):
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            return f"AllowedPattern {pattern!r} is not a valid pattern: {exc}"
        for item in items:
            if not compiled.fullmatch(str(item)):
                hint = spec.get("ConstraintDescription")
                return f"value {item!r} does not match the AllowedPattern {pattern}" + (f" ({hint})" if hint else "")
    return None


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
        #: problems with the parameters, as ``(where, message)``: all of them, not the first
        self.problems: list[tuple[str, str]] = []
        #: while True, ``Ref`` of a parameter with no value gives ``${Name}`` (payloads only)
        self.placeholders = False
        specs: dict[str, Mapping[str, Any]] = {}
        for name, spec in declared.items() if isinstance(declared, Mapping) else ():
            if isinstance(spec, Mapping):
                specs[name] = spec
                self.types[name] = str(spec.get("Type", "String"))
                if "Default" in spec:
                    self.parameters[name] = _parameter_value(spec["Default"], self.types[name])
        given = dict(parameters or {})
        unknown = sorted(set(given) - set(declared if isinstance(declared, Mapping) else ()))
        if unknown:
            self.problems.append(("Parameters", f"the template declares no parameter {', '.join(unknown)}"))
        for name, value in given.items():
            if name in specs:
                self.parameters[name] = _parameter_value(value, self.types.get(name, "String"))
        for name, spec in specs.items():
            if name in self.parameters:
                problem = _check_parameter(self.parameters[name], spec)
                if problem:
                    self.problems.append((f"Parameters.{name}", problem))
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
    def _resource(self, logical_id: str) -> Mapping[str, Any]:
        resource = self.resources.get(logical_id)
        if not isinstance(resource, Mapping):
            raise Unresolvable(f"no resource or parameter named {logical_id}")
        return resource

    def name_of(self, logical_id: str) -> str:
        """The resource's name: its name property when the template sets one, else its logical id."""
        resource = self._resource(logical_id)
        props = resource.get("Properties") or {}
        preferred = _NAME_BY_TYPE.get(str(resource.get("Type")))
        keys = (preferred,) if preferred else _NAME_PROPERTIES
        for key in keys:
            if isinstance(props, Mapping) and key in props:
                try:
                    value = self.resolve(props[key])
                except Unresolvable:
                    break
                if isinstance(value, str):
                    return value
        return logical_id

    def _fill(self, form: str, logical_id: str) -> str:
        return form.format(r=self.pseudo["AWS::Region"], a=self.pseudo["AWS::AccountId"], n=self.name_of(logical_id))

    def ref_of_resource(self, logical_id: str) -> str:
        """``Ref`` of a resource: what its type documents (a name, a queue's URL, an ARN)."""
        kind = str(self._resource(logical_id).get("Type"))
        return self._fill(_REF.get(kind, "{n}"), logical_id)

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
                if self.placeholders:
                    return "${" + name + "}"
                raise Unresolvable(f"parameter {name} has no Default and no value was given for it")
            return self.parameters[name]
        return self.ref_of_resource(name)

    def get_att(self, args: Any) -> str:
        if isinstance(args, str):
            args = args.split(".", 1)
        if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)):
            raise Unresolvable("Fn::GetAtt takes [resource, attribute]")
        logical_id, attribute = args
        kind = str(self._resource(logical_id).get("Type"))
        if attribute in _ARN_ATTRIBUTES and kind in _ARN:
            return self._fill(_ARN[kind], logical_id)
        return self.name_of(logical_id)

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
        if key == "Fn::Length":
            items = self.resolve(args)
            if not isinstance(items, list):
                raise Unresolvable("Fn::Length takes a list")
            return len(items)
        if key == "Fn::ToJsonString":
            return json.dumps(self.resolve(args), separators=(",", ":"))
        if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or"):
            return self._truth({key: args})
        if key in _DEPLOYED:
            raise Unresolvable(f"{key} needs a deployed stack and cannot be resolved offline")
        raise Unresolvable(f"{key} is not an intrinsic function CloudFormation knows")

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
