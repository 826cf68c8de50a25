"""A bus's resource-based policy, as far as it decides whether another account may put events on it.

EventBridge's user guide ("Permissions for event buses"): a bus allows events from its own account; another
account's PutEvents, or its rule targeting the bus, needs a statement of the bus's policy that allows
``events:PutEvents`` to that account (``Principal`` ``{"AWS": "<account>"}`` or ``arn:...:iam::<account>:root``,
or ``*``). A statement with a ``Condition`` is not counted (its keys, an organization id say, are not known
here), nor is one that is not ``Allow``; a ``Deny`` statement naming the account refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping

from .registry import BusSettings

ACTIONS = ("events:PutEvents", "events:*", "*")


def allows_put_events(settings: BusSettings, account: str, own: str) -> bool:
    """Whether a bus of account ``own`` with these settings takes events from ``account``."""
    if account == own:
        return True
    allowed = False
    for statement in settings.statements.values():
        if not (_names(statement.get("Action"), ACTIONS) and _principal(statement.get("Principal"), account)):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow" and not statement.get("Condition"):
            allowed = True
    return allowed


def _names(value: object, wanted: tuple[str, ...]) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(v in wanted for v in values)


def _principal(value: object, account: str) -> bool:
    if value == "*":
        return True
    if isinstance(value, Mapping):
        value = value.get("AWS")
    values = value if isinstance(value, list) else [value]
    return any(v == "*" or v == account or (isinstance(v, str) and v.endswith(f":iam::{account}:root"))
               for v in values)


__all__ = ["allows_put_events"]
