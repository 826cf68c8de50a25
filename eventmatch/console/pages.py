"""The web console of ``eventmatch serve``: server-rendered pages, a little JavaScript, every asset in the package.

Pages (``GET``):

* ``/``: the buses, their rules and where to go next;
* ``/sandbox``: sample events (AWS's common ones and the server's recent events), a pattern editor that
  shows AWS's validation error at its line and column as you type, the answer with ``explain`` field by
  field, and "create rule from this pattern";
* ``/rules``: the rules of every bus, searchable, paginated; create, enable, disable, delete;
* ``/rules/{bus}/{name}``: a rule's pattern or schedule, targets, metrics and recent matches;
* ``/tail``: events as they arrive (server-sent events), each with the rules it matched;
* ``/deliveries``: the latest attempts to reach targets (outcome, latency, error) and the dead letters;
* ``/timeline``: scheduled rules and Scheduler schedules with their next times in their own zones, and on
  a virtual clock, buttons that move it.

The pages call the console's JSON endpoints under ``/_eventmatch/console/`` (``test``, ``rules``,
``tail``); changes go through the same handlers as the API, so their validation and messages are the API's.
"""

from __future__ import annotations

import asyncio
import functools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..arn import arn as make_arn
from ..errors import EventmatchError, InvalidEventPatternError
from ..event import load_event
from ..pattern import compile_pattern, explain
from .backend import _backend
from .layout import CURRENT, _e, _layout, json_body, script_json
from .manage import routes as manage_routes
from .samples import SAMPLES
from .timeline import schedules

STATIC = Path(__file__).parent / "static"
PAGE_SIZE = 100
#: the API actions the pages may call (through the API's handlers: its validation, messages and log)


ACTIONS = frozenset({
    "PutRule", "EnableRule", "DisableRule", "DeleteRule", "PutTargets", "RemoveTargets", "CreateEventBus",
    "DeleteEventBus", "CreateArchive", "DeleteArchive", "StartReplay", "CancelReplay", "DescribeReplay",
})
TAIL_BATCH, TAIL_EVERY = 50, 0.2
#: how many of the events routed before a live tail connects it starts with
TAIL_RECENT = 20


def _iso_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    raise TypeError(f"not JSON: {type(value).__name__}")


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


@functools.cache


def _catalogue_options() -> str:
    """Every event type of AWS's catalogue, as the sandbox's search offers them (``source: detail-type``)."""
    from ..schemas import aws_catalogue

    return "".join(f'<option value="{_e(t.source)}: {_e(t.detail_type)}">'
                   for t in sorted(aws_catalogue(), key=lambda t: (t.source, t.detail_type)))


def _lint(pattern: str) -> str:
    """A rule's lint findings (docs/lint.md) as list items: will it ever fire?"""
    if not pattern:
        return "<li>A scheduled rule: nothing to lint.</li>"
    from ..schemas import lint_pattern

    found = lint_pattern(pattern)
    if not found:
        return '<li data-code="">No finding: nothing says this rule can never fire.</li>'
    return "".join(f'<li data-code="{_e(f.code)}" data-severity="{_e(f.severity)}"><strong>{_e(f.code)} '
                   f"{_e(f.severity)}</strong> {_e(f.message)}</li>" for f in found)


def _rule_row(bus: str, rule: dict[str, Any]) -> str:
    name, enabled = rule["Name"], rule["State"] == "ENABLED"
    toggle = "DisableRule" if enabled else "EnableRule"
    data = f'data-bus="{_e(bus)}" data-rule="{_e(name)}"'
    shown = rule.get("EventPattern") or rule.get("ScheduleExpression", "")
    return (f'<tr><td><a href="/rules/{quote(bus)}/{quote(name)}">{_e(name)}</a></td><td>{_e(bus)}</td>'
            f'<td>{_e(rule["State"])}</td><td><code>{_e(shown)}'
            f'</code></td><td><button type="button" data-action="{toggle}" {data}>{"Disable" if enabled else "Enable"}'
            f'</button> <button type="button" data-action="DeleteRule" {data}>Delete</button></td></tr>')


