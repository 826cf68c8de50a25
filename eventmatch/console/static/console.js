// eventmatch console: the sandbox (validation as you type, test, target input, create a rule), actions on
// buses, rules, targets, archives and replays (through the API's own handlers), the live tail and its
// drill-down, redrive, and the metrics charts' refresh.
"use strict";

async function post(path, body) {
  const answer = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                    body: JSON.stringify(body)});
  return {status: answer.status, body: await answer.json()};
}

function sandbox() {
  const form = document.getElementById("sandbox");
  if (!form) return;
  const samples = JSON.parse(document.getElementById("samples").textContent);
  const sample = document.getElementById("sample"), event = document.getElementById("event");
  const pattern = document.getElementById("pattern"), error = document.getElementById("pattern-error");
  const result = document.getElementById("result"), explanation = document.getElementById("explanation");
  const load = () => { event.value = JSON.stringify(samples[Number(sample.value)], null, 2); };
  sample.addEventListener("change", load);
  const catalogue = document.getElementById("catalogue");
  catalogue.addEventListener("change", async () => {  // "source: detail-type", one of the datalist's
    const at = catalogue.value.indexOf(": ");
    if (at < 0) return;
    const query = new URLSearchParams({source: catalogue.value.slice(0, at),
                                       "detail-type": catalogue.value.slice(at + 2)});
    const answer = await fetch(`/_eventmatch/console/sample?${query}`);
    if (answer.ok) event.value = JSON.stringify(await answer.json(), null, 2);
  });
  load();
  let timer = null;
  async function test(show) {
    const {body} = await post("/_eventmatch/console/test", {event: event.value, pattern: pattern.value});
    if (!body.valid) {
      error.textContent = `line ${body.line}, column ${body.column}: ${body.message}`;
      pattern.setAttribute("aria-invalid", "true");
      result.textContent = ""; result.className = ""; explanation.replaceChildren();
      return;
    }
    error.textContent = ""; pattern.removeAttribute("aria-invalid");
    if (!show) return;
    if (body.eventError) { result.textContent = `The event is not valid: ${body.eventError}`; return; }
    result.textContent = body.matched ? "Match" : "No match";
    result.className = body.matched ? "matched" : "unmatched";
    explanation.replaceChildren(...body.explanation.branches.flatMap((branch) => branch.fields.map((field) => {
      const item = document.createElement("li");
      item.textContent = `${field.path}: ${field.reason}`;  // the reason says "met by" or "not met: ..."
      item.dataset.path = field.path; item.dataset.met = String(field.met);
      return item;
    })));
  }
  pattern.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => test(false), 250); });
  document.getElementById("test").addEventListener("click", () => test(true));
  document.getElementById("create-rule").addEventListener("click", async () => {
    const status = document.getElementById("create-result");
    const {status: code, body} = await post("/_eventmatch/console/api", {action: "PutRule", params: {
      Name: document.getElementById("rule-name").value, EventBusName: document.getElementById("rule-bus").value,
      EventPattern: pattern.value}});
    status.textContent = code === 200 ? `Created ${body.RuleArn}` : `${body.__type || "Error"}: ${body.message}`;
  });
}

const api = (action, params) => post("/_eventmatch/console/api", {action, params});

function say(id, status, body, done) {
  document.getElementById(id).textContent = status === 200 ? done : `${body.__type || "Error"}: ${body.message}`;
}

function targetInput() {
  const button = document.getElementById("show-input");
  if (!button) return;
  const kind = document.getElementById("input-kind");
  const fields = {value: ["InputPath", "Input"], paths: ["InputTransformer"], template: ["InputTransformer"]};
  const shown = () => {
    for (const [name, kinds] of Object.entries(fields)) {
      const field = document.getElementById(`input-${name}`);
      const visible = kinds.includes(kind.value);
      field.hidden = !visible; field.previousElementSibling.hidden = !visible;
    }
  };
  kind.addEventListener("change", shown); shown();
  button.addEventListener("click", async () => {
    const {body} = await post("/_eventmatch/console/transform", {
      event: document.getElementById("event").value, kind: kind.value,
      value: document.getElementById("input-value").value, pathsMap: document.getElementById("input-paths").value,
      template: document.getElementById("input-template").value});
    document.getElementById("input-error").textContent = body.error || "";
    document.getElementById("received").textContent = body.error ? "" : body.received;
  });
}

