"""The official `openai` client through `bedrock-host serve` in a Claude
conversation with thinking on: two tool round trips and a system prompt, then
the answer, streamed and not.

Claude on Bedrock (and the emulator) refuses a tool result unless the
assistant turn before it starts with the signed (or redacted) thinking it
streamed, so each turn only passes if the signatures made it through the
client and back. The whole reply's message is sent back as the SDK keeps it
(`to_dict()`: unknown fields such as `thinking_blocks` included); the
streamed one is rebuilt from the deltas, with `thinking_blocks` gathered from
the chunks' extra fields. Each turn reports its usage (the streamed one asks
for it with `stream_options`), so the cached prompt tokens show. A copy of the conversation with one signature
edited must be refused. Prints one JSON summary per scenario; the Rust test
`tests/tests/e2e/openai_thinking.rs` checks them.

usage: openai_thinking.py BASE_URL API_KEY
"""

import json
import sys

import openai

MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0"
# Long enough to be cached: Claude caches a prefix of 1 024 tokens or more (the
# emulator counts a word a token); serve places the cache points by default.
SYSTEM = "You are a terse weather assistant. Answer in one sentence. " + " ".join(["Be brief."] * 600)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {"type": "object", "properties": {}},
        },
    }
]
# The user's turns; the emulator reads its directives from the last one.
PROMPTS = [
    "Weather in Paris? [emulator tool-use=get_weather]",
    "And in Rome? [emulator tool-use=get_weather redacted-thinking]",
]
RESULTS = ["sunny, 21 °C", "rain, 14 °C"]


def create(client, messages, stream):
    options = {"stream_options": {"include_usage": True}} if stream else {}
    return client.chat.completions.create(
        model=MODEL,
        messages=messages,
        tools=TOOLS,
        reasoning_effort="medium",
        stream=stream,
        **options,
    )


def whole_turn(client, messages):
    r = create(client, messages, stream=False)
    choice = r.choices[0]
    sent_back = choice.message.to_dict()
    extra = choice.message.model_extra or {}
    summary = {
        "finish_reason": choice.finish_reason,
        "content": choice.message.content,
        "reasoning_content": extra.get("reasoning_content"),
        "thinking_blocks": extra.get("thinking_blocks"),
        "reasoning_details": extra.get("reasoning_details"),
        "tool_call_ids": [c.id for c in choice.message.tool_calls or []],
        "usage": r.usage.to_dict(),
    }
    return summary, sent_back


def streamed_turn(client, messages):
    content, reasoning, blocks, details, calls = "", "", [], [], {}
    finish_reason, usage = None, None
    for chunk in create(client, messages, stream=True):
        if chunk.usage:
            usage = chunk.usage.to_dict()
        for choice in chunk.choices:
            delta = choice.delta
            extra = delta.model_extra or {}
            content += delta.content or ""
            reasoning += extra.get("reasoning_content") or ""
            blocks += extra.get("thinking_blocks") or []
            details += extra.get("reasoning_details") or []
            for call in delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": None, "name": "", "arguments": ""})
                entry["id"] = call.id or entry["id"]
                entry["name"] += call.function.name or ""
                entry["arguments"] += call.function.arguments or ""
            finish_reason = choice.finish_reason or finish_reason
    tool_calls = [
        {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
        for _, c in sorted(calls.items())
    ]
    # What a caller keeps of a streamed reply: the text, the calls and the
    # thinking blocks; not `reasoning_details`, so that this path proves
    # `thinking_blocks` alone carries the signatures.
    sent_back = {"role": "assistant", "content": content or None, "thinking_blocks": blocks}
    if tool_calls:
        sent_back["tool_calls"] = tool_calls
    summary = {
        "finish_reason": finish_reason,
        "content": content,
        "reasoning_content": reasoning or None,
        "thinking_blocks": blocks or None,
        "reasoning_details": details or None,
        "tool_call_ids": [c["id"] for c in tool_calls],
        "usage": usage,
    }
    return summary, sent_back


def conversation(client, turn):
    """Two tool round trips, then the answer; each turn's summary."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPTS[0]}]
    turns = []
    for i in range(3):
        summary, assistant = turn(client, messages)
        turns.append(summary)
        if i == 2:
            break
        messages.append(assistant)
        for call_id in summary["tool_call_ids"]:
            messages.append({"role": "tool", "tool_call_id": call_id, "content": RESULTS[i]})
        if i + 1 < len(PROMPTS):
            messages.append({"role": "user", "content": PROMPTS[i + 1]})
    return {"turns": turns, "final": turns[-1]["content"]}


def tampered(client):
    """The first round trip with the thinking's text edited: refused."""
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPTS[0]}]
    summary, assistant = whole_turn(client, messages)
    assistant["thinking_blocks"][0]["thinking"] += " And more."
    messages.append(assistant)
    messages.append({"role": "tool", "tool_call_id": summary["tool_call_ids"][0], "content": RESULTS[0]})
    try:
        create(client, messages, stream=False)
    except openai.APIStatusError as e:
        return {"error": type(e).__name__, "status": e.status_code, "message": e.message}
    return {"error": None}


def main():
    base_url, api_key = sys.argv[1], sys.argv[2]
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0, timeout=60)
    scenarios = {
        "whole": lambda: conversation(client, whole_turn),
        "tampered": lambda: tampered(client),
        "stream": lambda: conversation(client, streamed_turn),
    }
    for name, run in scenarios.items():
        try:
            summary = run()
        except Exception as e:  # reported, so the Rust test shows what broke
            summary = {"unexpected": f"{type(e).__name__}: {e}"}
        print(json.dumps({"scenario": name, **summary}), flush=True)


if __name__ == "__main__":
    main()