async def overview(request: Request) -> Response:
    backend = _backend(request)
    bridge = backend.bridge
    inbox = backend.events
    rows = "".join(
        f"<tr><td>{_e(b['Name'])}</td><td>{len(bridge.bus(b['Name']).rules_by_name)}</td>"
        f'<td><a href="/rules?bus={quote(b["Name"])}">rules</a></td></tr>'
        for b in bridge.list_event_buses())
    body = (f"<p>{len(inbox.recent)} recent events. Try a pattern in the <a href=\"/sandbox\">sandbox</a>, or "
            f"watch the <a href=\"/tail\">live tail</a>.</p><table><caption>Event buses</caption><thead><tr>"
            f"<th scope=\"col\">Bus</th><th scope=\"col\">Rules</th><th scope=\"col\"></th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")
    return _layout("Overview", body, "/")


async def sandbox(request: Request) -> Response:
    backend = _backend(request)
    bridge = backend.bridge
    inbox = backend.events
    recent = [(f"recent: {e.get('source')} / {e.get('detail-type')} ({e.get('id')})", e)
              for _, e, _ in list(inbox.recent)[-20:]]
    options = "".join(f'<option value="{i}">{_e(name)}</option>' for i, (name, _) in enumerate(SAMPLES + recent))
    samples = script_json([event for _, event in SAMPLES + recent])
    buses = "".join(f'<option>{_e(b["Name"])}</option>' for b in bridge.list_event_buses())
    body = f"""
<form id="sandbox" class="sandbox" onsubmit="return false">
  <label for="sample">Sample event</label>
  <select id="sample">{options}</select>
  <label for="catalogue">Or any of AWS's event types (search: "ec2 state", "s3 object created")</label>
  <input id="catalogue" list="catalogue-types" autocomplete="off" spellcheck="false"
placeholder="source: detail-type">
  <datalist id="catalogue-types">{_catalogue_options()}</datalist>
  <label for="event">Event</label>
  <textarea id="event" rows="16" spellcheck="false"></textarea>
  <label for="pattern">Event pattern</label>
  <textarea id="pattern" rows="10" spellcheck="false">{{"source": ["aws.ec2"]}}</textarea>
  <p id="pattern-error" role="alert" class="error"></p>
  <button id="test" type="button">Test pattern</button>
  <output id="result" for="event pattern" aria-live="polite"></output>
  <ol id="explanation" aria-label="Explanation"></ol>
  <fieldset id="target-input"><legend>Target input: what a target of the rule receives</legend>
<label for="input-kind">Configure target input</label>
<select id="input-kind">
  <option value="event">Matched event</option>
  <option value="InputPath">Part of the matched event (InputPath)</option>
  <option value="Input">Constant (JSON text)</option>
  <option value="InputTransformer">Input transformer</option>
</select>
<label for="input-value">InputPath or constant</label>
<input id="input-value" autocomplete="off" spellcheck="false" value="$.detail">
<label for="input-paths">InputPathsMap (JSON)</label>
<textarea id="input-paths" rows="3" spellcheck="false"
  >{{"instance": "$.detail.instance-id", "state": "$.detail.state"}}</textarea>
<label for="input-template">InputTemplate</label>
<textarea id="input-template" rows="3" spellcheck="false"
  >"Instance &lt;instance&gt; is now &lt;state&gt;."</textarea>
<button id="show-input" type="button">Show target input</button>
<p id="input-error" role="alert" class="error"></p>
<pre id="received" aria-label="What the target receives" tabindex="0"></pre>
  </fieldset>
  <fieldset><legend>Create a rule from this pattern</legend>
<label for="rule-name">Rule name</label><input id="rule-name" autocomplete="off">
<label for="rule-bus">Bus</label><select id="rule-bus">{buses}</select>
<button id="create-rule" type="button">Create rule</button>
<p id="create-result" role="status"></p>
  </fieldset>
</form>
<script type="application/json" id="samples">{samples}</script>"""
    return _layout("Sandbox", body, "/sandbox")


