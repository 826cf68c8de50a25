// eventmatch console: the sandbox (validation as you type, test, create a rule), rule actions, the live tail.
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
      item.textContent = `${field.path}: ${field.met ? "met" : "not met"}: ${field.reason}`;
      item.dataset.path = field.path; item.dataset.met = String(field.met);
      return item;
    })));
  }
  pattern.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => test(false), 250); });
  document.getElementById("test").addEventListener("click", () => test(true));
  document.getElementById("create-rule").addEventListener("click", async () => {
    const status = document.getElementById("create-result");
    const {status: code, body} = await post("/_eventmatch/console/rules", {action: "PutRule", params: {
      Name: document.getElementById("rule-name").value, EventBusName: document.getElementById("rule-bus").value,
      EventPattern: pattern.value}});
    status.textContent = code === 200 ? `Created ${body.RuleArn}` : `${body.__type || "Error"}: ${body.message}`;
  });
}

function ruleActions() {
  const table = document.getElementById("rules");
  if (!table) return;
  table.addEventListener("click", async (click) => {
    const button = click.target.closest("button[data-action]");
    if (!button) return;
    const {status, body} = await post("/_eventmatch/console/rules", {action: button.dataset.action,
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
    table.prepend(row);
    while (table.rows.length > 500) table.deleteRow(-1);
  };
  source.addEventListener("skipped", (message) => {
    status.textContent = `Sampling: ${message.data} events not shown (more than 250 a second).`;
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

sandbox(); ruleActions(); tail(); clock();
