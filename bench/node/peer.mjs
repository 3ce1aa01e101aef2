// The JavaScript peers of bench/run.sh, one per process, one scenario per
// run, one JSON line on stdout with the same fields as `bedrock-bench`:
//
//   node peer.mjs js-sdk|pi-ai ttfe ENDPOINT RUNS
//   node peer.mjs js-sdk|pi-ai ttfe-cold ENDPOINT RUNS
//   node peer.mjs js-sdk|pi-ai throughput ENDPOINT WORDS
//   node peer.mjs js-sdk|pi-ai concurrent ENDPOINT STREAMS WORDS SLOW_MS
//
// js-sdk: @aws-sdk/client-bedrock-runtime's ConverseStream with one client
// (its default NodeHttp2Handler: HTTP/2, over TLS or h2c), as tests/node does.
// pi-ai: @mariozechner/pi-ai's `stream` on its amazon-bedrock provider,
// which builds its own SDK client per call; keys come from the environment.
// Over TLS both trust the emulator's CA through NODE_EXTRA_CA_CERTS, as Node
// users trust a private one. ttfe-cold: a fresh client per stream (for pi-ai,
// what every call does anyway).
// CPU is process.cpuUsage() (getrusage user+sys); RSS is sampled every 5 ms.

import { BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import { getModel, stream as piStream } from "@mariozechner/pi-ai";
import { readFileSync } from "node:fs";

const ACCESS_KEY = "AKIDEXAMPLE";
const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0";

const [peerName, mode, endpoint, ...rest] = process.argv.slice(2);

const prompt = (words, slow = 0) =>
  slow ? `Hello [emulator words=${words} slow=${slow}]` : `Hello [emulator words=${words}]`;

// Each peer: prompt -> { events, text, firstEventMs, error }.
function jsSdk() {
  const client = new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
    maxAttempts: 1,
  });
  const run = async (text) => {
    const out = { events: 0, text: "", firstEventMs: null, error: null };
    const start = performance.now();
    try {
      const response = await client.send(
        new ConverseStreamCommand({
          modelId: MODEL,
          system: [{ text: "You are terse." }],
          messages: [{ role: "user", content: [{ text }] }],
          inferenceConfig: { temperature: 0.5 },
        }),
      );
      for await (const event of response.stream) {
        out.firstEventMs ??= performance.now() - start;
        out.events += 1;
        const delta = event.contentBlockDelta?.delta?.text;
        if (delta !== undefined) out.text += delta;
      }
    } catch (e) {
      out.error = e.name ?? String(e);
    }
    return out;
  };
  // Closes the client's HTTP/2 session, so a fresh client's call is cold.
  run.close = () => client.destroy();
  return run;
}

function piAi() {
  const model = { ...getModel("amazon-bedrock", MODEL), baseUrl: endpoint };
  return async (text) => {
    const out = { events: 0, text: "", firstEventMs: null, error: null };
    const start = performance.now();
    const context = {
      systemPrompt: "You are terse.",
      messages: [{ role: "user", content: text, timestamp: Date.now() }],
    };
    for await (const event of piStream(model, context, { cacheRetention: "none", temperature: 0.5 })) {
      out.firstEventMs ??= performance.now() - start;
      out.events += 1;
      if (event.type === "text_delta") out.text += event.delta;
      if (event.type === "error") out.error = event.error.errorMessage ?? event.reason;
    }
    return out;
  };
}

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const rssKib = () => Math.round(process.memoryUsage.rss() / 1024);
// Proportional set size (see bench/src/measure.rs: the figure that counts a
// page mapped many times once).
const pssKib = () => Number(/^Pss:\s+(\d+)/m.exec(readFileSync("/proc/self/smaps_rollup", "utf8"))?.[1] ?? 0);

async function warmUp(run) {
  const out = await run(prompt(8));
  if (out.error) throw new Error(`warm-up stream failed: ${out.error}`);
}

const makePeer = { "js-sdk": jsSdk, "pi-ai": piAi }[peerName];
const run = makePeer();
let report;
if (mode === "ttfe" || mode === "ttfe-cold") {
  const runs = Number(rest[0]);
  for (let i = 0; i < 3; i++) await warmUp(run);
  const ms = [];
  for (let i = 0; i < runs; i++) {
    // Cold: a fresh client, made before the timer starts, closed after.
    const peer = mode === "ttfe-cold" ? makePeer() : run;
    const out = await peer(prompt(24));
    if (peer !== run) peer.close?.();
    if (out.error) throw new Error(`ttfe stream failed: ${out.error}`);
    ms.push(out.firstEventMs);
  }
  report = { ttfe_ms: ms };
} else if (mode === "throughput") {
  const words = Number(rest[0]);
  await warmUp(run);
  const [cpu, start] = [cpuMs(), performance.now()];
  const out = await run(prompt(words));
  const [wall, cpu2] = [(performance.now() - start) / 1000, cpuMs()];
  if (out.error) throw new Error(`throughput stream failed: ${out.error}`);
  report = { events: out.events, chars: out.text.length, wall_s: wall, cpu_ms: cpu2 - cpu };
} else if (mode === "concurrent") {
  const [streams, words, slow] = rest.map(Number);
  await warmUp(run);
  await new Promise((r) => setTimeout(r, 200));
  const [before, pssBefore] = [rssKib(), pssKib()];
  let [peak, pssPeak, samples, samplerCpu] = [before, pssBefore, 0, 0];
  const sampler = setInterval(() => {
    // The sampling's own CPU is not the peer's (bench/src/measure.rs).
    const since = process.cpuUsage();
    peak = Math.max(peak, rssKib());
    if (samples++ % 10 === 0) pssPeak = Math.max(pssPeak, pssKib());
    const { user, system } = process.cpuUsage(since);
    samplerCpu += (user + system) / 1000;
  }, 5);
  const [cpu, start] = [cpuMs(), performance.now()];
  const outs = await Promise.all(Array.from({ length: streams }, () => run(prompt(words, slow))));
  const [wall, cpu2] = [(performance.now() - start) / 1000, cpuMs()];
  clearInterval(sampler);
  [peak, pssPeak] = [Math.max(peak, rssKib()), Math.max(pssPeak, pssKib())];
  const errors = {};
  let [completed, events, chars] = [0, 0, 0];
  for (const out of outs) {
    events += out.events;
    if (out.error) errors[out.error] = (errors[out.error] ?? 0) + 1;
    else [completed, chars] = [completed + 1, chars + out.text.length];
  }
  report = {
    streams, completed, failed: streams - completed, errors, events, chars,
    rss_before_kib: before, rss_peak_kib: peak, pss_before_kib: pssBefore, pss_peak_kib: pssPeak,
    wall_s: wall, cpu_ms: cpu2 - cpu - samplerCpu, sampler_cpu_ms: samplerCpu,
  };
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify(report));
process.exit(0);