async def rules(request: Request) -> Response:
    backend = _backend(request)
    bridge = backend.bridge
    query = request.query_params
    search, bus_filter = query.get("q", "").strip(), query.get("bus")
    asked = query.get("page", "1")
    page = int(asked) if asked.isdigit() and len(asked) < 10 and int(asked) > 0 else 1
    found = [(b["Name"], r) for b in bridge.list_event_buses() if bus_filter in (None, "", b["Name"])
             for r in bridge.bus(b["Name"]).list_rules() if search.lower() in r["Name"].lower()]
    shown = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    rows = "".join(_rule_row(bus, r) for bus, r in shown)
    pages = (len(found) + PAGE_SIZE - 1) // PAGE_SIZE
    links = [f'<a href="/rules?q={quote(search)}&amp;bus={quote(bus_filter or "")}&amp;page={n}"'
             f'{CURRENT if n == page else ""}>{n}</a>' for n in range(1, pages + 1)]
    more = " ".join(links) if pages > 1 else ""
    body = f"""
<form method="get" action="/rules" role="search"><label for="q">Search rules</label>
<input id="q" name="q" value="{_e(search)}"><input type="hidden" name="bus" value="{_e(bus_filter or "")}">
<button>Search</button></form>
<p>{len(found)} rules{f", page {page} of {pages}" if pages > 1 else ""}.</p>
<table id="rules"><caption>Rules</caption><thead><tr><th scope="col">Name</th><th scope="col">Bus</th>
<th scope="col">State</th><th scope="col">Pattern or schedule</th><th scope="col">Actions</th></tr></thead>
<tbody>{rows}</tbody></table><nav aria-label="Pages">{more}</nav>
<p id="rule-status" role="status"></p>"""
    return _layout("Rules", body, "/rules")


async def rule_page(request: Request) -> Response:
    backend = _backend(request)
    bridge = backend.bridge
    inbox = backend.events
    call = backend.call
    bus_name, name = request.path_params["bus"], request.path_params["name"]
    status, described = call("DescribeRule", {"Name": name, "EventBusName": bus_name})
    if status != 200:
        return _layout("No such rule", f"<p role=\"alert\">{_e(described.get('message'))}</p>", "/rules")
    _, listed = call("ListTargetsByRule", {"Rule": name, "EventBusName": bus_name})
    metrics = {k: v for k, v in bridge.metrics.snapshot().items() if k.startswith(f"{bus_name}/{name}/")}
    recent = [e for b, e, matched in list(inbox.recent) if b == bus_name and name in matched][-20:]
    pattern, expression = described.get("EventPattern", ""), described.get("ScheduleExpression", "")
    matches = "".join(f"<li>{_e(e.get('id'))}: {_e(e.get('source'))}</li>" for e in recent)
    data = f'data-bus="{_e(bus_name)}" data-rule="{_e(name)}"'
    targets = "".join(
        f"<tr><td>{_e(t['Id'])}</td><td><code>{_e(t['Arn'])}</code></td>"
        f"<td><pre>{_e(json.dumps({k: v for k, v in t.items() if k not in ('Id', 'Arn')}, indent=1))}</pre></td>"
        f'<td><button type="button" data-action="RemoveTargets" data-target="{_e(t["Id"])}" {data}>Remove'
        f"</button></td></tr>" for t in listed.get("Targets", []))
    enabled = described.get("State") == "ENABLED"
    states = "".join(f"<option{' selected' if (s == 'ENABLED') == enabled else ''}>{s}</option>"
                     for s in ("ENABLED", "DISABLED"))
    metric_rows = "".join(f"<tr><th scope=\"row\">{_e(k.rsplit('/', 1)[-1])}</th><td>{v}</td></tr>"
                          for k, v in metrics.items())
    body = f"""<dl><dt>Bus</dt><dd>{_e(bus_name)}</dd><dt>ARN</dt><dd><code>{_e(described.get("Arn"))}</code></dd>
<dt>State</dt><dd>{_e(described.get("State"))}</dd></dl>
<form id="edit-rule" onsubmit="return false" {data}><fieldset><legend>Edit the rule</legend>
<label for="edit-pattern">Event pattern</label>
<textarea id="edit-pattern" rows="8" spellcheck="false">{_e(pattern)}</textarea>
<label for="edit-schedule">Schedule expression</label>
<input id="edit-schedule" value="{_e(expression)}" autocomplete="off" spellcheck="false">
<label for="edit-description">Description</label>
<input id="edit-description" value="{_e(described.get("Description", ""))}" autocomplete="off">
<label for="edit-state">State</label><select id="edit-state">{states}</select>
<button type="submit">Save rule</button></fieldset></form>
<h2>Targets</h2>
<table id="targets"><caption>Targets of {_e(name)}</caption><thead><tr><th scope="col">Id</th><th scope="col">ARN</th>
<th scope="col">Settings</th><th scope="col">Actions</th></tr></thead><tbody>{targets}</tbody></table>
<form id="add-target" onsubmit="return false" {data}><fieldset><legend>Add or replace a target</legend>
<label for="target-id">Id</label><input id="target-id" autocomplete="off" required>
<label for="target-arn">ARN</label><input id="target-arn" autocomplete="off" required
 placeholder="{_e(make_arn("sqs", bridge.region, bridge.account, "my-queue"))}">
<label for="target-settings">Other settings (JSON: Input, InputPath, InputTransformer, RetryPolicy,
DeadLetterConfig...)</label><textarea id="target-settings" rows="4" spellcheck="false">{{}}</textarea>
<button type="submit">Save target</button></fieldset></form>
<p id="rule-status" role="status"></p>
<h2>Lint</h2><ul id="lint">{_lint(pattern)}</ul>
<h2>Metrics</h2><table id="rule-metrics"><caption>Counts since the server started</caption>
<tbody>{metric_rows}</tbody></table>
<h2>Recent matches</h2><ul id="recent-matches">{matches}</ul>"""
    return _layout(f"Rule {name}", body, "/rules")


