"""The frame every console page shares: navigation, skip link, styles and script."""

from __future__ import annotations

import html
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from ..jsonbody import BodyError, read_object

CURRENT = ' aria-current="page"'
LINKS = (("/", "Overview"), ("/sandbox", "Sandbox"), ("/buses", "Buses"), ("/rules", "Rules"), ("/tail", "Live tail"),
         ("/deliveries", "Deliveries"), ("/timeline", "Schedules"), ("/archives", "Archives"), ("/metrics", "Metrics"))


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


#: characters that JSON allows in a string but that end or confuse a script element, or a line in one
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                                 "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value: Any) -> str:
    """JSON to embed in a ``<script type="application/json">`` element: ``<``, ``>``, ``&``, U+2028 and U+2029
    escaped, so that no text in it (``</script>``, ``<!--<script>``) can end or change the element."""
    return json.dumps(value, default=str).translate(_SCRIPT_ESCAPES)


async def json_body(request: Request) -> dict[str, Any] | JSONResponse:
    """A console endpoint's body, a JSON object; or the 400 answer that says what is wrong with it."""
    try:
        return read_object(await request.body())
    except BodyError as exc:
        return JSONResponse({"message": str(exc)}, status_code=400)


def _layout(title: str, body: str, current: str) -> HTMLResponse:
    nav = "".join(f'<a href="{href}"{CURRENT if href == current else ""}>{name}</a>' for href, name in LINKS)
    return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} · eventmatch</title><link rel="stylesheet" href="/_eventmatch/console/static/console.css">
</head><body><a class="skip" href="#main">Skip to content</a>
<header><strong>eventmatch</strong><nav aria-label="Console">{nav}</nav>
<label class="pair">Account and region <select id="pair-picker"></select></label></header>
<main id="main"><h1>{_e(title)}</h1>{body}</main>
<script src="/_eventmatch/console/static/console.js" defer></script></body></html>""".encode("utf-8", "replace"))


__all__ = ["CURRENT", "LINKS", "_e", "_layout", "json_body", "script_json"]
