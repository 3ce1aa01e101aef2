//! OpenAI chat requests to the contract's `converse-request`: a pure
//! function over the types, tested here without a component or a socket.

use super::reasoning::assistant_reasoning;
use crate::openai::{self, ChatMessage, Content, ContentPart, FunctionCall, ToolCall};
use base64::Engine as _;
use bedrock_host::types::{
    CacheRetention, ContentBlock, ConverseRequest, ImageBlock, ImageFormat, Message,
    ReasoningLevel, Role, ToolChoice, ToolResultBlock, ToolResultContent, ToolSpec, ToolUseBlock,
};
use std::fmt;

/// A request the contract cannot express: answered with HTTP 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRequest {
    pub message: String,
    /// The request field at fault, as OpenAI names it.
    pub param: Option<&'static str>,
}

impl InvalidRequest {
    pub fn new(param: &'static str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            param: Some(param),
        }
    }
}

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InvalidRequest {}

/// The turn to send and how to answer it.
#[derive(Debug)]
pub struct Mapped {
    pub request: ConverseRequest,
    pub stream: bool,
    pub include_usage: bool,
}

/// Maps an OpenAI chat request onto the contract, with the server's prompt
/// cache retention (OpenAI's request has no field for it).
pub fn converse_request(
    chat: openai::ChatRequest,
    cache_retention: CacheRetention,
) -> Result<Mapped, InvalidRequest> {
    if chat.n.is_some_and(|n| n != 1) {
        return Err(InvalidRequest::new("n", "only n=1 is supported"));
    }
    let mut system = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    for message in chat.messages {
        let (role, blocks) = match message {
            ChatMessage::System { content } | ChatMessage::Developer { content } => {
                system.push(plain_text(content, "system and developer messages")?);
                continue;
            }
            ChatMessage::User { content } => (Role::User, user_blocks(content)?),
            ChatMessage::Assistant {
                content,
                tool_calls,
                reasoning_content,
                thinking_blocks,
                reasoning_details,
            } => {
                // Reasoning first: Claude wants its thinking before the
                // tool calls it led to.
                let mut blocks =
                    assistant_reasoning(reasoning_content, thinking_blocks, reasoning_details)?;
                if let Some(content) = content {
                    let text = plain_text(content, "assistant messages")?;
                    // Bedrock refuses empty text blocks; OpenAI clients send
                    // `""` beside tool calls.
                    if !text.is_empty() {
                        blocks.push(ContentBlock::Text(text));
                    }
                }
                blocks.extend(tool_calls.into_iter().map(tool_use));
                (Role::Assistant, blocks)
            }
            ChatMessage::Tool {
                tool_call_id,
                content,
            } => {
                let text = plain_text(content, "tool messages")?;
                let result = ToolResultBlock {
                    tool_use_id: tool_call_id,
                    content: vec![ToolResultContent::Text(text)],
                    is_error: false,
                };
                (Role::User, vec![ContentBlock::ToolResult(result)])
            }
        };
        if blocks.is_empty() {
            continue;
        }
        // Bedrock wants roles to alternate: tool results and the user text
        // after them travel in one user message, as OpenAI's run of messages
        // means.
        match messages.last_mut() {
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => messages.push(Message {
                role,
                content: blocks,
            }),
        }
    }

    let tools: Vec<ToolSpec> = chat
        .tools
        .unwrap_or_default()
        .into_iter()
        .map(tool_spec)
        .collect::<Result<_, _>>()?;
    let tool_choice = match chat.tool_choice {
        None => None,
        Some(choice) => tool_choice(choice, !tools.is_empty())?,
    };
    let stop_sequences = match chat.stop {
        None => Vec::new(),
        Some(openai::Stop::One(stop)) => vec![stop],
        Some(openai::Stop::Many(stops)) => stops,
    };
    let reasoning = reasoning(chat.reasoning_effort, chat.reasoning.unwrap_or_default())?;
    let stream = chat.stream.unwrap_or(false);
    let include_usage = stream && chat.stream_options.is_some_and(|o| o.include_usage);
    Ok(Mapped {
        request: ConverseRequest {
            model_id: chat.model,
            system: (!system.is_empty()).then(|| system.join("\n\n")),
            messages,
            tools,
            tool_choice,
            max_tokens: chat.max_completion_tokens.or(chat.max_tokens),
            temperature: chat.temperature,
            top_p: chat.top_p,
            stop_sequences,
            reasoning,
            cache_retention: Some(cache_retention),
            ..Default::default()
        },
        stream,
        include_usage,
    })
}

