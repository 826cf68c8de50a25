"""The console's pages for managing and watching the service: buses, archives and replays, metrics charts;
and its JSON helpers: what a target receives (the sandbox's target-input tab), why a recent event did or
did not match each rule of its bus (the live tail's drill-down), and redriving a dead letter.

Changes go through the API's own handlers (``call``), so they are validated, logged and answered as over
the wire."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..bus.targets import build_target
from ..bus.transform import NotDelivered
from ..errors import EventmatchError
from ..event import load_event
from ..pattern import explain
from .backend import Backend, Consoles, _backend
from .charts import line_chart
from .history import SAMPLE_EVERY
from .layout import _e, _layout, json_body, script_json

#: the metrics each chart draws: a bus's and a rule's


BUS_METRICS = ("MatchedEvents", "TriggeredRules", "Invocations", "FailedInvocations")
RULE_METRICS = ("MatchedEvents", "Invocations", "FailedInvocations", "DeadLetterInvocations")
#: how many rules the drill-down explains (the first ones by name): past this it says how many it left out


WHY_MAX = 500
#: the states a replay ends in


REPLAY_ENDED = ("COMPLETED", "CANCELLED", "FAILED")


def _time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return "" if value is None else str(value)


def _rule_of_arn(arn: str) -> tuple[str, str] | None:
    """(bus, rule) of a rule's ARN: ``...:rule/<name>`` on the default bus, ``...:rule/<bus>/<name>``."""
    if ":rule/" not in arn:
        return None
    rest = arn.split(":rule/", 1)[1]
    bus, _, name = rest.rpartition("/")
    return (bus or "default", name)


def _bus_options(backend: Backend) -> str:
    bridge = backend.bridge
    return "".join(f'<option>{_e(b["Name"])}</option>' for b in bridge.list_event_buses())


async def buses(request: Request) -> Response:
    backend = _backend(request)
    bridge = backend.bridge
    rows = "".join(
        f"<tr><td>{_e(b['Name'])}</td><td><code>{_e(b['Arn'])}</code></td>"
        f"<td>{len(bridge.bus(b['Name']).rules_by_name)}</td><td>{_e(b.get('Description', ''))}</td>"
        f'<td><a href="/rules?bus={quote(b["Name"])}">rules</a>'
        + ("" if b["Name"] == "default" else
           f' <button type="button" data-action="DeleteEventBus" data-name="{_e(b["Name"])}">Delete</button>')
        + "</td></tr>" for b in bridge.list_event_buses())
    body = f"""
<table id="buses"><caption>Event buses</caption><thead><tr><th scope="col">Name</th><th scope="col">ARN</th>
<th scope="col">Rules</th><th scope="col">Description</th><th scope="col">Actions</th></tr></thead>
<tbody>{rows}</tbody></table>
<form id="create-bus" onsubmit="return false"><fieldset><legend>Create an event bus</legend>
<label for="bus-name">Name</label><input id="bus-name" autocomplete="off" required>
<label for="bus-description">Description</label><input id="bus-description" autocomplete="off">
<button type="submit">Create event bus</button></fieldset></form>
<p id="bus-status" role="status"></p>"""
    return _layout("Event buses", body, "/buses")