function forms() {
  const on = (id, handler) => { const form = document.getElementById(id); if (form) form.addEventListener("submit", handler); };
  const value = (id) => document.getElementById(id).value;
  const reloadAfter = (status) => { if (status === 200) setTimeout(() => location.reload(), 400); };
  on("create-bus", async () => {
    const params = {Name: value("bus-name")};
    if (value("bus-description")) params.Description = value("bus-description");
    const {status, body} = await api("CreateEventBus", params);
    say("bus-status", status, body, `Created ${body.EventBusArn}`); reloadAfter(status);
  });
  on("edit-rule", async (submit) => {
    const form = submit.target, params = {Name: form.dataset.rule, EventBusName: form.dataset.bus,
                                          State: value("edit-state"), Description: value("edit-description")};
    if (value("edit-pattern").trim()) params.EventPattern = value("edit-pattern");
    if (value("edit-schedule").trim()) params.ScheduleExpression = value("edit-schedule");
    const {status, body} = await api("PutRule", params);
    say("rule-status", status, body, `Saved ${body.RuleArn}`); reloadAfter(status);
  });
  on("add-target", async (submit) => {
    const form = submit.target;
    let settings;
    try { settings = JSON.parse(value("target-settings") || "{}"); } catch (error) {
      document.getElementById("rule-status").textContent = `Other settings are not JSON: ${error.message}`; return;
    }
    const target = {...settings, Id: value("target-id"), Arn: value("target-arn")};
    const {status, body} = await api("PutTargets", {Rule: form.dataset.rule, EventBusName: form.dataset.bus,
                                                   Targets: [target]});
    const failed = (body.FailedEntries || [])[0];
    const element = document.getElementById("rule-status");
    if (status !== 200) element.textContent = `${body.__type || "Error"}: ${body.message}`;
    else if (failed) element.textContent = `${failed.ErrorCode}: ${failed.ErrorMessage}`;
    else { element.textContent = `Saved target ${target.Id}`; reloadAfter(status); }
  });
  on("create-archive", async () => {
    const arns = JSON.parse(document.getElementById("bus-arns").textContent);
    const params = {ArchiveName: value("archive-name"), EventSourceArn: arns[value("archive-bus")],
                    RetentionDays: Number(value("archive-retention"))};
    if (value("archive-pattern").trim()) params.EventPattern = value("archive-pattern");
    const {status, body} = await api("CreateArchive", params);
    say("archive-status", status, body, `Created ${body.ArchiveArn}`); reloadAfter(status);
  });
  on("start-replay", async () => {
    const arns = JSON.parse(document.getElementById("bus-arns").textContent);
    const seconds = (id) => Date.parse(`${value(id)}:00Z`) / 1000;
    const {status, body} = await api("StartReplay", {
      ReplayName: value("replay-name"), EventSourceArn: value("replay-archive"),
      EventStartTime: seconds("replay-start"), EventEndTime: seconds("replay-end"),
      Destination: {Arn: arns[value("replay-bus")]}});
    say("archive-status", status, body, `Started ${body.ReplayArn}: ${body.State}`); reloadAfter(status);
  });
}

function followReplays() {
  const rows = document.querySelectorAll("#replays tr[data-replay]");
  const ended = ["COMPLETED", "CANCELLED", "FAILED"];
  const poll = async () => {
    let running = 0;
    for (const row of rows) {
      const state = row.querySelector(".state");
      if (ended.includes(state.textContent)) continue;
      const {status, body} = await api("DescribeReplay", {ReplayName: row.dataset.replay});
      if (status !== 200) continue;
      state.textContent = body.State; row.querySelector(".reason").textContent = body.StateReason || "";
      row.querySelector(".last").textContent = body.EventLastReplayedTime || "";
      if (ended.includes(body.State)) { const button = row.querySelector("button"); if (button) button.remove(); }
      else running += 1;
    }
    if (running) setTimeout(poll, 1000);
  };
  if (rows.length) poll();
}

const BUTTONS = {
  DeleteEventBus: (b) => ({Name: b.dataset.name}),
  DeleteArchive: (b) => ({ArchiveName: b.dataset.name}),
  CancelReplay: (b) => ({ReplayName: b.dataset.name}),
  RemoveTargets: (b) => ({Rule: b.dataset.rule, EventBusName: b.dataset.bus, Ids: [b.dataset.target]}),
};

function buttons() {
  document.addEventListener("click", async (click) => {
    const button = click.target.closest("button[data-action]");
    if (!button || !(button.dataset.action in BUTTONS)) return;
    const {status, body} = await api(button.dataset.action, BUTTONS[button.dataset.action](button));
    const where = document.querySelector("[role=status]");
    if (where) where.textContent = status === 200 ? `${button.dataset.action}: done` : `${body.__type}: ${body.message}`;
    if (status === 200) setTimeout(() => location.reload(), 400);
  });
}

