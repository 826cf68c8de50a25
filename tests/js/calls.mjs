// Runs AWS SDK for JavaScript v3 calls against an endpoint, for tests/test_js_sdk.py.
// Reads a JSON list of calls from stdin: {"service": "events" | "scheduler" | "schemas", "op": "PutEvents", "input": {...},
// "region": "us-east-1", "accessKeyId": "test"}; a value {"$date": "<ISO 8601>"} becomes a Date, as an SDK
// user passes timestamps. Writes a JSON list of results: the output (Dates as {"$date": ISO}, metadata's
// requestId kept) or {"error": name, "message": ..., "status": ...}.
import * as eventbridge from "@aws-sdk/client-eventbridge";
import * as scheduler from "@aws-sdk/client-scheduler";
import * as schemas from "@aws-sdk/client-schemas";

const endpoint = process.env.EVENTMATCH_ENDPOINT;
const modules = {
  events: [eventbridge, "EventBridgeClient"],
  scheduler: [scheduler, "SchedulerClient"],
  schemas: [schemas, "SchemasClient"],
};

function revive(value) {
  if (Array.isArray(value)) return value.map(revive);
  if (value && typeof value === "object") {
    if (typeof value.$date === "string") return new Date(value.$date);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  }
  return value;
}

function shown(value) {
  if (value instanceof Date) return { $date: value.toISOString() };
  if (value instanceof Uint8Array) return { $bytes: value.length, zip: value[0] === 0x50 && value[1] === 0x4b };
  if (Array.isArray(value)) return value.map(shown);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shown(v)]));
  }
  return value;
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const calls = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const results = [];
for (const call of calls) {
  const [module, clientName] = modules[call.service];
  const client = new module[clientName]({
    endpoint,
    region: call.region ?? "us-east-1",
    credentials: { accessKeyId: call.accessKeyId ?? "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  try {
    const output = await client.send(new module[`${call.op}Command`](revive(call.input ?? {})));
    const { $metadata, ...rest } = output;
    results.push({ ...shown(rest), requestId: $metadata.requestId ?? null });
  } catch (err) {
    results.push({ error: err.name, message: err.message, status: err.$metadata?.httpStatusCode ?? null });
  }
}
process.stdout.write(JSON.stringify(results));