async def archives(request: Request) -> Response:
    backend = _backend(request)
    bridge = backend.bridge
    call = backend.call
    _, listed = call("ListArchives", {})
    _, replays = call("ListReplays", {})
    archive_rows = "".join(
        f"<tr><td>{_e(a['ArchiveName'])}</td><td><code>{_e(a['EventSourceArn'].rsplit('/', 1)[-1])}</code></td>"
        f"<td>{_e(a['State'])}</td><td>{_e(a.get('EventCount', 0))}</td><td>{_e(a.get('RetentionDays', 0))}</td>"
        f'<td><button type="button" data-action="DeleteArchive" data-name="{_e(a["ArchiveName"])}">Delete'
        f"</button></td></tr>" for a in listed.get("Archives", []))
    replay_rows = "".join(
        f'<tr data-replay="{_e(r["ReplayName"])}"><td>{_e(r["ReplayName"])}</td>'
        f"<td>{_e(r['EventSourceArn'].rsplit('/', 1)[-1])}</td><td class=\"state\">{_e(r['State'])}</td>"
        f"<td class=\"reason\">{_e(r.get('StateReason', ''))}</td><td>{_e(_time(r.get('EventStartTime')))} to "
        f"{_e(_time(r.get('EventEndTime')))}</td><td class=\"last\">{_e(_time(r.get('EventLastReplayedTime')))}"
        f"</td><td>" + ("" if r["State"] in REPLAY_ENDED else
                        f'<button type="button" data-action="CancelReplay" data-name="{_e(r["ReplayName"])}">'
                        f"Cancel</button>") + "</td></tr>" for r in replays.get("Replays", []))
    archive_options = "".join(f'<option value="{_e(a["ArchiveArn"])}">{_e(a["ArchiveName"])}</option>'
                              for a in (call("DescribeArchive", {"ArchiveName": x["ArchiveName"]})[1]
                                        for x in listed.get("Archives", [])))
    now = bridge.clock.now().astimezone(UTC)
    day_ago = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    body = f"""
<table id="archives"><caption>Archives</caption><thead><tr><th scope="col">Name</th><th scope="col">Bus</th>
<th scope="col">State</th><th scope="col">Events</th><th scope="col">Retention (days)</th>
<th scope="col">Actions</th></tr></thead><tbody>{archive_rows}</tbody></table>
<form id="create-archive" onsubmit="return false"><fieldset><legend>Create an archive</legend>
<label for="archive-name">Name</label><input id="archive-name" autocomplete="off" required>
<label for="archive-bus">Bus</label><select id="archive-bus">{_bus_options(backend)}</select>
<label for="archive-pattern">Event pattern (optional)</label><textarea id="archive-pattern" rows="3"></textarea>
<label for="archive-retention">Retention in days (0: for ever)</label>
<input id="archive-retention" type="number" min="0" value="0">
<button type="submit">Create archive</button></fieldset></form>
<table id="replays"><caption>Replays</caption><thead><tr><th scope="col">Name</th><th scope="col">Archive</th>
<th scope="col">State</th><th scope="col">Reason</th><th scope="col">Events from</th>
<th scope="col">Last replayed</th><th scope="col">Actions</th></tr></thead><tbody>{replay_rows}</tbody></table>
<form id="start-replay" onsubmit="return false"><fieldset><legend>Start a replay</legend>
<label for="replay-name">Name</label><input id="replay-name" autocomplete="off" required>
<label for="replay-archive">Archive</label><select id="replay-archive">{archive_options}</select>
<label for="replay-start">Events from (UTC)</label>
<input id="replay-start" type="datetime-local" value="{day_ago}">
<label for="replay-end">Events until (UTC)</label>
<input id="replay-end" type="datetime-local" value="{(now + timedelta(minutes=1)).strftime('%Y-%m-%dT%H:%M')}">
<label for="replay-bus">Destination bus (the archive's)</label><select id="replay-bus">{_bus_options(backend)}</select>
<button type="submit">Start replay</button></fieldset></form>
<p id="archive-status" role="status"></p>
<script type="application/json" id="bus-arns">{script_json({b["Name"]: b["Arn"] for b in bridge.list_event_buses()})}
</script>"""
    return _layout("Archives and replays", body, "/archives")