function redrive() {
  for (const button of document.querySelectorAll("button[data-redrive]")) {
    button.addEventListener("click", async () => {
      const {status, body} = await post("/_eventmatch/console/redrive", {seq: Number(button.dataset.redrive)});
      document.getElementById("redrive-status").textContent = status !== 200 ? body.message
        : body.outcome === "SUCCEEDED" ? "Redriven: delivered." : `Redriven: failed again: ${body.error}`;
      setTimeout(() => location.reload(), 600);
    });
  }
}

function metricsRefresh() {
  const charts = document.getElementById("charts");
  if (!charts) return;
  setInterval(async () => {
    const answer = await fetch(`/metrics?fragment=1${location.search.replace("?", "&")}`);
    if (answer.ok) charts.innerHTML = await answer.text();
  }, 5000);
}

async function why(id) {
  const section = document.getElementById("why");
  const answer = await fetch(`/_eventmatch/console/why/${encodeURIComponent(id)}`);
  const body = await answer.json();
  section.hidden = false;
  document.getElementById("why-title").textContent = answer.ok
    ? `Event ${id} on ${body.bus}` + (body.left ? ` (${body.left} more rules not shown)` : "") : body.message;
  const rows = (body.rules || []).map((rule) => {
    const row = document.createElement("tr");
    row.dataset.rule = rule.rule; row.dataset.matched = String(rule.matched);
    for (const text of [rule.rule + (rule.enabled ? "" : " (disabled)"), rule.matched ? "yes" : "no", rule.reason]) {
      const cell = document.createElement("td"); cell.textContent = text; row.appendChild(cell);
    }
    return row;
  });
  document.querySelector("#why-rules tbody").replaceChildren(...rows);
  section.querySelector("h2").focus?.();
}

function ruleActions() {
  const table = document.getElementById("rules");
  if (!table) return;
  table.addEventListener("click", async (click) => {
    const button = click.target.closest("button[data-action]");
    if (!button) return;
    const {status, body} = await post("/_eventmatch/console/api", {action: button.dataset.action,
      params: {Name: button.dataset.rule, EventBusName: button.dataset.bus}});
    document.getElementById("rule-status").textContent = status === 200
      ? `${button.dataset.action} ${button.dataset.rule}: done` : `${body.__type}: ${body.message}`;
    if (status === 200) setTimeout(() => location.reload(), 300);
  });
}

function tail() {
  const table = document.querySelector("#tail tbody");
  if (!table) return;
  const status = document.getElementById("tail-status");
  const source = new EventSource("/_eventmatch/console/tail");
  source.onopen = () => { status.textContent = "Connected."; };
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    const row = document.createElement("tr");
    row.dataset.id = event.id;
    for (const value of [event.time, event.bus, event.source, event["detail-type"], event.rules.join(", ") || "none"]) {
      const cell = document.createElement("td"); cell.textContent = value; row.appendChild(cell);
    }
    const cell = document.createElement("td"), button = document.createElement("button");
    button.type = "button"; button.textContent = "Why?"; button.setAttribute("aria-label", `Why: event ${event.id}`);
    button.addEventListener("click", () => why(event.id));
    cell.appendChild(button); row.appendChild(cell);
    table.prepend(row);
    while (table.rows.length > 500) table.deleteRow(-1);
  };
  source.addEventListener("skipped", (message) => {
    status.textContent = `Sampling: ${message.data} events not shown (more than 250 a second).`;
  });
}

async function pairPicker() {  // the account and region shown: a cookie the server reads on every page
  const picker = document.getElementById("pair-picker");
  if (!picker) return;
  const answer = await fetch("/_eventmatch/console/pairs");
  if (!answer.ok) return;
  const {pairs, current} = await answer.json();
  for (const pair of pairs) {
    const option = document.createElement("option");
    option.value = pair; option.textContent = pair.replace(":", " · "); option.selected = pair === current;
    picker.appendChild(option);
  }
  picker.addEventListener("change", () => {
    document.cookie = `eventmatch_pair=${picker.value}; path=/; SameSite=Strict`;  // digits, letters, "-" and ":"
    location.reload();
  });
}

function clock() {
  for (const button of document.querySelectorAll("button[data-advance]")) {
    button.addEventListener("click", async () => {
      await post("/_eventmatch/clock", {advance: Number(button.dataset.advance)});
      location.reload();
    });
  }
}

sandbox(); targetInput(); forms(); buttons(); followReplays(); redrive(); metricsRefresh(); ruleActions(); tail();
clock(); pairPicker();
