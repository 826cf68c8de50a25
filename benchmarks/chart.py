"""An SVG chart of the operator-scaling table (no plotting library): one panel per operator, events/s
against the number of rules on log-log axes, one line per engine."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping

ENGINES = {"eventmatch": "#0b62a4", "event-ruler": "#c0392b", "quamina": "#1b8a3a"}
PANEL_W, PANEL_H, PAD_L, PAD_B, PAD_T, COLUMNS = 300, 190, 48, 30, 26, 3


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _label(rate: float) -> str:
    if rate >= 1e6:
        return f"{rate / 1e6:g}M"
    if rate >= 1e3:
        return f"{rate / 1e3:g}k"
    return f"{rate:g}"


def operators_chart(rates: Mapping[str, Mapping[str, Mapping[int, float]]]) -> str:
    """``rates``: operator -> engine -> {rules: events/s}. Engines with no figure for an operator (an
    operator it does not support) have no line in its panel."""
    values = [r for by_engine in rates.values() for by_n in by_engine.values() for r in by_n.values() if r > 0]
    sizes = sorted({n for by_engine in rates.values() for by_n in by_engine.values() for n in by_n})
    if not values or not sizes:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    low = 10 ** math.floor(math.log10(min(values)))
    high = 10 ** math.ceil(math.log10(max(values)))
    x_low, x_high = math.log10(sizes[0]), math.log10(sizes[-1])
    inner_w, inner_h = PANEL_W - PAD_L - 30, PANEL_H - PAD_T - PAD_B
    rows = math.ceil(len(rates) / COLUMNS)
    width, height = PANEL_W * COLUMNS, PANEL_H * rows + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" font-family="sans-serif" font-size="11" role="img" aria-label="Events per second '
             f'against the number of rules on one field, per operator and engine (log scales)">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for i, (operator, by_engine) in enumerate(rates.items()):
        ox, oy = (i % COLUMNS) * PANEL_W, (i // COLUMNS) * PANEL_H

        def x(n: int, ox: int = ox) -> float:
            span = (x_high - x_low) or 1.0
            return ox + PAD_L + (math.log10(n) - x_low) / span * inner_w

        def y(rate: float, oy: int = oy) -> float:
            return oy + PAD_T + inner_h - (math.log10(rate) - math.log10(low)) / (
                math.log10(high) - math.log10(low)) * inner_h

        parts.append(f'<text x="{ox + PAD_L}" y="{oy + 16}" font-weight="bold">{_e(operator)}</text>')
        parts.append(f'<rect x="{ox + PAD_L}" y="{oy + PAD_T}" width="{inner_w}" height="{inner_h}" fill="none" '
                     f'stroke="#999"/>')
        decade = low
        while decade <= high:
            parts.append(f'<line x1="{ox + PAD_L}" x2="{ox + PAD_L + inner_w}" y1="{y(decade):.1f}" '
                         f'y2="{y(decade):.1f}" stroke="#ddd"/><text x="{ox + PAD_L - 4}" y="{y(decade) + 4:.1f}" '
                         f'text-anchor="end">{_label(decade)}</text>')
            decade *= 10
        for n in sizes:
            parts.append(f'<text x="{x(n):.1f}" y="{oy + PAD_T + inner_h + 14}" text-anchor="middle">{n:,}</text>')
        for engine, colour in ENGINES.items():
            points = sorted((n, r) for n, r in by_engine.get(engine, {}).items() if r > 0)
            if not points:
                continue
            path = " ".join(f"{x(n):.1f},{y(r):.1f}" for n, r in points)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
            parts.extend(f'<circle cx="{x(n):.1f}" cy="{y(r):.1f}" r="2.5" fill="{colour}"/>' for n, r in points)
    legend_y = height - 10
    for j, (engine, colour) in enumerate(ENGINES.items()):
        parts.append(f'<rect x="{PAD_L + 130 * j}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{PAD_L + 130 * j + 14}" y="{legend_y}">{_e(engine)}</text>')
    parts.append(f'<text x="{width - 10}" y="{legend_y}" text-anchor="end">x: rules on one field; '
                 f"y: events/s (log scales)</text></svg>")
    return "".join(parts)


__all__ = ["operators_chart"]
