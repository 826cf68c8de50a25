"""The console's schedules page (``/timeline``): scheduled rules and Scheduler schedules with their next times
in their own zones, a strip of the next hours with daylight-saving changes marked, the latest invocations,
and on a virtual clock, buttons that move it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from ..bus import EventBridge
from ..scheduler import Scheduler
from .backend import _backend
from .charts import dst_moments, timeline
from .layout import _e, _layout

#: the timeline: its length, how many schedules it draws, and how many times per schedule
TIMELINE_HOURS, TIMELINE_ROWS, TIMELINE_FIRES = 24, 50, 300


def _fires(timing: Any, first: datetime, end: datetime) -> tuple[list[datetime], bool]:
    """A schedule's times from ``first`` (its next, as the service holds it) until ``end``, at most
    TIMELINE_FIRES of them; and whether there were more before ``end`` (the strip then stops early)."""
    out = [first]
    for when in timing.iter(first):
        if when >= end:
            break
        if len(out) >= TIMELINE_FIRES:
            return out, True
        out.append(when)
    return [t for t in out if t < end], False


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _iso(when: datetime | None) -> str:
    """A time as the page shows it: ISO 8601 to the second."""
    return when.isoformat(timespec="seconds") if when is not None else "none"


def _rows(bridge: EventBridge, scheduler: Scheduler) -> tuple[str, list[str]]:
    """The tables' rows: the scheduled rules (UTC), and Scheduler's schedules with their next invocation in
    their own zone."""
    rule_rows = "".join(
        f"<tr><td>{_e(b['Name'])}/{_e(r['Name'])}</td><td><code>{_e(r['ScheduleExpression'])}</code></td>"
        f"<td>UTC</td><td>{_e(_iso(bridge.schedules.next_fire(b['Name'], r['Name'])))}</td></tr>"
        for b in bridge.list_event_buses() for r in bridge.bus(b["Name"]).list_rules()
        if r.get("ScheduleExpression"))
    schedule_rows = []
    for summary in scheduler.list_schedules():
        got = scheduler.get_schedule(summary["Name"], summary["GroupName"])
        zone = got["ScheduleExpressionTimezone"]
        upcoming = scheduler.next_invocation(summary["Name"], summary["GroupName"])
        local = _iso(upcoming.astimezone(ZoneInfo(zone))) if upcoming else "none"
        schedule_rows.append(
            f"<tr data-schedule=\"{_e(summary['Name'])}\"><td>{_e(summary['GroupName'])}/{_e(summary['Name'])}</td>"
            f"<td><code>{_e(got['ScheduleExpression'])}</code></td><td>{_e(zone)}</td>"
            f"<td class=\"next\">{_e(local)}</td></tr>")
    return rule_rows, schedule_rows


def _limits(capped: list[str], rows: int) -> str:
    """What the timeline leaves out, said under it: the strips that stop at their first TIMELINE_FIRES times
    (a ``rate(1 minute)`` strip would otherwise seem to end after five hours), and the schedules past
    TIMELINE_ROWS."""
    notes = [f"<li>{_e(name)}: its first {TIMELINE_FIRES} times only; it goes on past the strip's last tick.</li>"
             for name in capped[:TIMELINE_ROWS]]
    if rows > TIMELINE_ROWS:
        notes.append(f"<li>The first {TIMELINE_ROWS} of {rows} schedules are drawn; the tables below list them "
                     "all.</li>")
    return f'<ul id="timeline-limits">{"".join(notes)}</ul>' if notes else ""


async def schedules(request: Request) -> Response:
    backend = _backend(request)
    bridge = backend.bridge
    scheduler = backend.scheduler
    from ..bus import VirtualClock

    now = bridge.clock.now()
    rule_rows, schedule_rows = _rows(bridge, scheduler)
    end = now + timedelta(hours=TIMELINE_HOURS)
    strips: list[tuple[str, list[datetime], list[datetime]]] = []
    changes: list[str] = []
    capped: list[str] = []  # the strips that stop at TIMELINE_FIRES times, before the timeline's end
    for b in bridge.list_event_buses():
        for rule in sorted(bridge.bus(b["Name"]).rules_by_name.values(), key=lambda r: r.name):
            first = bridge.schedules.next_fire(b["Name"], rule.name)
            if rule.schedule is not None and first is not None:
                fires, more = _fires(rule.schedule, first, end)
                strips.append((f"{b['Name']}/{rule.name}", fires, []))
                if more:
                    capped.append(f"{b['Name']}/{rule.name}")
    seen_zones: set[str] = set()
    for summary in scheduler.list_schedules():
        kept = scheduler.schedules.get((summary["GroupName"], summary["Name"]))
        first = scheduler.next_invocation(summary["Name"], summary["GroupName"])
        if kept is None or first is None:
            continue
        moments = dst_moments(kept.timezone, now, end)
        fires, more = _fires(kept.timing, first, end)
        strips.append((f"{summary['GroupName']}/{summary['Name']}", fires, [m for m, _, _ in moments]))
        if more:
            capped.append(f"{summary['GroupName']}/{summary['Name']}")
        if kept.timezone not in seen_zones:
            seen_zones.add(kept.timezone)
            changes += [f"<li>{_e(kept.timezone)}: {_e(_iso(m))}, UTC offset {_offset(old)} to "
                        f"{_offset(new)} (local {_e(m.astimezone(ZoneInfo(kept.timezone)).strftime('%H:%M'))})"
                        f"</li>" for m, old, new in moments]
    strip = timeline(now, TIMELINE_HOURS, strips[:TIMELINE_ROWS]) if strips else "<p>Nothing scheduled.</p>"
    strip += _limits(capped, len(strips))
    made = "".join(f"<li>{_e(_iso(i['ScheduledTime']))}: {_e(i['ScheduleArn'].rsplit('/', 1)[-1])}, "
                   f"attempt {i['Attempt']}, {_e(i['Outcome'])}</li>" for i in list(scheduler.invocations)[-20:])
    virtual = isinstance(bridge.clock, VirtualClock)
    steps = ((60, "1 minute"), (3600, "1 hour"), (86400, "1 day")) if virtual else ()
    buttons = "".join(f'<button type="button" data-advance="{seconds}">Advance {label}</button> '
                      for seconds, label in steps)
    body = f"""<p>Now: <time id="now">{_e(_iso(now))}</time>{" (a virtual clock)" if virtual else ""}</p>
<div role="group" aria-label="Virtual clock">{buttons}</div>
<h2>The next {TIMELINE_HOURS} hours</h2>{strip}
<h3>Daylight-saving changes in the next {TIMELINE_HOURS} hours</h3>
<ul id="dst">{"".join(changes) or "<li>None in these schedules' time zones.</li>"}</ul>
<table id="rule-schedules"><caption>Scheduled rules</caption><thead><tr><th scope="col">Rule</th>
<th scope="col">Expression</th><th scope="col">Time zone</th><th scope="col">Next</th></tr></thead>
<tbody>{rule_rows}</tbody></table>
<table id="scheduler-schedules"><caption>EventBridge Scheduler schedules (next invocation in their own zone)
</caption><thead><tr><th scope="col">Schedule</th><th scope="col">Expression</th><th scope="col">Time zone</th>
<th scope="col">Next</th></tr></thead><tbody>{"".join(schedule_rows)}</tbody></table>
<h2>Latest invocations</h2><ul id="invocations">{made}</ul>"""
    return _layout("Schedules", body, "/timeline")
