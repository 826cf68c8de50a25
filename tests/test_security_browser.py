"""Cross-origin attacks from a real browser (Debian's Chromium, as the console's tests run it): a page served
from another origin (another port of 127.0.0.1) tries every state-changing route of ``eventmatch serve``
with ``fetch`` (no-cors and cors) and with form posts; afterwards boto3 sees nothing changed. With
``--allow-origin`` for that origin, the page calls the AWS API and reads the answer."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

pytest.importorskip("starlette")
playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make chromium installs it)")

from eventmatch import EventBridge  # noqa: E402
from eventmatch.bus import VirtualClock  # noqa: E402
from eventmatch.server import Server  # noqa: E402
from eventmatch.server.security import SecurityPolicy  # noqa: E402
from tests.aws_clients import client  # noqa: E402
from tests.test_security import CHANGES, snapshot  # noqa: E402

ATTACK = """<!doctype html><html><head><title>attacking</title></head><body>
<iframe name="sink" style="display:none"></iframe>
<script>
const target = %(target)s, changes = %(changes)s, api = %(api)s;
const results = [];
async function attempt(label, url, options) {
  try { const answer = await fetch(url, options); results.push([label, answer.type, answer.status]); }
  catch (error) { results.push([label, "error", String(error)]); }
}
function formPost(url, enctype, body) {
  const form = document.createElement("form");
  form.method = "POST"; form.action = url; form.enctype = enctype; form.target = "sink";
  const field = document.createElement("input");
  field.name = body.slice(0, 1); field.value = body.slice(1); form.appendChild(field);
  document.body.appendChild(form); form.submit();
}
(async () => {
  for (const [method, path, body] of changes) {
    const url = target + path;
    await attempt(`no-cors ${method} ${path}`, url, {method, mode: "no-cors", body,
                                                     headers: {"Content-Type": "text/plain"}});
    await attempt(`cors ${method} ${path}`, url, {method, mode: "cors", body,
                                                  headers: {"Content-Type": "application/json"}});
    if (method === "POST" && body) {
      formPost(url, "text/plain", body);
      formPost(url, "application/x-www-form-urlencoded", body);
      formPost(url, "multipart/form-data", body);
    }
  }
  for (const [action, body] of api) {
    await attempt(`api no-cors ${action}`, target + "/", {method: "POST", mode: "no-cors", body,
                                                         headers: {"Content-Type": "text/plain"}});
    await attempt(`api cors ${action}`, target + "/", {method: "POST", mode: "cors", body, headers: {
      "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": `AWSEvents.${action}`}});
  }
  await new Promise((done) => setTimeout(done, 1500));  // the forms' posts, in the hidden frame
  window.results = results;
  document.title = "done";
})();
</script></body></html>"""

CALL_API = """<!doctype html><html><head><title>calling</title></head><body><script>
(async () => {
  const answer = await fetch(%(target)s + "/", {method: "POST", body: JSON.stringify({Name: "from-the-browser"}),
    headers: {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AWSEvents.CreateEventBus",
              "X-Amz-Date": "20260101T000000Z", "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/"
              + "us-east-1/events/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=00"}});
  window.answer = {status: answer.status, body: await answer.json(),
                   requestId: answer.headers.get("x-amzn-RequestId")};
  document.title = "done";
})();
</script></body></html>"""

#: AWS API actions that change state, tried from the page
API = [("CreateEventBus", json.dumps({"Name": "evil"})), ("DeleteRule", json.dumps({"Name": "kept"})),
       ("PutTargets", json.dumps({"Rule": "kept", "Targets": [{"Id": "evil",
                                                               "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}]}))]


class _Pages:
    """Serves one page (the attacker's site) on another port of 127.0.0.1."""

    def __init__(self) -> None:
        self.html = ""
        pages = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def pages() -> Iterator[_Pages]:
    running = _Pages()
    yield running
    running.server.shutdown()


def _run(browser: Any, url: str) -> Any:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(url)
        page.wait_for_function("document.title === 'done'")
        return page.evaluate("window.results || window.answer")
    finally:
        context.close()


def test_a_page_of_another_origin_changes_nothing(browser: Any, pages: _Pages) -> None:
    with Server(EventBridge(clock=VirtualClock(datetime(2026, 1, 1, tzinfo=UTC)))) as server:
        events = client("events", server.endpoint_url)
        events.put_rule(Name="kept", EventPattern='{"source": ["a"]}')
        client("scheduler", server.endpoint_url).create_schedule_group(Name="kept")
        before = snapshot(server)
        pages.html = ATTACK % {"target": json.dumps(server.endpoint_url),
                               "changes": json.dumps([[m, p, b] for m, p, b in CHANGES]), "api": json.dumps(API)}
        results = _run(browser, pages.origin + "/")
        assert len(results) == 2 * len(CHANGES) + 2 * len(API)
        # no answer the page could read: no-cors answers are opaque, cors ones fail for want of CORS headers
        assert all(kind in ("opaque", "error") for _, kind, _ in results), results
        server.inbox.wait_idle()
        assert snapshot(server) == before


def test_with_allow_origin_a_browser_app_calls_the_aws_api(browser: Any, pages: _Pages) -> None:
    with Server(EventBridge(), security=SecurityPolicy.of(allow_origins=[pages.origin])) as server:
        pages.html = CALL_API % {"target": json.dumps(server.endpoint_url)}
        answer = _run(browser, pages.origin + "/")
        assert answer["status"] == 200, answer
        assert answer["body"]["EventBusArn"].endswith(":event-bus/from-the-browser")
        names = [b["Name"] for b in client("events", server.endpoint_url).list_event_buses()["EventBuses"]]
        assert "from-the-browser" in names
