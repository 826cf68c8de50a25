"""EventBridge Schemas' resource policy (PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy: the
account's, or a registry's with ``RegistryName``) and tags (TagResource, UntagResource, ListTagsForResource on
registries, schemas and discoverers, in the service's one tag store). A policy is kept as given: this server
does not act on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import PreconditionFailedError, ResourceNotFoundError
from .common import Answer, Handler, Params, Store, json_object
from .discoverers import Discoverers
from .registries import AWS_EVENTS, Registries, schema_of

if TYPE_CHECKING:
    from ..service import Service


@dataclass
class Policy:
    registry: str
    policy: str
    revision: str


class Policies(Store[Policy]):
    """A service's resource policies, by registry name ("" for the account's)."""

    kind = "schema-policies"
    model = Policy
    missing = "Resource policy {name} does not exist."


def _registry(svc: Service, params: Params) -> str:
    name = params.get("RegistryName")
    if name in (None, ""):
        return ""
    if name != AWS_EVENTS:
        svc.store(Registries).named(name)
    return str(name)


def put_resource_policy(svc: Service, params: Params) -> Answer:
    registry, policies = _registry(svc, params), svc.store(Policies)
    json_object(params.get("Policy"), "Policy")
    current = policies.get(registry)
    given = params.get("RevisionId")
    if given is not None and (current is None or current.revision != given):
        raise PreconditionFailedError(f"RevisionId {given} is not the policy's current revision.")
    made = policies[registry] = Policy(registry, str(params.get("Policy")), svc.new_id())
    return {"Policy": made.policy, "RevisionId": made.revision}


def get_resource_policy(svc: Service, params: Params) -> Answer:
    registry = _registry(svc, params)
    found = svc.store(Policies).get(registry)
    if found is None:
        raise ResourceNotFoundError("Resource policy does not exist." if not registry else
                                    f"Registry {registry} has no resource policy.")
    return {"Policy": found.policy, "RevisionId": found.revision}


def delete_resource_policy(svc: Service, params: Params) -> Answer:
    get_resource_policy(svc, params)
    del svc.store(Policies)[_registry(svc, params)]
    return {}


def _tagged(svc: Service, resource: object) -> str:
    """A Schemas resource's ARN (a registry, schema or discoverer of this service); NotFound otherwise."""
    text = str(resource)
    parts = text.split(":", 5)
    kind, _, rest = parts[5].partition("/") if len(parts) == 6 else ("", "", "")
    if kind == "registry" and rest in svc.store(Registries):
        return text
    if kind == "schema" and "/" in rest:
        registry, name = rest.split("/", 1)
        try:
            return schema_of(svc, registry, name).arn
        except ResourceNotFoundError:
            pass
    if kind == "discoverer" and rest in svc.store(Discoverers):
        return text
    raise ResourceNotFoundError(f"Resource {text} does not exist.")


def tag_resource(svc: Service, params: Params) -> Answer:
    svc.tags.tag(_tagged(svc, params.get("ResourceArn")), dict(params.get("Tags") or {}))
    return {}


def untag_resource(svc: Service, params: Params) -> Answer:
    svc.tags.untag(_tagged(svc, params.get("ResourceArn")), [str(k) for k in params.get("TagKeys") or []])
    return {}


def list_tags_for_resource(svc: Service, params: Params) -> Answer:
    return {"Tags": svc.tags.get(_tagged(svc, params.get("ResourceArn")))}


ACTIONS: dict[str, Handler] = {
    "PutResourcePolicy": put_resource_policy, "GetResourcePolicy": get_resource_policy,
    "DeleteResourcePolicy": delete_resource_policy, "TagResource": tag_resource, "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}

__all__ = ["ACTIONS", "Policies", "Policy"]