async def tail(request: Request) -> Response:
    body = """<p>Events as they arrive, with the rules each matched.
<span id="tail-status" role="status"></span></p>
<table id="tail"><caption>Live events</caption><thead><tr><th scope="col">Time</th><th scope="col">Bus</th>
<th scope="col">Source</th><th scope="col">Detail type</th><th scope="col">Matched rules</th>
<th scope="col">Details</th></tr></thead><tbody></tbody></table>
<section id="why" aria-live="polite" hidden><h2 id="why-title" tabindex="-1">Why</h2>
<table id="why-rules"><caption>Each rule of the bus, and why it matched or not</caption><thead><tr>
<th scope="col">Rule</th><th scope="col">Matched</th><th scope="col">Why not</th></tr></thead><tbody></tbody></table>
</section>"""
    return _layout("Live tail", body, "/tail")


async def deliveries(request: Request) -> Response:
    backend = _backend(request)
    inbox = backend.events
    redriven = backend.redriven
    state = backend.records
    await asyncio.to_thread(inbox.wait_idle, 2.0)
    wanted = request.query_params.get("arn")
    attempts = [a for a in reversed(state.attempts) if wanted in (None, "", a["arn"])][:200]
    rows = "".join(
        f"<tr data-outcome=\"{a['outcome']}\"><td>{_e(_when(a['time']))}</td><td>{_e(a['targetId'])}</td>"
        f"<td><code>{_e(a['arn'])}</code></td><td>{_e(a['outcome'])}</td><td>{a['ms']:.1f} ms</td>"
        f"<td>{_e(a['error'] or '')}</td></tr>" for a in attempts)
    dead = state.dead_letters(100)
    letters = "".join(
        f"<tr data-seq=\"{d['seq']}\"><td>{_e(d['time'])}</td>"
        f"<td>{_e(d['targetId'].removesuffix(':dead-letter'))}</td>"
        f"<td><code>{_e(d['arn'])}</code></td><td><pre>{_e(json.dumps(d['payload'], indent=1, default=str))}</pre>"
        f"</td><td class=\"redrive\">"
        + (_e(f"redriven: {redriven[d['seq']]}") if d["seq"] in redriven else "")
        + f' <button type="button" data-redrive="{d["seq"]}">Redrive</button></td></tr>' for d in reversed(dead))
    body = f"""<p>The latest attempts to reach targets, newest first, and the dead letters.</p>
<table id="attempts"><caption>Attempts</caption><thead><tr><th scope="col">Time</th><th scope="col">Target</th>
<th scope="col">ARN</th><th scope="col">Outcome</th><th scope="col">Latency</th><th scope="col">Error</th></tr>
</thead><tbody>{rows}</tbody></table>
<table id="dead-letters"><caption>Dead letters</caption><thead><tr><th scope="col">Time</th>
<th scope="col">Target</th><th scope="col">Queue</th><th scope="col">Payload and attributes</th>
<th scope="col">Redrive to the target</th></tr></thead><tbody>{letters}</tbody></table>
<p id="redrive-status" role="status"></p>"""
    return _layout("Deliveries", body, "/deliveries")