def _charts_html(backend: Backend, bus_filter: str | None) -> str:
    bridge = backend.bridge
    history = backend.history
    history.sample(at_least=0.2)
    parts = []
    names = [b["Name"] for b in bridge.list_event_buses() if bus_filter in (None, "", b["Name"])]
    latest = history.samples[-1][1] if history.samples else {}
    for bus_name in names:
        times, series = history.series(f"{bus_name}/*/", BUS_METRICS)
        parts.append(f'<section class="metrics" data-bus="{_e(bus_name)}"><h2>Bus {_e(bus_name)}</h2>'
                     + line_chart(f"Bus {bus_name}: counts per interval", times, series)
                     + _totals(latest, f"{bus_name}/*/", BUS_METRICS, f"Bus {bus_name} totals") + "</section>")
        for rule_name in sorted(bridge.bus(bus_name).rules_by_name)[:20]:
            prefix = f"{bus_name}/{rule_name}/"
            if not any(k.startswith(prefix) for k in latest):
                continue
            times, series = history.series(prefix, RULE_METRICS)
            parts.append(f'<section class="metrics" data-rule="{_e(rule_name)}"><h3>Rule {_e(rule_name)}</h3>'
                         + line_chart(f"Rule {rule_name}: counts per interval", times, series)
                         + _totals(latest, prefix, RULE_METRICS, f"Rule {rule_name} totals") + "</section>")
    return "".join(parts) or "<p>No buses.</p>"


async def metrics(request: Request) -> Response:
    backend = _backend(request)
    bus_filter = request.query_params.get("bus")
    if request.query_params.get("fragment"):
        return Response(_charts_html(backend, bus_filter), media_type="text/html")
    body = (f"<p>EventBridge's metrics (namespace AWS/Events) per bus and per rule (the first 20 rules with "
            f"counts), sampled every {SAMPLE_EVERY:g} seconds over the last hour: each point is how much a "
            f"count grew since the sample before. The page refreshes itself.</p>"
            f'<div id="charts" aria-live="off">{_charts_html(backend, bus_filter)}</div>')
    return _layout("Metrics", body, "/metrics")


async def transform_api(request: Request) -> Response:
    """``{"event": text, "kind": "event" | "Input" | "InputPath" | "InputTransformer", "value": text,
    "pathsMap": text, "template": text}`` -> what a target with that input receives for the event."""
    backend = _backend(request)
    bridge = backend.bridge
    given = await json_body(request)
    if isinstance(given, Response):
        return given
    try:
        event = dict(load_event(str(given.get("event", ""))))
    except EventmatchError as exc:
        return JSONResponse({"error": f"The event is not valid: {exc}"})
    kind = given.get("kind", "event")
    spec: dict[str, Any] = {"Id": "sandbox", "Fn": _nothing}
    try:
        if kind == "Input":
            spec["Input"] = str(given.get("value", ""))
        elif kind == "InputPath":
            spec["InputPath"] = str(given.get("value", ""))
        elif kind == "InputTransformer":
            paths = json.loads(str(given.get("pathsMap") or "{}"))
            spec["InputTransformer"] = {"InputPathsMap": paths, "InputTemplate": str(given.get("template", ""))}
        target = build_target(spec, 0)
        rule = "sandbox-rule"
        arn = bridge.bus().rule_arn(rule)
        when = str(event.get("time") or bridge.clock.now().isoformat())
        received = target.payload(event, rule, arn, when)  # NotDelivered where AWS would drop it
        if target.transformer is not None:  # the rendered text is what the target receives
            return JSONResponse({"received": target.transformer.render(event, rule, arn, when)})
    except ValueError as exc:  # InputPathsMap not JSON, or the API's ValidationError (a ValueError too)
        return JSONResponse({"error": str(exc)})
    except RecursionError:
        return JSONResponse({"error": "InputPathsMap is nested too deeply to read."})
    except NotDelivered:
        return JSONResponse({"error": "EventBridge would not deliver this: the template's output is neither "
                                      "JSON nor lines of JSON strings."})
    return JSONResponse({"received": json.dumps(received, indent=2)})


