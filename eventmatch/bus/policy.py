"""A bus's resource-based policy, as far as it decides whether another account may act on the bus.

EventBridge's user guide ("Permissions for event buses"): a bus allows its own account everything; another
account's PutEvents (or its rule targeting the bus), or its PutRule, PutTargets and the other rule actions
naming the bus's ARN, need a statement of the bus's policy that allows the action (``events:PutEvents``,
``events:PutRule``..., ``events:*`` or ``*``) to that account (``Principal`` ``{"AWS": "<account>"}`` or
``arn:...:iam::<account>:root``, or ``*``). A ``Deny`` statement naming the account refuses it.

Of a statement's ``Condition``, the keys this server knows are evaluated: ``aws:PrincipalAccount`` (the
calling account) and ``events:creatorAccount`` (the account that created the rule acted on; the user guide's
example for managing rules across accounts), with ``StringEquals``, ``StringEqualsIfExists`` and
``${aws:PrincipalAccount}`` in a value. An Allow statement with any other condition (an organization id, say,
which is not known here) is not counted; a Deny statement with one refuses.
"""

from __future__ import annotations

from collections.abc import Mapping

from .registry import BusSettings

#: the condition operators evaluated, and whether each passes when its key has no value
_OPERATORS = {"StringEquals": False, "StringEqualsIfExists": True}


def allows(settings: BusSettings, action: str, account: str, own: str, creator: str | None = None) -> bool:
    """Whether a bus of account ``own`` with these settings lets ``account`` do ``action`` (``events:PutRule``)
    on it; ``creator``: the account that created the rule acted on, when there is one."""
    if account == own:
        return True
    allowed = False
    wanted = (action, "events:*", "*")
    for statement in settings.statements.values():
        if not (_names(statement.get("Action"), wanted) and _principal(statement.get("Principal"), account)):
            continue
        holds = _conditions_hold(statement.get("Condition"), {"aws:principalaccount": account,
                                                              "events:creatoraccount": creator}, account)
        if statement.get("Effect") == "Deny" and holds is not False:  # (one not understood refuses too)
            return False
        if statement.get("Effect") == "Allow" and holds:
            allowed = True
    return allowed


def allows_put_events(settings: BusSettings, account: str, own: str) -> bool:
    """Whether a bus of account ``own`` with these settings takes events from ``account``."""
    return allows(settings, "events:PutEvents", account, own)


def _conditions_hold(condition: object, values: Mapping[str, str | None], account: str) -> bool | None:
    """Whether a statement's Condition holds (no Condition: it does); None for one with anything not known
    here."""
    if not condition:
        return True
    if not isinstance(condition, Mapping):
        return None
    for operator, tests in condition.items():
        if operator not in _OPERATORS or not isinstance(tests, Mapping):
            return None
        for key, expected in tests.items():
            if not isinstance(key, str) or key.lower() not in values:
                return None
            actual = values[key.lower()]
            if actual is None:
                if not _OPERATORS[operator]:
                    return False
                continue
            options = expected if isinstance(expected, list) else [expected]
            if not any(isinstance(o, str) and o.replace("${aws:PrincipalAccount}", account) == actual
                       for o in options):
                return False
    return True


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


__all__ = ["allows", "allows_put_events"]
