"""The lint of a running server: every rule of every bus of an endpoint that answers EventBridge's API
(``eventmatch serve``, or AWS), against AWS's catalogue, the schemas the server discovered, and those of its
EventBridge Schemas registries (``eventmatch lint --endpoint-url``)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from ..errors import EventmatchError
from .catalogue import Catalogue, aws_catalogue
from .lint import Finding, bus_of_arn, lint_loops, lint_pattern


def lint_server(endpoint_url: str, region: str = "us-east-1") -> list[Finding]:
    """The findings of every rule of every bus of a running server (``eventmatch serve``, or anything that
    answers EventBridge's API at ``endpoint_url``), read with botocore (the ``server`` extra); each rule named
    ``bus/rule``. Loops (EM107) are found through the rules' targets that are buses. The schemas checked
    against are AWS's catalogue, those the server discovered (``--discover``), and those of its EventBridge
    Schemas registries (``discovered-schemas`` and your own), where it answers that API."""
    import botocore.session
    from botocore.config import Config

    client = botocore.session.get_session().create_client(
        "events", endpoint_url=endpoint_url, region_name=region, aws_access_key_id="lint",
        aws_secret_access_key="lint", config=Config(retries={"max_attempts": 1}))
    findings: list[Finding] = []
    rules: list[tuple[str, str, str, tuple[str | None, ...]]] = []
    catalogue = aws_catalogue().merged(_discovered(endpoint_url)).merged(_registries(endpoint_url, region))
    for bus in _pages(client.list_event_buses, "EventBuses"):
        for rule in _pages(client.list_rules, "Rules", EventBusName=bus["Name"]):
            if not rule.get("EventPattern"):
                continue
            name = f"{bus['Name']}/{rule['Name']}"
            for finding in lint_pattern(rule["EventPattern"], rule=name, catalogue=catalogue):
                findings.append(replace(finding, file=endpoint_url))
            targets = _pages(client.list_targets_by_rule, "Targets", Rule=rule["Name"], EventBusName=bus["Name"])
            rules.append((name, bus["Name"], rule["EventPattern"], tuple(bus_of_arn(t["Arn"]) for t in targets)))
    findings += [replace(f, file=endpoint_url) for f in lint_loops(rules)]
    return findings


def _discovered(endpoint_url: str) -> Catalogue:
    """The schemas a server discovered from its events (``eventmatch serve --discover``); none where it has
    none, or is not eventmatch."""
    import urllib.error
    import urllib.request

    from .discover import from_document

    try:
        with urllib.request.urlopen(endpoint_url.rstrip("/") + "/_eventmatch/schemas", timeout=10) as answer:
            listed = json.loads(answer.read()).get("Schemas") or []
        return Catalogue([from_document(s["schema"]) for s in listed])
    except (OSError, ValueError, KeyError, TypeError, urllib.error.URLError, EventmatchError):
        return Catalogue([])


def _registries(endpoint_url: str, region: str) -> Catalogue:
    """The event schemas of the EventBridge Schemas registries at ``endpoint_url`` other than ``aws.events``
    (``discovered-schemas``, and your own): each schema's latest version that is an event's schema; none where
    the endpoint does not answer that API."""
    import botocore.exceptions
    import botocore.session
    from botocore.config import Config

    from .discover import SchemaError, from_document

    client = botocore.session.get_session().create_client(
        "schemas", endpoint_url=endpoint_url, region_name=region, aws_access_key_id="lint",
        aws_secret_access_key="lint", config=Config(retries={"max_attempts": 1}))
    found = []
    try:
        for registry in _pages(client.list_registries, "Registries", Scope="LOCAL"):
            for schema in _pages(client.list_schemas, "Schemas", RegistryName=registry["RegistryName"]):
                described = client.describe_schema(RegistryName=registry["RegistryName"],
                                                   SchemaName=schema["SchemaName"])
                try:
                    found.append(from_document(json.loads(described["Content"]), schema["SchemaName"]))
                except (SchemaError, ValueError, TypeError, AttributeError):
                    continue  # not an event's schema
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return Catalogue(found)
    return Catalogue(found)


def _pages(call: Any, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list action, page after page."""
    items: list[dict[str, Any]] = []
    while True:
        answer = call(**params)
        items += answer.get(key, [])
        if not answer.get("NextToken"):
            return items
        params["NextToken"] = answer["NextToken"]


__all__ = ["lint_server"]