/// The text of a message that may only hold text.
fn plain_text(content: Content, what: &str) -> Result<String, InvalidRequest> {
    match content {
        Content::Text(text) => Ok(text),
        Content::Parts(parts) => {
            let mut text = String::new();
            for part in parts {
                match part {
                    ContentPart::Text { text: t } | ContentPart::Refusal { refusal: t } => {
                        text.push_str(&t)
                    }
                    other => {
                        let kind = part_kind(&other);
                        return Err(InvalidRequest::new(
                            "messages",
                            format!("{what} may only hold text, not {kind} parts"),
                        ));
                    }
                }
            }
            Ok(text)
        }
    }
}

fn user_blocks(content: Content) -> Result<Vec<ContentBlock>, InvalidRequest> {
    let parts = match content {
        Content::Text(text) => return Ok(vec![ContentBlock::Text(text)]),
        Content::Parts(parts) => parts,
    };
    parts
        .into_iter()
        .map(|part| match part {
            ContentPart::Text { text } | ContentPart::Refusal { refusal: text } => {
                Ok(ContentBlock::Text(text))
            }
            ContentPart::ImageUrl { image_url } => image(&image_url.url).map(ContentBlock::Image),
            other => Err(InvalidRequest::new(
                "messages",
                format!("unsupported content part type {}", part_kind(&other)),
            )),
        })
        .collect()
}

fn part_kind(part: &ContentPart) -> String {
    match part {
        ContentPart::Text { .. } => "'text'".into(),
        ContentPart::ImageUrl { .. } => "'image_url'".into(),
        ContentPart::Refusal { .. } => "'refusal'".into(),
        ContentPart::Other(value) => match value.get("type").and_then(|t| t.as_str()) {
            Some(kind) => format!("'{kind}'"),
            None => "untyped".into(),
        },
    }
}

/// A `data:image/...;base64,...` URL. Remote URLs are refused: the sandbox
/// lets the plugin reach Bedrock, not the web.
fn image(url: &str) -> Result<ImageBlock, InvalidRequest> {
    let invalid = |message: &str| InvalidRequest::new("messages", message);
    let Some(rest) = url.strip_prefix("data:") else {
        return Err(invalid(
            "image_url must be a data: URL (data:image/png;base64,...); remote image URLs are not fetched",
        ));
    };
    let Some((header, data)) = rest.split_once(',') else {
        return Err(invalid("image_url data: URL has no ',' before its data"));
    };
    let Some(mime) = header.strip_suffix(";base64") else {
        return Err(invalid(
            "image_url data: URL must be base64-encoded (;base64,)",
        ));
    };
    let format = match mime.to_ascii_lowercase().as_str() {
        "image/jpeg" | "image/jpg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/gif" => ImageFormat::Gif,
        "image/webp" => ImageFormat::Webp,
        _ => {
            return Err(invalid(
                "image_url must be image/jpeg, image/png, image/gif or image/webp",
            ));
        }
    };
    let data = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| invalid(&format!("image_url data is not valid base64: {e}")))?;
    Ok(ImageBlock { format, data })
}

fn tool_use(call: ToolCall) -> ContentBlock {
    let FunctionCall { name, arguments } = call.function;
    // A call without arguments still needs a JSON object for Bedrock.
    let input_json = if arguments.trim().is_empty() {
        "{}".into()
    } else {
        arguments
    };
    ContentBlock::ToolUse(ToolUseBlock {
        id: call.id,
        name,
        input_json,
    })
}

