// The gateway's own client against serve's /v1/messages: @mariozechner/pi-ai's
// `anthropic-messages` provider (built on @anthropic-ai/sdk), pointed at serve
// through the model's `baseUrl`, as a gateway configured with serve as an
// Anthropic provider runs it. A multi-turn agent conversation: thinking on, two
// tool round trips, pi-ai's default cache retention (it marks the system prompt
// and the last user message with `cache_control`), every assistant message sent
// back as pi-ai keeps it (thinking with its signature). The emulator refuses a
// turn whose signature did not come back intact.
//
// Prints one JSON line per turn (content, stop reason, usage, error), then the
// conversation as pi-ai holds it; `tests/tests/e2e/anthropic_serve.rs` checks them.
//
// usage: node pi_ai_anthropic_client.mjs BASE_URL API_KEY MODEL

import { complete } from "@mariozechner/pi-ai";

const [baseUrl, apiKey, modelId] = process.argv.slice(2);

const model = {
  id: modelId,
  name: modelId,
  api: "anthropic-messages",
  provider: "anthropic",
  baseUrl,
  reasoning: true,
  input: ["text", "image"],
  cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  contextWindow: 200000,
  maxTokens: 64000,
};

const city = { type: "object", properties: { city: { type: "string" } } };
const tools = [
  { name: "get_weather", description: "The weather in a city.", parameters: city },
  { name: "get_time", description: "The local time in a city.", parameters: city },
];
const context = {
  systemPrompt: "You are a terse assistant. Call the tools you are asked to call.",
  messages: [
    { role: "user", content: "Weather and time in Paris? [emulator tool-use=get_weather]", timestamp: Date.now() },
  ],
  tools,
};

function toolResult(call, text) {
  return {
    role: "toolResult",
    toolCallId: call.id,
    toolName: call.name,
    content: [{ type: "text", text }],
    isError: false,
    timestamp: Date.now(),
  };
}

const followUps = [
  (calls) => [
    toolResult(calls[0], "sunny, 21 °C"),
    { role: "user", content: "[emulator tool-use=get_time]", timestamp: Date.now() },
  ],
  (calls) => [toolResult(calls[0], "14:05")],
  null,
];

const options = { apiKey, maxTokens: 2048, thinkingEnabled: true, thinkingBudgetTokens: 1024, maxRetries: 0 };

function report(scenario, message) {
  const { input, output, cacheRead, cacheWrite } = message.usage;
  console.log(
    JSON.stringify({
      scenario,
      content: message.content,
      stop_reason: message.stopReason,
      usage: { input, output, cacheRead, cacheWrite },
      error: message.errorMessage ?? null,
    }),
  );
}

for (const [i, followUp] of followUps.entries()) {
  const message = await complete(model, context, options);
  report(`turn${i + 1}`, message);
  if (message.stopReason === "error") break;
  context.messages.push(message);
  if (followUp) {
    const calls = message.content.filter((b) => b.type === "toolCall");
    context.messages.push(...followUp(calls));
  }
}

// Redacted thinking, kept by pi-ai as an opaque signature and sent back.
const redacted = {
  ...context,
  messages: [{ role: "user", content: "Weather? [emulator tool-use=get_weather redacted-thinking]", timestamp: Date.now() }],
};
const first = await complete(model, redacted, options);
report("redacted_turn1", first);
redacted.messages.push(first, toolResult(first.content.find((b) => b.type === "toolCall"), "rain"));
report("redacted_turn2", await complete(model, redacted, options));