async def test_api(request: Request) -> Response:
    """``{"event": text, "pattern": text}`` -> the pattern's error (with line and column), or the answer and
    its explanation: the same as TestEventPattern and ``explain``."""
    given = await json_body(request)
    if isinstance(given, Response):
        return given
    try:
        pattern = compile_pattern(str(given.get("pattern", "")))
    except InvalidEventPatternError as exc:
        return JSONResponse({"valid": False, "message": str(exc), "line": exc.line, "column": exc.column})
    try:
        event = dict(load_event(str(given.get("event", ""))))
    except EventmatchError as exc:
        return JSONResponse({"valid": True, "eventError": str(exc)})
    explanation = explain(pattern, event).to_dict()
    return JSONResponse({"valid": True, "matched": explanation["matched"], "explanation": explanation})


async def sample_api(request: Request) -> Response:
    """``?source=...&detail-type=...``: a sample event of that catalogue type (every field filled)."""
    from ..schemas import UnknownEventTypeError, aws_catalogue, sample_event

    try:
        event = sample_event(aws_catalogue(), request.query_params.get("source", ""),
                             request.query_params.get("detail-type", ""))
    except UnknownEventTypeError as exc:
        return JSONResponse({"message": str(exc)}, status_code=404)
    return JSONResponse(event)


async def actions_api(request: Request) -> Response:
    """``{"action": <one of ACTIONS>, "params": {...}}``: the API's action, its answer and status."""
    backend = _backend(request)
    call = backend.call
    given = await json_body(request)
    if isinstance(given, Response):
        return given
    action, params = given.get("action"), given.get("params") or {}
    if not isinstance(action, str) or action not in ACTIONS:
        return JSONResponse({"message": f"not a console action: {str(action)[:100]}"}, status_code=400)
    if not isinstance(params, dict):
        return JSONResponse({"message": "params must be a JSON object"}, status_code=400)
    status, answer = call(action, params)
    # times as ISO 8601 text, for the pages (the API's wire form is epoch seconds)
    return Response(json.dumps(answer, default=_iso_default), status_code=status, media_type="application/json")


async def tail_stream(request: Request) -> Response:
    """Server-sent events: the TAIL_RECENT events routed last, then each new routed event (bus, time, source,
    detail-type, rules), at most TAIL_BATCH
    every TAIL_EVERY seconds (250 a second); past that the stream says how many it skipped (sampling, shown
    as such: a tail stays usable at 10,000 events a second)."""
    backend = _backend(request)
    inbox = backend.events

    async def events() -> Any:
        last = max(0, inbox.routed_count - TAIL_RECENT)  # it starts with the most recent ones
        yield "retry: 1000\n\n"
        while True:  # until the client goes (the response then cancels this)
            total = inbox.routed_count
            if total != last:
                fresh = list(inbox.recent)[-min(total - last, len(inbox.recent)):]
                shown = fresh[-TAIL_BATCH:]
                for bus_name, event, matched in shown:
                    data = {"bus": bus_name, "time": event.get("time"), "source": event.get("source"),
                            "detail-type": event.get("detail-type"), "id": event.get("id"), "rules": matched}
                    yield f"data: {json.dumps(data, default=str)}\n\n"
                if total - last > len(shown):
                    yield f"event: skipped\ndata: {total - last - len(shown)}\n\n"
                last = total
            await asyncio.sleep(TAIL_EVERY)

    return StreamingResponse(events(), media_type="text/event-stream")


def routes() -> list[Route | Mount]:
    """The console's routes (each handler reads the service from its app: ``app.state.console``)."""
    return [
        Route("/", overview, methods=["GET"]),
        Route("/sandbox", sandbox, methods=["GET"]),
        Route("/rules", rules, methods=["GET"]),
        Route("/rules/{bus}/{name}", rule_page, methods=["GET"]),
        Route("/tail", tail, methods=["GET"]),
        Route("/deliveries", deliveries, methods=["GET"]),
        Route("/timeline", schedules, methods=["GET"]),  # /schedules is Scheduler's API
        Route("/_eventmatch/console/test", test_api, methods=["POST"]),
        Route("/_eventmatch/console/api", actions_api, methods=["POST"]),
        Route("/_eventmatch/console/sample", sample_api, methods=["GET"]),
        *manage_routes(),
        Route("/_eventmatch/console/tail", tail_stream, methods=["GET"]),
        Mount("/_eventmatch/console/static", StaticFiles(directory=STATIC), name="console-static"),
    ]


__all__ = ["routes"]
