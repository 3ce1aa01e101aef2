// The component outside wasmtime: transpiled by jco to core Wasm plus JS glue,
// its WASI imports served by @bytecodealliance/preview2-shim in Node and its
// wasi:keyvalue import by `keyvalue_memory.mjs`. If the plugin only relies on
// standard WASI 0.2, any conforming host runs it; this is a second one.
//
// Credentials and endpoint come from the environment (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL), which the shim passes to the guest.
// Prints one JSON line: the credential source, the streamed text, the stop
// reason, the events' tags in order, when the batches arrived, how often it
// waited on the stream's pollables, and two discoveries.
//
// usage: node jco_host.mjs TRANSPILED_DIR PROMPT

import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { poll } from "@bytecodealliance/preview2-shim/io";

const [dir, prompt] = process.argv.slice(2);
const { provider } = await import(pathToFileURL(join(dir, "bedrock_guest.js")).href);

const config = {};
const credentials = provider.credentialSource(config);
const started = performance.now();
const stream = provider.converseStream(config, {
  modelId: "anthropic.claude-3-5-sonnet-20240620-v1:0",
  system: "You are terse.",
  messages: [{ role: "user", content: [{ tag: "text", val: prompt }] }],
  tools: [],
  temperature: 0.5,
  stopSequences: [],
});
const summary = {
  credential_kind: credentials.kind,
  credential_label: credentials.label,
  events: [],
  text: "",
  stop_reason: null,
  // When the first and the last batch arrived, in ms: streaming, not buffering.
  first_batch_ms: null,
  last_batch_ms: null,
  batches: 0,
  // How often `next` had nothing and the script waited on `subscribe`.
  waits: 0,
};
// The wasi:io idiom of the contract: `next` never waits; when it has nothing
// yet, wait on the stream's pollables (here, in the host), then ask again.
for (let batch = stream.next(); batch !== undefined; batch = stream.next()) {
  if (batch.length === 0) {
    const pollables = stream.subscribe();
    poll.poll(pollables);
    for (const pollable of pollables) {
      pollable[Symbol.dispose]();
    }
    summary.waits += 1;
    continue;
  }
  summary.last_batch_ms = Math.round(performance.now() - started);
  summary.first_batch_ms ??= summary.last_batch_ms;
  summary.batches += 1;
  for (const event of batch) {
    summary.events.push(event.tag);
    if (event.tag === "text-delta") {
      summary.text += event.val.text;
    } else if (event.tag === "message-stop") {
      summary.stop_reason = event.val.rawReason;
    }
  }
}
// Discovery caches its result in wasi:keyvalue: the second call is served
// from keyvalue_memory.mjs.
const options = { providerFilter: [] };
summary.discovery = [provider.discover(config, options), provider.discover(config, options)].map((d) => ({
  status: d.status,
  models: d.models.length,
}));
console.log(JSON.stringify(summary));
