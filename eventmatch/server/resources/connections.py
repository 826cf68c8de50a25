"""Connections over the API: CreateConnection, DescribeConnection, UpdateConnection, DeauthorizeConnection,
DeleteConnection, ListConnections. A :class:`Connection` keeps its secrets (the server's API destinations
use them: :mod:`..api_destinations`) and never shows them; its OAuth endpoint is checked by the server's
outbound policy when it is given (:mod:`..outbound`)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ...arn import arn
from ...errors import ResourceAlreadyExistsError, ValidationError
from ..outbound import endpoint_problem
from .common import Answer, Handler, Params, Store, check, enum_problem, listing, name_problem

if TYPE_CHECKING:
    from ..service import Service

AUTH_TYPES = ["BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY"]
#: the ConnectionArn pattern of botocore's model, and its text in AWS's messages
CONNECTION_ARN_TEXT = (
    "^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/[\\.\\-_A-Za-z0-9]+\\/[\\-A-Za-z0-9]+$"
)
CONNECTION_ARN = re.compile(CONNECTION_ARN_TEXT)
SECRET_KEYS = ("Password", "ApiKeyValue", "ClientSecret")


@dataclass
class Connection:
    """One connection: how the server authorizes the calls of the API destinations that use it."""

    name: str
    arn: str
    authorization_type: str
    #: as given, secrets included (shown without them)
    auth_parameters: dict[str, object]
    secret_arn: str
    created: datetime
    modified: datetime
    authorized: datetime
    state: str = "AUTHORIZED"
    description: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def answer(self, *, authorized: bool = False, state: str | None = None) -> Answer:
        """What Create-, Update-, Deauthorize- and DeleteConnection answer."""
        shown: Answer = {"ConnectionArn": self.arn, "ConnectionState": state or self.state,
                         "CreationTime": self.created, "LastModifiedTime": self.modified}
        if authorized:
            shown["LastAuthorizedTime"] = self.authorized
        return shown

    def summary(self) -> Answer:
        """ListConnections' shape."""
        return {"ConnectionArn": self.arn, "Name": self.name, "ConnectionState": self.state,
                "AuthorizationType": self.authorization_type, "CreationTime": self.created,
                "LastModifiedTime": self.modified, "LastAuthorizedTime": self.authorized}

    def describe(self) -> Answer:
        """DescribeConnection's shape: the secrets left out."""
        shown = {"Name": self.name, **self.summary(), "SecretArn": self.secret_arn,
                 "AuthParameters": without_secrets(self.auth_parameters)}
        if self.description is not None:
            shown["Description"] = self.description
        return shown


class Connections(Store[Connection]):
    """A service's connections, by name."""

    kind = "connections"
    model = Connection
    missing = "Failed to describe the connection(s). Connection '{name}' does not exist."

    def by_arn(self, arn: str) -> Connection | None:
        return next((c for c in self.values() if c.arn == arn), None)


def without_secrets(value: object) -> object:
    if isinstance(value, Mapping):
        return {k: without_secrets(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def endpoint_checked(svc: Service, endpoint: object, what: str) -> None:
    """An endpoint the server will call, as its outbound policy allows it (not checked while the command log
    is played again: each call is checked anyway, and a resource is not lost to a policy changed between
    two runs)."""
    if not svc.restoring:
        problem = endpoint_problem(endpoint, svc.outbound, what)
        if problem:
            raise ValidationError(problem)


def _oauth_checked(svc: Service, params: Params) -> None:
    auth = params.get("AuthParameters")
    oauth = auth.get("OAuthParameters") if isinstance(auth, Mapping) else None
    if isinstance(oauth, Mapping) and "AuthorizationEndpoint" in oauth:
        endpoint_checked(svc, oauth["AuthorizationEndpoint"], "AuthorizationEndpoint")


def connection(svc: Service, name: object) -> Connection:
    return svc.store(Connections).named(name)


def create_connection(svc: Service, params: Params) -> Answer:
    name = params.get("Name")
    check(name_problem(name) + enum_problem(params.get("AuthorizationType"), "authorizationType", AUTH_TYPES))
    _oauth_checked(svc, params)
    connections = svc.store(Connections)
    if name in connections:
        raise ResourceAlreadyExistsError(f"Connection {name} already exists.")
    now, suffix = svc.now(), svc.new_id()
    # the secret's own name, and Secrets Manager's six random characters after it
    secret = f"{svc.new_id()}-{svc.new_id(lambda: secrets.token_urlsafe(6)[:6])}"
    made = connections[str(name)] = Connection(
        str(name), arn("events", svc.region, svc.account, f"connection/{name}/{suffix}"),
        str(params.get("AuthorizationType")), dict(params.get("AuthParameters") or {}),
        arn("secretsmanager", svc.region, svc.account, f"secret:events!connection/{name}/{secret}"),
        now, now, now, description=params.get("Description"))
    return made.answer()


def describe_connection(svc: Service, params: Params) -> Answer:
    return connection(svc, params.get("Name")).describe()


def update_connection(svc: Service, params: Params) -> Answer:
    c = connection(svc, params.get("Name"))
    if "AuthorizationType" in params:
        check(enum_problem(params["AuthorizationType"], "authorizationType", AUTH_TYPES))
    if "AuthParameters" in params:
        _oauth_checked(svc, params)
    if "AuthorizationType" in params:
        c.authorization_type = str(params["AuthorizationType"])
    if "AuthParameters" in params:
        c.auth_parameters = dict(params["AuthParameters"])
    if "Description" in params:
        c.description = params["Description"]
    c.modified = c.authorized = svc.now()
    c.state = "AUTHORIZED"
    return c.answer(authorized=True)


def deauthorize_connection(svc: Service, params: Params) -> Answer:
    c = connection(svc, params.get("Name"))
    c.state = "DEAUTHORIZED"
    c.modified = svc.now()
    return c.answer(authorized=True, state="DEAUTHORIZING")


def delete_connection(svc: Service, params: Params) -> Answer:
    c = connection(svc, params.get("Name"))
    del svc.store(Connections)[c.name]
    return c.answer(authorized=True, state="DELETING")


def list_connections(svc: Service, params: Params) -> Answer:
    prefix, state = str(params.get("NamePrefix") or ""), params.get("ConnectionState")
    listed = [c.summary() for n, c in sorted(svc.store(Connections).items())
              if n.startswith(prefix) and (state is None or c.state == state)]
    return listing("Connections", listed, params)


ACTIONS: dict[str, Handler] = {
    "CreateConnection": create_connection,
    "DescribeConnection": describe_connection,
    "UpdateConnection": update_connection,
    "DeauthorizeConnection": deauthorize_connection,
    "DeleteConnection": delete_connection,
    "ListConnections": list_connections,
}

__all__ = ["ACTIONS", "CONNECTION_ARN", "CONNECTION_ARN_TEXT", "Connection", "Connections", "endpoint_checked"]
