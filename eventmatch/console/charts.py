"""Charts drawn as inline SVG on the server (no chart library, no script): metric lines and the 24-hour
timeline of schedules. Every chart has a text alternative: an ``aria-label`` saying what it shows, and the
pages put the same figures in a table or a list beside it."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

#: line colours, distinguishable in light and dark schemes (and by the legend's order, without colour)
PALETTE = ("#0b62a4", "#c0392b", "#1b8a3a", "#8e44ad", "#d35400", "#16a085", "#7f8c8d", "#b7950b")
WIDTH, HEIGHT, PAD = 640, 140, 28


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def line_chart(title: str, times: Sequence[float], series: Mapping[str, Sequence[float]]) -> str:
    """An SVG chart of ``series`` (name -> one value per time in ``times``, epoch seconds), one line each,
    with the value axis from 0 to the largest value, and a legend."""
    top = max((v for values in series.values() for v in values), default=0.0) or 1.0
    first, last = (times[0], times[-1]) if times else (0.0, 1.0)
    span = (last - first) or 1.0
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD

    def x(t: float) -> float:
        return PAD + (t - first) / span * inner_w

    def y(v: float) -> float:
        return PAD + inner_h - v / top * inner_h

    lines = []
    for i, (name, values) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, values, strict=True))
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
                     f"<title>{_e(name)}</title></polyline>")
    legend = "".join(
        f'<text x="{PAD + 150 * (i % 4)}" y="{HEIGHT - 4 + 14 * (i // 4)}" fill="{PALETTE[i % len(PALETTE)]}" '
        f'font-size="10">■ {_e(name)}</text>' for i, name in enumerate(series))
    rows = (len(series) + 3) // 4
    height = HEIGHT + 14 * max(rows - 1, 0)
    return (f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{_e(title)}" '
            f'xmlns="http://www.w3.org/2000/svg"><rect x="{PAD}" y="{PAD}" width="{inner_w}" height="{inner_h}" '
            f'fill="none" stroke="#8886"/><text x="{PAD}" y="{PAD - 8}" font-size="12" fill="currentColor">'
            f"{_e(title)}</text>"
            f'<text x="2" y="{PAD + 4}" font-size="10" fill="currentColor">{top:g}</text>'
            f'<text x="2" y="{PAD + inner_h}" font-size="10" fill="currentColor">0</text>'
            f"{''.join(lines)}{legend}</svg>")


def dst_moments(zone: str, start: datetime, end: datetime) -> list[tuple[datetime, timedelta, timedelta]]:
    """The moments in ``[start, end)`` (aware, any zone) where ``zone``'s UTC offset changes, as (the first
    instant of the new offset in UTC, the offset before, the offset after). Zones change on whole minutes:
    a change found by 15-minute steps is narrowed to its minute."""
    tz = ZoneInfo(zone)
    out = []
    step = timedelta(minutes=15)
    t = start
    before = t.astimezone(tz).utcoffset()
    while t < end:
        nxt = min(t + step, end)
        after = nxt.astimezone(tz).utcoffset()
        if after != before:
            low, high = t, nxt  # the offset is `before` at low and `after` at high
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                mid = mid.replace(second=0, microsecond=0)
                if mid <= low:
                    break
                if mid.astimezone(tz).utcoffset() == before:
                    low = mid
                else:
                    high = mid
            assert before is not None and after is not None
            out.append((high, before, after))
            before = after
        t = nxt
    return out


def _seconds(when: datetime) -> str:
    """A time as the charts show it: ISO 8601 to the second."""
    return when.isoformat(timespec="seconds")


def timeline(start: datetime, hours: int, rows: Sequence[tuple[str, Sequence[datetime], Sequence[datetime]]]) -> str:
    """The next ``hours`` from ``start`` as one strip per row: (label, fire times, daylight-saving moments).
    Fire times are ticks; a daylight-saving moment is a dashed red mark."""
    label_w, strip_h = 190, 26
    inner_w = WIDTH + 120 - label_w - 10
    end = start + timedelta(hours=hours)
    span = (end - start).total_seconds()

    def x(t: datetime) -> float:
        return label_w + (t - start).total_seconds() / span * inner_w

    parts = []
    for h in range(0, hours + 1, 6):
        at = label_w + h / hours * inner_w
        anchor = "end" if h == hours else "start" if h == 0 else "middle"
        parts.append(f'<line x1="{at:.1f}" y1="14" x2="{at:.1f}" y2="{16 + strip_h * len(rows)}" stroke="#8884"/>'
                     f'<text x="{at:.1f}" y="11" font-size="10" text-anchor="{anchor}" fill="currentColor">'
                     f"+{h}h</text>")
    for i, (label, fires, moments) in enumerate(rows):
        top = 16 + strip_h * i
        parts.append(f'<g data-row="{_e(label)}"><text x="4" y="{top + 17}" font-size="11" fill="currentColor">'
                     f'{_e(label[:30])}</text>'
                     f'<rect x="{label_w}" y="{top + 4}" width="{inner_w}" height="{strip_h - 8}" fill="#8881"/>')
        for fire in fires:
            parts.append(f'<line class="fire" x1="{x(fire):.1f}" y1="{top + 5}" x2="{x(fire):.1f}" '
                         f'y2="{top + strip_h - 5}" stroke="#0b62a4" stroke-width="2"><title>{_e(_seconds(fire))}'
                         f"</title></line>")
        for moment in moments:
            parts.append(f'<line class="dst" x1="{x(moment):.1f}" y1="{top + 1}" x2="{x(moment):.1f}" '
                         f'y2="{top + strip_h - 1}" stroke="#c0392b" stroke-width="2" stroke-dasharray="3 2">'
                         f"<title>daylight saving: {_e(_seconds(moment))}</title></line>")
        parts.append("</g>")
    height = 20 + strip_h * len(rows)
    return (f'<svg class="timeline" viewBox="0 0 {WIDTH + 120} {height}" role="img" '
            f'aria-label="Invocations in the next {hours} hours, one strip per schedule; daylight-saving changes '
            f'marked" xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')


__all__ = ["dst_moments", "line_chart", "timeline"]
