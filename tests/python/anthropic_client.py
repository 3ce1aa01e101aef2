"""The official `anthropic` SDK against serve's /v1/messages.

A multi-turn conversation as an agent runs it: a cached system prompt (long
enough for Claude to cache it), thinking on, two tool round trips, every turn streamed and every assistant reply sent
back as the SDK returned it (thinking blocks with their signatures). The
emulator refuses a turn whose thinking or signature did not come back intact,
so the conversation ends only if every signature survived both ways. Then the
SDK's error classes judge serve's error shapes.

Prints one JSON line per scenario; `tests/tests/e2e/anthropic_serve.rs` checks
them.

usage: python anthropic_client.py BASE_URL API_KEY MODEL
"""

import json
import sys

import anthropic

# Long enough to be cached: Claude caches a prefix of 1 024 tokens or more (the
# emulator counts a word a token).
SYSTEM = [
    {
        "type": "text",
        "text": "You are a terse assistant. Call the tools you are asked to call. " + " ".join(["Answer plainly."] * 600),
        "cache_control": {"type": "ephemeral"},
    }
]
CITY = {"type": "object", "properties": {"city": {"type": "string"}}}
TOOLS = [
    {"name": "get_weather", "description": "The weather in a city.", "input_schema": CITY},
    {"name": "get_time", "description": "The local time in a city.", "input_schema": CITY},
]


def dumped(blocks):
    return [block.model_dump(exclude_none=True) for block in blocks]


def turn(client, model, messages):
    """One streamed turn: the final message and the kinds of raw events seen."""
    with client.messages.stream(
        model=model,
        max_tokens=2048,
        system=SYSTEM,
        tools=TOOLS,
        thinking={"type": "enabled", "budget_tokens": 1024},
        messages=messages,
    ) as stream:
        kinds = []
        for event in stream:
            kind = event.type
            if kind == "content_block_delta":
                kind = event.delta.type
            if kind not in kinds:
                kinds.append(kind)
        final = stream.get_final_message()
    return final, kinds


def tool_use_id(message, name):
    return next(b.id for b in message.content if b.type == "tool_use" and b.name == name)


def conversation(client, model):
    messages = [{"role": "user", "content": "Weather and time in Paris? [emulator tool-use=get_weather]"}]
    out = []
    follow_ups = [
        lambda first: [
            {"type": "tool_result", "tool_use_id": tool_use_id(first, "get_weather"), "content": "sunny, 21 °C"},
            {"type": "text", "text": "[emulator tool-use=get_time]"},
        ],
        lambda second: [
            {
                "type": "tool_result",
                "tool_use_id": tool_use_id(second, "get_time"),
                "content": [{"type": "text", "text": "14:05"}],
            }
        ],
        None,
    ]
    for number, follow_up in enumerate(follow_ups, start=1):
        final, kinds = turn(client, model, messages)
        out.append(
            {
                "scenario": f"turn{number}",
                "id": final.id,
                "stop_reason": final.stop_reason,
                "content": dumped(final.content),
                "usage": final.usage.model_dump(exclude_none=True),
                "events": kinds,
            }
        )
        # Sent back exactly as the SDK returned it.
        messages.append({"role": "assistant", "content": final.content})
        if follow_up:
            messages.append({"role": "user", "content": follow_up(final)})
    sent = [
        {"role": m["role"], "content": m["content"] if isinstance(m["content"], str) else
         [b if isinstance(b, dict) else b.model_dump(exclude_none=True) for b in m["content"]]}
        for m in messages[:-1]
    ]
    out.append({"scenario": "conversation", "messages": sent, "system": SYSTEM, "tools": TOOLS})
    return out


def redacted_round_trip(client, model):
    """Redacted thinking, streamed and sent back as the SDK returned it."""
    messages = [{"role": "user", "content": "Weather? [emulator tool-use=get_weather redacted-thinking]"}]
    first, _ = turn(client, model, messages)
    messages.append({"role": "assistant", "content": first.content})
    messages.append(
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": tool_use_id(first, "get_weather"), "content": "rain"}],
        }
    )
    second, _ = turn(client, model, messages)
    return {"first": dumped(first.content), "stop_reason": second.stop_reason, "content": dumped(second.content)}


def error_of(run):
    try:
        run()
    except anthropic.APIStatusError as e:
        return {"error": type(e).__name__, "status": e.status_code, "body": e.body}
    except anthropic.APIError as e:
        return {"error": type(e).__name__, "message": e.message, "body": e.body}
    return {"error": None}


def main():
    base_url, api_key, model = sys.argv[1:4]
    client = anthropic.Anthropic(base_url=base_url, api_key=api_key, max_retries=0, timeout=60)
    wrong = anthropic.Anthropic(base_url=base_url, api_key="sk-wrong", max_retries=0, timeout=60)
    for line in conversation(client, model):
        print(json.dumps(line), flush=True)

    def hello(c, text, **options):
        return c.messages.create(
            model=model, max_tokens=64, messages=[{"role": "user", "content": text}], **options
        )

    def stream_hello(text):
        with client.messages.stream(
            model=model, max_tokens=64, messages=[{"role": "user", "content": text}]
        ) as stream:
            for _ in stream:
                pass

    whole = hello(client, "Hello there")
    scenarios = {
        "redacted": lambda: redacted_round_trip(client, model),
        "whole": lambda: {
            "id": whole.id,
            "type": whole.type,
            "text": whole.content[0].text,
            "stop_reason": whole.stop_reason,
            "usage": whole.usage.model_dump(exclude_none=True),
        },
        "wrong_key": lambda: error_of(lambda: hello(wrong, "Hi")),
        "throttled": lambda: error_of(lambda: hello(client, "[emulator status=429]")),
        "bad_request": lambda: error_of(
            lambda: client.messages.create(
                model=model,
                max_tokens=64,
                messages=[
                    {
                        "role": "user",
                        "content": [{"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}],
                    }
                ],
            )
        ),
        "stream_error": lambda: error_of(lambda: stream_hello("[emulator exception=modelStreamErrorException]")),
    }
    for name, run in scenarios.items():
        print(json.dumps({"scenario": name, **run()}), flush=True)


if __name__ == "__main__":
    main()
