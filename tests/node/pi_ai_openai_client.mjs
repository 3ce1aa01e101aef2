// The gateway's own OpenAI client through `bedrock-host serve`:
// @mariozechner/pi-ai's `openai-completions` provider, in a Claude
// conversation with thinking on (two tool round trips, a system prompt, then
// the answer). pi-ai keeps the reasoning text (`reasoning_content`, sent back
// under the same name) and, on a tool call, a `reasoning.encrypted` entry of
// `reasoning_details` whose `id` is the call's (sent back as
// `reasoning_details`); serve puts the signed and redacted thinking in that
// entry, so every turn only passes if pi-ai carried it back intact.
// Prints one JSON line per turn, then the final text;
// `tests/tests/e2e/openai_thinking.rs` checks them.
//
// usage: node pi_ai_openai_client.mjs BASE_URL API_KEY

import { complete } from "@mariozechner/pi-ai";

const [baseUrl, apiKey] = process.argv.slice(2);

const model = {
  id: "us.anthropic.claude-sonnet-4-20250514-v1:0",
  name: "Claude Sonnet 4 through bedrock-host serve",
  api: "openai-completions",
  provider: "bedrock-host",
  baseUrl,
  reasoning: true,
  input: ["text", "image"],
  cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  contextWindow: 200000,
  maxTokens: 8192,
};
const tools = [
  {
    name: "get_weather",
    description: "The weather in a city.",
    parameters: { type: "object", properties: {} },
  },
];
const prompts = [
  "Weather in Paris? [emulator tool-use=get_weather]",
  "And in Rome? [emulator tool-use=get_weather redacted-thinking]",
];
const results = ["sunny, 21 °C", "rain, 14 °C"];

const context = {
  systemPrompt: "You are a terse weather assistant. Answer in one sentence.",
  messages: [{ role: "user", content: prompts[0], timestamp: Date.now() }],
  tools,
};
for (let turn = 0; turn < 3; turn++) {
  const message = await complete(model, context, { apiKey, reasoningEffort: "medium", maxRetries: 0 });
  const calls = message.content.filter((b) => b.type === "toolCall");
  const thinking = message.content.filter((b) => b.type === "thinking");
  console.log(
    JSON.stringify({
      turn,
      stop_reason: message.stopReason,
      error: message.errorMessage ?? null,
      text: message.content
        .filter((b) => b.type === "text")
        .map((b) => b.text)
        .join(""),
      thinking: thinking.map((b) => b.thinking).join(""),
      thinking_signature: thinking[0]?.thinkingSignature ?? null,
      tool_call_ids: calls.map((c) => c.id),
      calls_with_details: calls.filter((c) => c.thoughtSignature).length,
      usage: message.usage,
    }),
  );
  if (message.stopReason !== "toolUse") break;
  context.messages.push(message);
  for (const call of calls) {
    context.messages.push({
      role: "toolResult",
      toolCallId: call.id,
      toolName: call.name,
      content: [{ type: "text", text: results[turn] }],
      isError: false,
      timestamp: Date.now(),
    });
  }
  if (turn + 1 < prompts.length) {
    context.messages.push({ role: "user", content: prompts[turn + 1], timestamp: Date.now() });
  }
}
