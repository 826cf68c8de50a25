"""The frame every console page shares: navigation, skip link, styles and script."""

from __future__ import annotations

import html
from typing import Any

from starlette.responses import HTMLResponse

CURRENT = ' aria-current="page"'
LINKS = (("/", "Overview"), ("/sandbox", "Sandbox"), ("/buses", "Buses"), ("/rules", "Rules"), ("/tail", "Live tail"),
         ("/deliveries", "Deliveries"), ("/timeline", "Schedules"), ("/archives", "Archives"), ("/metrics", "Metrics"))


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _layout(title: str, body: str, current: str) -> HTMLResponse:
    nav = "".join(f'<a href="{href}"{CURRENT if href == current else ""}>{name}</a>' for href, name in LINKS)
    return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} · eventmatch</title><link rel="stylesheet" href="/_eventmatch/console/static/console.css">
</head><body><a class="skip" href="#main">Skip to content</a>
<header><strong>eventmatch</strong><nav aria-label="Console">{nav}</nav></header>
<main id="main"><h1>{_e(title)}</h1>{body}</main>
<script src="/_eventmatch/console/static/console.js" defer></script></body></html>""")


__all__ = ["CURRENT", "LINKS", "_e", "_layout"]
