// The gateway's own library against the emulator: @mariozechner/pi-ai's
// Bedrock provider (built on @aws-sdk/client-bedrock-runtime). The component
// replaces it, so for the same emulator scenario both must yield the same
// text, thinking, tool calls, stop reason and usage;
// `tests/tests/e2e/node_clients.rs` compares them.
//
// pi-ai is pointed at the emulator through the model's `baseUrl`: a host that
// is not `bedrock-runtime.REGION.amazonaws.com` becomes the SDK client's
// `endpoint`. Region and SigV4 keys come from the environment (AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) through the SDK's default chain.
// Prints one JSON line per scenario: the final assistant message's content,
// stop reason, usage and error message.
//
// usage: node pi_ai_client.mjs ENDPOINT

import { complete, getModel } from "@mariozechner/pi-ai";

const endpoint = process.argv[2];

function model(id) {
  return { ...getModel("amazon-bedrock", id), baseUrl: endpoint };
}

async function run(scenario, modelId, prompt, { tools, ...options } = {}) {
  const message = await complete(
    model(modelId),
    { systemPrompt: "You are terse.", messages: [{ role: "user", content: prompt, timestamp: Date.now() }], tools },
    // No cache points: the component places none unless asked either.
    { cacheRetention: "none", ...options },
  );
  const { input, output, cacheRead, cacheWrite, totalTokens } = message.usage;
  console.log(
    JSON.stringify({
      scenario,
      content: message.content,
      stop_reason: message.stopReason,
      usage: { input, output, cacheRead, cacheWrite, totalTokens },
      error: message.errorMessage ?? null,
    }),
  );
}

await run("text", "anthropic.claude-3-5-sonnet-20240620-v1:0", "Hello there", { temperature: 0.5 });
await run("reasoning", "us.anthropic.claude-sonnet-4-20250514-v1:0", "[emulator replay=amazon-bedrock-reasoning]", {
  reasoning: "medium",
});
await run("tool_call", "anthropic.claude-3-5-sonnet-20240620-v1:0", "[emulator replay=amazon-bedrock-tool-call.1]", {
  tools: [
    {
      name: "test-tool",
      description: "A tool for the test.",
      parameters: { type: "object", properties: { value: { type: "string" } }, required: ["value"] },
    },
  ],
});
