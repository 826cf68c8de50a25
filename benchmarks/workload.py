"""Deterministic, realistic EventBridge rules and events for benchmarks."""

from __future__ import annotations

import random
from typing import Any

SERVICES = ["ec2", "s3", "lambda", "rds", "sqs", "sns", "dynamodb", "ecs", "iam", "kms"]
STATES = ["pending", "running", "stopping", "stopped", "terminated", "shutting-down"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def rules(n: int, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` patterns mixing exact, prefix, numeric, anything-but and exists over envelope fields."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        service = rnd.choice(SERVICES)
        pattern: dict[str, Any] = {"source": [f"com.example.{service}.{i % 997}"]}
        kind = i % 5
        if kind == 0:
            pattern["detail-type"] = [f"{service} state change {i % 13}"]
            pattern["detail"] = {"state": [rnd.choice(STATES)]}
        elif kind == 1:
            pattern["detail"] = {"bucket": [{"prefix": f"logs-{i % 31}-"}]}
        elif kind == 2:
            low = rnd.randrange(0, 1000)
            pattern["detail"] = {"size": [{"numeric": [">=", low, "<", low + rnd.randrange(1, 500)]}]}
        elif kind == 3:
            pattern["detail"] = {"region": [{"anything-but": rnd.sample(REGIONS, 2)}]}
        else:
            pattern["detail"] = {"error": [{"exists": True}], "code": [i % 100]}
        out.append(pattern)
    return out


def simple_rules(n: int, fields: int = 1) -> list[dict[str, Any]]:
    """``n`` simple rules: one exact ``source`` each, or (``fields=2``) a ``source`` shared by about
    100 rules and a ``detail-type`` of their own, the commonest shape of an EventBridge rule."""
    if fields == 1:
        return [{"source": [f"com.example.app{i}"]} for i in range(n)]
    return [{"source": [f"com.example.app{i % 997}"], "detail-type": [f"Thing Changed {i}"]} for i in range(n)]


def events(n: int, seed: int = 2) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        service = rnd.choice(SERVICES)
        out.append(
            {
                "version": "0",
                "id": f"{i:08d}-0000-0000-0000-000000000000",
                "detail-type": f"{service} state change {i % 13}",
                "source": f"com.example.{service}.{rnd.randrange(997)}",
                "account": "123456789012",
                "time": "2026-11-25T12:00:00Z",
                "region": rnd.choice(REGIONS),
                "resources": [f"arn:aws:{service}:us-east-1:123456789012:thing/{i}"],
                "detail": {
                    "state": rnd.choice(STATES),
                    "bucket": f"logs-{rnd.randrange(31)}-{i}",
                    "size": rnd.randrange(1500),
                    "region": rnd.choice(REGIONS),
                    "code": rnd.randrange(100),
                    **({"error": "boom"} if i % 7 == 0 else {}),
                },
            }
        )
    return out


def path_rules(n: int) -> list[dict[str, Any]]:
    """``n`` rules, each on a field path of its own: ``detail.o<k>.f<i>``, ten objects under ``detail``."""
    return [{"source": ["com.example.paths"], "detail": {f"o{i % 10}": {f"f{i}": [f"v{i % 7}"]}}} for i in range(n)]


def path_events(n: int, paths: int, seed: int = 3) -> list[dict[str, Any]]:
    """Envelopes for :func:`path_rules`: each carries three of those paths (and the usual detail keys)."""
    rnd = random.Random(seed)
    out = []
    for event in events(n, seed):
        detail: dict[str, Any] = {"state": event["detail"]["state"], "size": event["detail"]["size"]}
        for i in rnd.sample(range(paths), min(3, paths)):
            detail.setdefault(f"o{i % 10}", {})[f"f{i}"] = f"v{rnd.randrange(7)}"
        out.append({**event, "source": "com.example.paths", "detail": detail})
    return out


#: the rules of one source in :func:`one_match_rules`: each source has this many, one of each shape twice
GROUP = 10


def one_match_rules(n: int) -> list[dict[str, Any]]:
    """``n`` rules of the realistic mix in which every event of :func:`one_match_events` matches exactly one.

    Rules come in groups of ``GROUP`` sharing a ``source``, as an application's rules do; rule ``r`` of a
    group has the shape ``r % 5`` of :func:`rules` with values of its own, so that an event meant for it
    meets no other rule of its group. The groups are alike at every size, so the matches per event are
    held equal while the number of rules grows."""
    out = []
    for i in range(n):
        g, r = divmod(i, GROUP)
        pattern: dict[str, Any] = {"source": [f"com.example.{SERVICES[g % len(SERVICES)]}.{g}"]}
        kind = r % 5
        if kind == 0:
            pattern["detail-type"] = [f"state change {r}"]
            pattern["detail"] = {"state": [STATES[r % len(STATES)]]}
        elif kind == 1:
            pattern["detail"] = {"bucket": [{"prefix": f"logs-{r}-"}]}
        elif kind == 2:
            pattern["detail"] = {"size": [{"numeric": [">=", 100 * r, "<", 100 * r + 50]}]}
        elif kind == 3:
            pattern["detail"] = {"region": [{"anything-but": [REGIONS[0], REGIONS[1 + r % 4]]}], "code": [r]}
        else:
            pattern["detail"] = {"error": [{"exists": True}], "code": [r]}
        out.append(pattern)
    return out


def one_match_events(n_rules: int, count: int, seed: int = 4) -> list[dict[str, Any]]:
    """``count`` envelopes, each meant for one rule of :func:`one_match_rules` ``(n_rules)``, drawn at random;
    each matches that rule and no other."""
    rnd = random.Random(seed)
    out = []
    for k in range(count):
        g, r = divmod(rnd.randrange(n_rules), GROUP)
        kind = r % 5
        detail: dict[str, Any] = {
            "state": STATES[r % len(STATES)] if kind == 0 else "unknown",
            "bucket": f"logs-{r}-{k}" if kind == 1 else f"archive-{k}",
            "size": 100 * r + rnd.randrange(50) if kind == 2 else 5000 + k % 100,
            "region": REGIONS[0] if kind != 3 else REGIONS[(1 + r % 4) % 4 + 1],
            "code": r if kind in (3, 4) else 100 + r,
        }
        if kind == 4:
            detail["error"] = "boom"
        out.append(
            {
                "version": "0",
                "id": f"{k:08d}-0000-0000-0000-000000000000",
                "detail-type": f"state change {r}" if kind == 0 else "something else",
                "source": f"com.example.{SERVICES[g % len(SERVICES)]}.{g}",
                "account": "123456789012",
                "time": "2026-11-25T12:00:00Z",
                "region": rnd.choice(REGIONS),
                "resources": [],
                "detail": detail,
            }
        )
    return out