async def why_api(request: Request) -> Response:
    """Rule by rule, why a recent event did or did not match each rule of its bus."""
    backend = _backend(request)
    bridge = backend.bridge
    inbox = backend.events
    wanted = request.path_params["event_id"]
    found = inbox.find(wanted)
    if found is None:
        return JSONResponse({"message": f"no recent event {wanted}"}, status_code=404)
    bus_name, event, matched = found
    rules = sorted(((r, r.pattern) for r in bridge.bus(bus_name).rules_by_name.values()
                    if r.pattern is not None), key=lambda pair: pair[0].name)
    answers = []
    for rule, pattern in rules[:WHY_MAX]:
        explained = explain(pattern, event).to_dict()
        reason = ""
        if not explained["matched"]:
            failing = [f for b in explained["branches"] for f in b["fields"] if not f["met"]]
            reason = "; ".join(f"{f['path']}: {f['reason']}" for f in failing[:3])
        answers.append({"rule": rule.name, "matched": explained["matched"], "enabled": rule.enabled,
                        "reason": reason})
    answers.sort(key=lambda a: not a["matched"])
    return JSONResponse({"bus": bus_name, "id": wanted, "routedTo": matched, "rules": answers,
                         "left": max(len(rules) - WHY_MAX, 0)})


async def redrive_api(request: Request) -> Response:
    """``{"seq": n}``: deliver a dead letter's payload to its target again (one attempt, kept with the
    others)."""
    backend = _backend(request)
    bridge = backend.bridge
    redriven = backend.redriven
    given = await json_body(request)
    if isinstance(given, Response):
        return given
    seq = given.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 1 << 63:  # SQLite's integers
        return JSONResponse({"message": f"no dead letter {str(seq)[:40]}"}, status_code=404)
    letters = backend.records.dead_letters(1, seq)
    if not letters:
        return JSONResponse({"message": f"no dead letter {seq}"}, status_code=404)
    letter = letters[0]
    attributes = letter["payload"].get("attributes", {})
    where = _rule_of_arn(str(attributes.get("RULE_ARN", "")))
    target_id = letter["targetId"].removesuffix(":dead-letter")
    spec = backend.target_spec(where, target_id) if where else None
    if spec is None or bridge.target_resolver is None:
        return JSONResponse({"message": f"the target {target_id} of rule {attributes.get('RULE_ARN')} is gone"},
                            status_code=404)
    deliver = bridge.target_resolver(spec)
    try:
        await asyncio.to_thread(deliver, letter["payload"].get("payload"))
    except Exception as exc:  # the attempt is kept by the resolver, with its error
        redriven[seq] = "FAILED"
        return JSONResponse({"outcome": "FAILED", "error": f"{type(exc).__name__}: {exc}"})
    redriven[seq] = "SUCCEEDED"
    return JSONResponse({"outcome": "SUCCEEDED"})


async def pairs_api(request: Request) -> Response:
    """The accounts and regions the server holds ("ACCOUNT:REGION", the default first), and the one the page
    shows: what the picker offers."""
    console = request.app.state.console
    if not isinstance(console, Consoles):
        return JSONResponse({"pairs": [], "current": None})
    current, _ = console.chosen(request)
    return JSONResponse({"pairs": [f"{a}:{r}" for a, r in console.pairs()], "current": f"{current[0]}:{current[1]}"})


def routes() -> list[Route]:
    """The console's routes (each handler reads the service from its app: ``app.state.console``)."""
    return [
        Route("/_eventmatch/console/pairs", pairs_api, methods=["GET"]),
        Route("/buses", buses, methods=["GET"]),
        Route("/archives", archives, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/_eventmatch/console/transform", transform_api, methods=["POST"]),
        Route("/_eventmatch/console/why/{event_id}", why_api, methods=["GET"]),
        Route("/_eventmatch/console/redrive", redrive_api, methods=["POST"]),
    ]


def _nothing(payload: Any) -> None:
    """The sandbox's target: only its payload is asked for."""


def _totals(latest: dict[str, int], prefix: str, names: tuple[str, ...], caption: str) -> str:
    cells = "".join(f"<tr><th scope=\"row\">{_e(n)}</th><td>{latest.get(prefix + n, 0)}</td></tr>" for n in names)
    return f'<table class="totals"><caption>{_e(caption)}</caption><tbody>{cells}</tbody></table>'


__all__ = ["routes"]
