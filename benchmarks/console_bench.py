"""The console's rules page with 10,000 rules: time to first byte, and to a usable page in Chromium.

    python -m benchmarks.console_bench [--rules N] [--rounds R] [--out PAGE]

A server in this process with N rules on the default bus (each with a pattern). Per round:

* time to first byte of ``GET /rules`` (http.client: the request sent to the status line read), and of
  ``GET /rules?q=rule-9999`` (a search);
* time to a usable page in Debian's Chromium (Playwright): from navigation to the rules table's rows being
  in the page, the script loaded (``domcontentloaded`` and the first row visible).

Each figure keeps its best round. The table replaces the part of the page (docs/console.md by default)
between ``<!-- console-bench:start -->`` and ``<!-- console-bench:end -->``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import time
from datetime import date
from pathlib import Path

from eventmatch import EventBridge
from eventmatch.server import Server

START, END = "<!-- console-bench:start -->", "<!-- console-bench:end -->"


def _first_byte(port: int, path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    started = time.perf_counter()
    connection.request("GET", path)
    answer = connection.getresponse()
    elapsed = time.perf_counter() - started
    answer.read()
    connection.close()
    return elapsed * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("docs/console.md"))
    args = parser.parse_args()
    best: dict[str, float] = {}
    with Server(EventBridge()) as server:
        bus = server.bridge.bus()
        for i in range(args.rules):
            bus.put_rule(f"rule-{i}", json.dumps({"source": [f"app-{i}"], "detail": {"n": [i]}}))
        chromium = shutil.which("chromium")
        driver = None
        if chromium:
            from playwright.sync_api import sync_playwright

            driver = sync_playwright().start()
            browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(args.rounds):
            figures = {"ttfb list ms": _first_byte(server.port, "/rules"),
                       "ttfb search ms": _first_byte(server.port, f"/rules?q=rule-{args.rules - 1}")}
            if driver is not None:
                page = browser.new_page()
                started = time.perf_counter()
                page.goto(server.endpoint_url + "/rules", wait_until="domcontentloaded")
                page.locator("#rules tbody tr").first.wait_for()
                figures["usable ms"] = (time.perf_counter() - started) * 1000
                page.close()
            for key, value in figures.items():
                best[key] = min(best.get(key, value), value)
        if driver is not None:
            browser.close()
            driver.stop()
    usable = f"{best['usable ms']:.0f} ms" if "usable ms" in best else "not measured (no Chromium)"
    table = "\n".join([
        START,
        f"Measured by `make bench-console` on {date.today().isoformat()} (best of {args.rounds} rounds; "
        f"{args.rules:,} rules on one bus, 100 to a page).",
        "",
        "| figure | value |",
        "|---|---|",
        f"| `GET /rules`, time to first byte | {best['ttfb list ms']:.0f} ms |",
        f"| `GET /rules?q=...` (a search), time to first byte | {best['ttfb search ms']:.0f} ms |",
        f"| `/rules` in Chromium, to a usable page (the table's rows in place) | {usable} |",
        END,
    ])
    text = args.out.read_text() if args.out.exists() else ""
    if START in text:
        text = text[: text.index(START)] + table + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## Speed\n\n" + table + "\n"
    args.out.write_text(text)
    print(table)


if __name__ == "__main__":
    main()