fn tool_spec(tool: openai::Tool) -> Result<ToolSpec, InvalidRequest> {
    if tool.kind != "function" {
        return Err(InvalidRequest::new(
            "tools",
            format!(
                "unsupported tool type '{}': only 'function' tools are",
                tool.kind
            ),
        ));
    }
    let f = tool.function;
    // OpenAI's default when `parameters` is left out: no arguments.
    let schema = f
        .parameters
        .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}}));
    Ok(ToolSpec {
        name: f.name,
        description: f.description,
        input_schema_json: schema.to_string(),
    })
}

fn tool_choice(
    choice: openai::ToolChoice,
    have_tools: bool,
) -> Result<Option<ToolChoice>, InvalidRequest> {
    let choice = match choice {
        openai::ToolChoice::Mode(mode) => match mode.as_str() {
            "auto" => ToolChoice::Auto,
            "none" => ToolChoice::None,
            "required" => ToolChoice::Any,
            _ => {
                return Err(InvalidRequest::new(
                    "tool_choice",
                    format!(
                        "invalid tool_choice '{mode}': expected auto, none, required or a named function"
                    ),
                ));
            }
        },
        openai::ToolChoice::Named { function } => ToolChoice::Tool(function.name),
    };
    match choice {
        // Nothing to choose from: auto and none mean the same as leaving it out.
        ToolChoice::Auto | ToolChoice::None if !have_tools => Ok(None),
        _ if !have_tools => Err(InvalidRequest::new(
            "tool_choice",
            "tool_choice is only allowed when tools are specified",
        )),
        choice => Ok(Some(choice)),
    }
}

/// `reasoning_effort`, else OpenRouter's `reasoning` object; `none` (or
/// `enabled: false`) turns reasoning off (`Ok(None)`).
fn reasoning(
    effort: Option<String>,
    options: openai::ReasoningOptions,
) -> Result<Option<ReasoningLevel>, InvalidRequest> {
    match effort.or(options.effort) {
        Some(effort) => reasoning_level(&effort),
        None if options.enabled == Some(false) => Ok(None),
        None if options.enabled == Some(true) || options.max_tokens.is_some() => {
            Ok(Some(ReasoningLevel::Medium))
        }
        None => Ok(None),
    }
}

