"""A real OpenAI client against `bedrock-host serve`: the official `openai`
package, streaming and not.

The SDK parses replies with its own models and SSE decoder and maps HTTP
statuses to its own exception classes, so a clean run proves the endpoint
speaks the Chat Completions wire format as OpenAI's clients read it. Prints
one JSON summary per scenario on stdout; the Rust test
`tests/tests/e2e/openai_serve.rs` runs it and checks the summaries.

usage: openai_client.py BASE_URL API_KEY
"""

import json
import sys
import urllib.error
import urllib.request

import openai

MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
TOOL_CALL = "[emulator replay=amazon-bedrock-tool-call.1]"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "test-tool",
            "description": "A tool the recorded stream calls.",
            "parameters": {"type": "object", "properties": {"value": {"type": "string"}}},
        },
    }
]
# A 1x1 transparent PNG.
PNG = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
    "60e6kgAAAABJRU5ErkJggg=="
)


def user(text):
    return [{"role": "user", "content": text}]


def text_reply(client):
    r = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": "Be terse."}] + user("[emulator words=7] Hello"),
        temperature=0.2,
    )
    choice = r.choices[0]
    return {
        "object": r.object,
        "id": r.id,
        "model": r.model,
        "role": choice.message.role,
        "content": choice.message.content,
        "finish_reason": choice.finish_reason,
        "usage": r.usage.model_dump() if r.usage else None,
    }


def stream_text(client):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=user("[emulator words=9] Hello"),
        stream=True,
        stream_options={"include_usage": True},
    )
    summary = {"content": "", "roles": [], "finish_reason": None, "usage": None, "chunks": 0, "ids": set()}
    for chunk in stream:
        summary["chunks"] += 1
        summary["ids"].add(chunk.id)
        assert chunk.object == "chat.completion.chunk"
        if chunk.usage is not None:
            summary["usage"] = chunk.usage.model_dump()
        for choice in chunk.choices:
            if choice.delta.role:
                summary["roles"].append(choice.delta.role)
            summary["content"] += choice.delta.content or ""
            if choice.finish_reason:
                summary["finish_reason"] = choice.finish_reason
    summary["ids"] = len(summary["ids"])
    return summary


def tool_call(client):
    r = client.chat.completions.create(model=MODEL, messages=user(TOOL_CALL), tools=TOOLS, tool_choice="auto")
    choice = r.choices[0]
    return {
        "content": choice.message.content,
        "finish_reason": choice.finish_reason,
        "tool_calls": [
            {"id": c.id, "type": c.type, "name": c.function.name, "arguments": c.function.arguments}
            for c in choice.message.tool_calls or []
        ],
        "usage": r.usage.model_dump() if r.usage else None,
    }


def stream_tool_call(client):
    stream = client.chat.completions.create(
        model=MODEL, messages=user(TOOL_CALL), tools=TOOLS, tool_choice="required", stream=True
    )
    calls = {}
    finish_reason = None
    first_pieces = []
    for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": None, "name": None, "arguments": "", "pieces": 0})
                if call.id:
                    entry["id"] = call.id
                    first_pieces.append({"has_name": bool(call.function and call.function.name), "type": call.type})
                if call.function and call.function.name:
                    entry["name"] = call.function.name
                if call.function and call.function.arguments:
                    entry["arguments"] += call.function.arguments
                entry["pieces"] += 1
            if choice.finish_reason:
                finish_reason = choice.finish_reason
    return {"tool_calls": [calls[i] for i in sorted(calls)], "first_pieces": first_pieces, "finish_reason": finish_reason}


def tool_round_trip(client):
    """The conversation after a tool call: assistant tool_calls, the tool's
    result, and an image, mapped to Bedrock's toolUse / toolResult / image."""
    messages = user("What is the weather?") + [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "tool-use-id", "type": "function", "function": {"name": "test-tool", "arguments": '{"value":"Paris"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "tool-use-id", "content": "sunny"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "[emulator words=4] Thanks, and this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64," + PNG}},
            ],
        },
    ]
    r = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS, max_completion_tokens=100)
    return {"content": r.choices[0].message.content, "finish_reason": r.choices[0].finish_reason}


def max_tokens(client):
    r = client.chat.completions.create(model=MODEL, messages=user("[emulator words=20]"), max_tokens=5)
    return {"content": r.choices[0].message.content, "finish_reason": r.choices[0].finish_reason}


def models(client):
    page = client.models.list()
    ids = [m.id for m in page.data]
    one = client.models.retrieve(ids[0])
    arn = client.models.retrieve(next(i for i in ids if i.startswith("arn:")))
    # OpenRouter's fields are not in the SDK's model: it keeps them as extras.
    listed = {m.id: m.to_dict() for m in page.data}
    return {
        "ids": ids,
        "object": page.object,
        "retrieved": one.id,
        "retrieved_arn": arn.id,
        "listed": listed,
        "retrieved_fields": one.to_dict(),
    }


def error_of(call):
    try:
        call()
    except openai.APIStatusError as e:
        return {
            "error": type(e).__name__,
            "status": e.status_code,
            "code": e.code,
            "type": e.type,
            "retry_after_ms": e.response.headers.get("retry-after-ms"),
        }
    except openai.APIError as e:
        return {"error": type(e).__name__, "message": e.message, "code": e.code}
    return {"error": None}


def stream_error(client):
    """An error after the stream started: text first, then an APIError."""
    received = []

    def run():
        stream = client.chat.completions.create(
            model=MODEL, messages=user("[emulator exception=modelStreamErrorException]"), stream=True
        )
        for chunk in stream:
            for choice in chunk.choices:
                received.append(choice.delta.content or "")

    summary = error_of(run)
    summary["content"] = "".join(received)
    return summary


def malformed_json(base_url, api_key):
    request = urllib.request.Request(
        base_url + "/chat/completions",
        data=b'{"model": "m", "messages": [',
        headers={"Authorization": "Bearer " + api_key, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": json.loads(e.read())}
    return {"status": 200}


def main():
    base_url, api_key = sys.argv[1], sys.argv[2]
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=60)
    wrong = openai.OpenAI(base_url=base_url, api_key="sk-wrong", max_retries=0, timeout=60)
    scenarios = {
        "text": lambda: text_reply(client),
        "stream_text": lambda: stream_text(client),
        "tool_call": lambda: tool_call(client),
        "stream_tool_call": lambda: stream_tool_call(client),
        "tool_round_trip": lambda: tool_round_trip(client),
        "max_tokens": lambda: max_tokens(client),
        "models": lambda: models(client),
        "wrong_key": lambda: error_of(lambda: wrong.models.list()),
        "wrong_key_chat": lambda: error_of(lambda: text_reply(wrong)),
        "throttled": lambda: error_of(
            lambda: client.chat.completions.create(model=MODEL, messages=user("[emulator status=429]"))
        ),
        "throttled_stream": lambda: error_of(
            lambda: client.chat.completions.create(model=MODEL, messages=user("[emulator status=429]"), stream=True)
        ),
        "unknown_model": lambda: error_of(
            lambda: client.chat.completions.create(model="emulator.missing-model", messages=user("Hi"))
        ),
        "stream_error": lambda: stream_error(client),
        "malformed_json": lambda: malformed_json(base_url, api_key),
    }
    for name, run in scenarios.items():
        try:
            summary = run()
        except Exception as e:  # reported, so the Rust test shows what broke
            summary = {"unexpected": f"{type(e).__name__}: {e}"}
        print(json.dumps({"scenario": name, **summary}), flush=True)


if __name__ == "__main__":
    main()
