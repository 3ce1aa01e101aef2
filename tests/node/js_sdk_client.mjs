// A real AWS client against the emulator: the AWS SDK for JavaScript v3's
// ConverseStream, the twin of `tests/python/boto3_client.py`.
//
// The JS SDK has its own SigV4 signer and event-stream parser, and for this
// service its default request handler is NodeHttp2Handler: HTTP/2 only. Over
// an `http://` endpoint Node's http2 speaks h2c with prior knowledge, which
// the emulator serves, so the default handler is kept on purpose (no TLS, no
// NodeHttpHandler) and the "handler" line reports which one ran.
// Prints one JSON summary per scenario on stdout, with boto3's field names;
// `tests/tests/e2e/node_clients.rs` runs it and checks the summaries.
//
// usage: node js_sdk_client.mjs ENDPOINT

import { BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";

const ACCESS_KEY = "AKIDEXAMPLE";
const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0";

function client(endpoint, secret = SECRET_KEY) {
  return new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: secret },
    maxAttempts: 1,
  });
}

async function converse(c, prompt, { model = MODEL, ...extra } = {}) {
  const summary = { events: [], text: "", stop_reason: null, usage: null };
  let response;
  try {
    response = await c.send(
      new ConverseStreamCommand({
        modelId: model,
        messages: [{ role: "user", content: [{ text: prompt }] }],
        ...extra,
      }),
    );
  } catch (e) {
    // Refused before the stream: the modeled exception and its HTTP status.
    return { ...summary, error: e.name, status: e.$metadata?.httpStatusCode };
  }
  try {
    for await (const event of response.stream) {
      const [name] = Object.keys(event);
      const body = event[name];
      summary.events.push(name);
      if (name === "contentBlockDelta") {
        summary.text += body.delta.text ?? "";
      } else if (name === "messageStop") {
        summary.stop_reason = body.stopReason;
      } else if (name === "metadata") {
        summary.usage = body.usage;
      }
    }
  } catch (e) {
    // An exception frame inside the stream: the SDK throws the modeled exception.
    summary.error = e.name;
  }
  return summary;
}

const endpoint = process.argv[2];
const c = client(endpoint);
const scenarios = {
  text: await converse(c, "Hello there"),
  colon_model: await converse(c, "Hi", { model: "amazon.nova-lite-v1:0" }),
  arn_model: await converse(c, "Hi", {
    model: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
  }),
  max_tokens: await converse(c, "Hi", { inferenceConfig: { maxTokens: 5 } }),
  wrong_secret: await converse(client(endpoint, "wrong" + SECRET_KEY.slice(5)), "Hi"),
  throttled: await converse(c, "[emulator status=429]"),
  in_stream_exception: await converse(c, "[emulator exception=modelStreamErrorException]"),
};
for (const [scenario, summary] of Object.entries(scenarios)) {
  console.log(JSON.stringify({ scenario, ...summary }));
}
const handler = c.config.requestHandler;
console.log(JSON.stringify({ scenario: "handler", handler: handler.constructor.name }));
c.destroy();