/// One effort name: `none` turns reasoning off (`Ok(None)`).
fn reasoning_level(effort: &str) -> Result<Option<ReasoningLevel>, InvalidRequest> {
    Ok(Some(match effort {
        "none" => return Ok(None),
        "minimal" => ReasoningLevel::Minimal,
        "low" => ReasoningLevel::Low,
        "medium" => ReasoningLevel::Medium,
        "high" => ReasoningLevel::High,
        "xhigh" => ReasoningLevel::Max,
        _ => {
            return Err(InvalidRequest::new(
                "reasoning_effort",
                format!(
                    "invalid reasoning_effort '{effort}': expected none, minimal, low, medium, high or xhigh"
                ),
            ));
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(body: serde_json::Value) -> Result<Mapped, InvalidRequest> {
        converse_request(
            serde_json::from_value(body).expect("parses"),
            CacheRetention::Short,
        )
    }

    #[test]
    fn serve_maps_messages_roles_and_options() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG");
        let mapped = map(json!({
            "model": "m",
            "messages": [
                {"role": "system", "content": "Be terse."},
                {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{png}"), "detail": "low"}}
                ]},
                {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "look", "arguments": "{\"x\":1}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "noop", "arguments": ""}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "a cat"},
                {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "ok"}]},
                {"role": "user", "content": "Thanks"}
            ],
            "tools": [{"type": "function", "function": {"name": "look", "description": "Looks", "parameters": {"type": "object"}}},
                      {"type": "function", "function": {"name": "noop"}}],
            "tool_choice": {"type": "function", "function": {"name": "look"}},
            "max_tokens": 10,
            "max_completion_tokens": 20,
            "temperature": 0.5,
            "top_p": 0.9,
            "stop": "END",
            "reasoning_effort": "high",
            "stream": true,
            "stream_options": {"include_usage": true},
            "user": "ignored"
        }))
        .unwrap();
        assert!(mapped.stream && mapped.include_usage);
        let r = mapped.request;
        assert_eq!(r.model_id, "m");
        assert_eq!(r.system.as_deref(), Some("Be terse.\n\nUse tools."));
        assert_eq!(r.max_tokens, Some(20), "max_completion_tokens wins");
        assert_eq!((r.temperature, r.top_p), (Some(0.5), Some(0.9)));
        assert_eq!(r.stop_sequences, vec!["END".to_string()]);
        assert_eq!(r.reasoning, Some(ReasoningLevel::High));
        assert_eq!(r.tool_choice, Some(ToolChoice::Tool("look".into())));
        assert_eq!(r.tools[0].input_schema_json, r#"{"type":"object"}"#);
        assert_eq!(
            r.tools[1].input_schema_json,
            r#"{"properties":{},"type":"object"}"#
        );
        assert_eq!(
            r.messages.len(),
            3,
            "tool results and the next user text share a message"
        );
        assert_eq!(
            r.messages[0].content,
            vec![
                ContentBlock::Text("What is this?".into()),
                ContentBlock::Image(ImageBlock {
                    format: ImageFormat::Png,
                    data: b"\x89PNG".to_vec()
                }),
            ]
        );
        assert_eq!(r.messages[1].role, Role::Assistant);
        assert_eq!(
            r.messages[1].content,
            vec![
                ContentBlock::ToolUse(ToolUseBlock {
                    id: "call_1".into(),
                    name: "look".into(),
                    input_json: "{\"x\":1}".into()
                }),
                ContentBlock::ToolUse(ToolUseBlock {
                    id: "call_2".into(),
                    name: "noop".into(),
                    input_json: "{}".into()
                }),
            ]
        );
        let user = &r.messages[2];
        assert_eq!(user.role, Role::User);
        assert_eq!(user.content.len(), 3);
        assert_eq!(
            user.content[0],
            ContentBlock::ToolResult(ToolResultBlock {
                tool_use_id: "call_1".into(),
                content: vec![ToolResultContent::Text("a cat".into())],
                is_error: false,
            })
        );
        assert_eq!(user.content[2], ContentBlock::Text("Thanks".into()));
    }

    #[test]
    fn serve_replays_reasoning_before_tool_calls_and_places_cache_points() {
        let body = json!({
            "model": "m",
            "messages": [
                {"role": "user", "content": "Weather?"},
                {"role": "assistant", "content": "Checking.", "reasoning_content": "Hmm.",
                 "thinking_blocks": [
                    {"type": "thinking", "thinking": "Hmm.", "signature": "c2ln"},
                    {"type": "redacted_thinking", "data": "AAE="}
                 ],
                 "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c1", "content": "sunny"}
            ]
        });
        let mapped = map(body.clone()).unwrap();
        assert_eq!(mapped.request.cache_retention, Some(CacheRetention::Short));
        assert_eq!(
            mapped.request.messages[1].content,
            vec![
                ContentBlock::Reasoning(bedrock_host::types::ReasoningBlock {
                    text: "Hmm.".into(),
                    signature: Some("c2ln".into()),
                }),
                ContentBlock::RedactedReasoning(vec![0, 1]),
                ContentBlock::Text("Checking.".into()),
                ContentBlock::ToolUse(ToolUseBlock {
                    id: "c1".into(),
                    name: "w".into(),
                    input_json: "{}".into()
                }),
            ]
        );
        let none = converse_request(serde_json::from_value(body).unwrap(), CacheRetention::None);
        assert_eq!(
            none.unwrap().request.cache_retention,
            Some(CacheRetention::None)
        );
    }

    #[test]
    fn serve_maps_tool_choice_modes_and_effort() {
        let with = |choice: serde_json::Value| {
            map(json!({"model": "m", "messages": [], "tool_choice": choice,
                       "tools": [{"type": "function", "function": {"name": "f"}}]}))
            .map(|m| m.request.tool_choice)
        };
        assert_eq!(with(json!("auto")), Ok(Some(ToolChoice::Auto)));
        assert_eq!(with(json!("none")), Ok(Some(ToolChoice::None)));
        assert_eq!(with(json!("required")), Ok(Some(ToolChoice::Any)));
        assert_eq!(
            with(json!("sometimes")).unwrap_err().param,
            Some("tool_choice")
        );
        let without = map(json!({"model": "m", "messages": [], "tool_choice": "required"}));
        assert_eq!(without.unwrap_err().param, Some("tool_choice"));
        let none = map(json!({"model": "m", "messages": [], "tool_choice": "none"})).unwrap();
        assert_eq!(none.request.tool_choice, None);

        let effort = |e: &str| {
            map(json!({"model": "m", "messages": [], "reasoning_effort": e}))
                .map(|m| m.request.reasoning)
        };
        assert_eq!(effort("minimal"), Ok(Some(ReasoningLevel::Minimal)));
        assert_eq!(effort("xhigh"), Ok(Some(ReasoningLevel::Max)));
        assert_eq!(effort("none"), Ok(None));
        assert!(effort("extreme").is_err());

        let openrouter = |reasoning: serde_json::Value| {
            map(json!({"model": "m", "messages": [], "reasoning": reasoning}))
                .map(|m| m.request.reasoning)
        };
        assert_eq!(
            openrouter(json!({"effort": "low"})),
            Ok(Some(ReasoningLevel::Low))
        );
        assert_eq!(
            openrouter(json!({"enabled": true})),
            Ok(Some(ReasoningLevel::Medium))
        );
        assert_eq!(
            openrouter(json!({"max_tokens": 2048})),
            Ok(Some(ReasoningLevel::Medium))
        );
        assert_eq!(openrouter(json!({"enabled": false})), Ok(None));
        assert_eq!(openrouter(json!({"effort": "none"})), Ok(None));
        assert!(openrouter(json!({"effort": "lots"})).is_err());
        let both = map(
            json!({"model": "m", "messages": [], "reasoning_effort": "high",
                              "reasoning": {"effort": "low"}}),
        );
        assert_eq!(
            both.unwrap().request.reasoning,
            Some(ReasoningLevel::High),
            "OpenAI's field wins"
        );

        let plain = map(
            json!({"model": "m", "messages": [], "max_tokens": 7, "stop": ["a", "b"],
                               "stream_options": {"include_usage": true}}),
        )
        .unwrap();
        assert_eq!(plain.request.max_tokens, Some(7));
        assert_eq!(
            plain.request.stop_sequences,
            vec!["a".to_string(), "b".to_string()]
        );
        assert!(
            !plain.stream && !plain.include_usage,
            "usage option only applies to streams"
        );
    }

    #[test]
    fn serve_refuses_what_the_contract_cannot_carry() {
        let message = |content: serde_json::Value| {
            map(json!({"model": "m", "messages": [{"role": "user", "content": content}]}))
                .unwrap_err()
                .message
        };
        let remote = message(
            json!([{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]),
        );
        assert!(remote.contains("data: URL"), "{remote}");
        let tiff = message(
            json!([{"type": "image_url", "image_url": {"url": "data:image/tiff;base64,AAAA"}}]),
        );
        assert!(tiff.contains("image/png"), "{tiff}");
        let bad = message(
            json!([{"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@"}}]),
        );
        assert!(bad.contains("base64"), "{bad}");
        let audio =
            message(json!([{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}]));
        assert!(audio.contains("'input_audio'"), "{audio}");
        let system = map(
            json!({"model": "m", "messages": [{"role": "system", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]}]}),
        );
        assert!(system.unwrap_err().message.contains("may only hold text"));
        assert_eq!(
            map(json!({"model": "m", "messages": [], "n": 2}))
                .unwrap_err()
                .param,
            Some("n")
        );
        let tool = map(
            json!({"model": "m", "messages": [], "tools": [{"type": "web_search", "function": {"name": "f"}}]}),
        );
        assert_eq!(tool.unwrap_err().param, Some("tools"));
    }
}
