"""Tags over EventBridge's API: TagResource, UntagResource, ListTagsForResource, on the service's one tag store
(:class:`~eventmatch.bus.tags.TagStore`, which Scheduler's API uses too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...bus.tags import TagStore
from ...errors import ResourceNotFoundError, ValidationError
from .common import Answer, Handler, Params

if TYPE_CHECKING:
    from ..service import Service


def tags_of(value: object) -> dict[str, str]:
    """A request's ``Tags`` (a list of Key and Value) as a mapping; {} when not given."""
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(t, Mapping) and isinstance(t.get("Key"), str)
                                              and isinstance(t.get("Value"), str) for t in value):
        raise ValidationError("Parameter Tags is not valid. Reason: each tag needs a Key and a Value.")
    return {t["Key"]: t["Value"] for t in value}


def _existing(svc: Service, arn: object) -> str:
    """The ARN of a bus or rule that exists (ResourceNotFoundException with AWS's message otherwise)."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        raise ValidationError("Parameter ResourceARN is not valid. Reason: Provided Arn is not in correct format.")
    resource = arn.split(":", 5)[-1]
    kind, _, path = resource.partition("/")
    if kind == "event-bus":
        svc.bridge.bus(path)
    elif kind == "rule":
        bus, _, rule = path.rpartition("/")
        svc.bridge.bus(bus or "default").rule(rule)
    else:
        raise ResourceNotFoundError(f"Resource {arn} does not exist.")
    return arn


def tag_resource(svc: Service, params: Params) -> Answer:
    svc.tags.tag(_existing(svc, params.get("ResourceARN")), tags_of(params.get("Tags")))
    return {}


def untag_resource(svc: Service, params: Params) -> Answer:
    svc.tags.untag(_existing(svc, params.get("ResourceARN")), params.get("TagKeys") or [])
    return {}


def list_tags_for_resource(svc: Service, params: Params) -> Answer:
    tags = svc.tags.get(_existing(svc, params.get("ResourceARN")))
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


ACTIONS: dict[str, Handler] = {
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}

__all__ = ["ACTIONS", "TagStore", "tags_of"]
