//! Anthropic Messages requests to the contract's `converse-request`: a pure
//! function over the types, tested here without a component or a socket.

use super::wire::{
    self, CacheControl, Content, InputBlock, InputMessage, MessagesRequest, Source, System,
    Thinking,
};
use crate::mapping::InvalidRequest;
use base64::Engine as _;
use bedrock_host::types::{
    BedrockRequestOptions, CacheRetention, ContentBlock, ConverseRequest, DocumentBlock,
    DocumentFormat, ImageBlock, ImageFormat, Message, ReasoningBlock, ReasoningLevel, Role,
    ToolChoice, ToolResultBlock, ToolResultContent, ToolSpec, ToolUseBlock,
};
use serde_json::{Value, json};

/// The turn to send and how to answer it.
#[derive(Debug)]
pub struct Mapped {
    pub request: ConverseRequest,
    pub stream: bool,
}

/// Maps a Messages request onto the contract. `default_retention` is what a
/// request without any `cache_control` mark gets.
pub fn converse_request(
    body: MessagesRequest,
    default_retention: Option<CacheRetention>,
) -> Result<Mapped, InvalidRequest> {
    let mut marks = Vec::new();
    let system = match body.system {
        None => None,
        Some(System::Text(text)) => Some(text),
        Some(System::Blocks(blocks)) => Some(system_text(blocks, &mut marks)?),
    }
    .filter(|text| !text.is_empty());
    let mut messages: Vec<Message> = Vec::new();
    for message in body.messages {
        let message = self::message(message, &mut marks)?;
        // Anthropic combines consecutive turns of one role; Bedrock wants
        // roles to alternate.
        match messages.last_mut() {
            Some(last) if last.role == message.role => last.content.extend(message.content),
            _ => messages.push(message),
        }
    }
    let tools = body
        .tools
        .unwrap_or_default()
        .into_iter()
        .map(|tool| {
            marks.extend(tool.cache_control.clone());
            tool_spec(tool)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tool_choice = body.tool_choice.map(|choice| match choice {
        wire::ToolChoice::Auto => ToolChoice::Auto,
        wire::ToolChoice::Any => ToolChoice::Any,
        wire::ToolChoice::Tool { name } => ToolChoice::Tool(name),
        wire::ToolChoice::None => ToolChoice::None,
    });
    let effort = body.output_config.and_then(|c| c.effort);
    let reasoning = body
        .thinking
        .map(|thinking| reasoning_level(thinking, effort.as_deref()))
        .transpose()?
        .flatten();
    // Claude on Bedrock takes `top_k` among its own fields.
    let bedrock = body.top_k.map(|k| BedrockRequestOptions {
        additional_model_request_fields: Some(json!({ "top_k": k }).to_string()),
        ..empty_bedrock_options()
    });
    Ok(Mapped {
        request: ConverseRequest {
            model_id: body.model,
            system,
            messages,
            tools,
            tool_choice,
            max_tokens: body.max_tokens,
            temperature: body.temperature,
            top_p: body.top_p,
            stop_sequences: body.stop_sequences.unwrap_or_default(),
            reasoning,
            cache_retention: cache_retention(&marks)?.or(default_retention),
            bedrock,
        },
        stream: body.stream.unwrap_or(false),
    })
}

fn empty_bedrock_options() -> BedrockRequestOptions {
    BedrockRequestOptions {
        guardrail: None,
        latency: None,
        service_tier: None,
        request_metadata: Vec::new(),
        additional_model_request_fields: None,
        additional_model_response_field_paths: Vec::new(),
    }
}

/// The retention the request's `cache_control` marks ask for: `long` when
/// any asks for `1h`, else `short`; `None` when there is no mark. The plugin
/// places the cache points itself (system prompt, tools, the end of the
/// conversation), so where a mark stands does not move them.
fn cache_retention(marks: &[CacheControl]) -> Result<Option<CacheRetention>, InvalidRequest> {
    let mut retention = None;
    for mark in marks {
        let this = match mark.ttl.as_deref() {
            None | Some("5m") => CacheRetention::Short,
            Some("1h") => CacheRetention::Long,
            Some(other) => {
                return Err(InvalidRequest::new(
                    "cache_control",
                    format!("cache_control.ttl: Input should be '5m' or '1h', not '{other}'"),
                ));
            }
        };
        if retention != Some(CacheRetention::Long) {
            retention = Some(this);
        }
    }
    Ok(retention)
}

/// The `thinking` setting as a reasoning level.
///
/// The contract carries a level, not a budget: `enabled` takes the largest
/// level whose budget (1 024, 2 048, 8 192, 16 384, 32 000, as the plugin
/// sends them to budget models) does not exceed `budget_tokens`, so thinking
/// never gets more room than asked. An exact budget cannot travel in
/// `additional-model-request-fields`: it would replace the plugin's own
/// `thinking` field, which for adaptive-only models must stay `adaptive`.
/// `adaptive` takes `output_config.effort` (Anthropic's default: high).
fn reasoning_level(
    thinking: Thinking,
    effort: Option<&str>,
) -> Result<Option<ReasoningLevel>, InvalidRequest> {
    Ok(match thinking {
        Thinking::Disabled => None,
        Thinking::Enabled { budget_tokens } => Some(match budget_tokens {
            32_000.. => ReasoningLevel::Max,
            16_384.. => ReasoningLevel::High,
            8_192.. => ReasoningLevel::Medium,
            2_048.. => ReasoningLevel::Low,
            _ => ReasoningLevel::Minimal,
        }),
        Thinking::Adaptive => Some(match effort {
            None | Some("high") => ReasoningLevel::High,
            Some("low") => ReasoningLevel::Low,
            Some("medium") => ReasoningLevel::Medium,
            Some("max") => ReasoningLevel::Max,
            Some(other) => {
                return Err(InvalidRequest::new(
                    "output_config",
                    format!(
                        "output_config.effort: expected low, medium, high or max, not '{other}'"
                    ),
                ));
            }
        }),
    })
}

fn system_text(
    blocks: Vec<InputBlock>,
    marks: &mut Vec<CacheControl>,
) -> Result<String, InvalidRequest> {
    let mut texts = Vec::new();
    for block in blocks {
        marks.extend(block.cache_control().cloned());
        match block {
            InputBlock::Text { text, .. } => texts.push(text),
            other => {
                return Err(InvalidRequest::new(
                    "system",
                    format!(
                        "system: only text blocks are allowed, not {}",
                        block_kind(&other)
                    ),
                ));
            }
        }
    }
    Ok(texts.join("\n\n"))
}

fn message(
    message: InputMessage,
    marks: &mut Vec<CacheControl>,
) -> Result<Message, InvalidRequest> {
    let role = match message.role {
        wire::Role::User => Role::User,
        wire::Role::Assistant => Role::Assistant,
    };
    let content = match message.content {
        Content::Text(text) => vec![ContentBlock::Text(text)],
        Content::Blocks(blocks) => blocks
            .into_iter()
            .map(|block| {
                marks.extend(block.cache_control().cloned());
                content_block(block)
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(Message { role, content })
}

fn content_block(block: InputBlock) -> Result<ContentBlock, InvalidRequest> {
    Ok(match block {
        InputBlock::Text { text, .. } => ContentBlock::Text(text),
        InputBlock::Image { source, .. } => ContentBlock::Image(image(source)?),
        InputBlock::Document { source, title, .. } => {
            ContentBlock::Document(document(source, title)?)
        }
        InputBlock::ToolUse {
            id, name, input, ..
        } => {
            // A call without arguments still needs a JSON object for Bedrock.
            let input = if input.is_null() { json!({}) } else { input };
            ContentBlock::ToolUse(ToolUseBlock {
                id,
                name,
                input_json: input.to_string(),
            })
        }
        InputBlock::ToolResult {
            tool_use_id,
            content,
            is_error,
            ..
        } => ContentBlock::ToolResult(ToolResultBlock {
            tool_use_id,
            content: tool_result_content(content)?,
            is_error: is_error.unwrap_or(false),
        }),
        InputBlock::Thinking {
            thinking,
            signature,
        } => ContentBlock::Reasoning(ReasoningBlock {
            text: thinking,
            signature: signature.filter(|s| !s.is_empty()),
        }),
        InputBlock::RedactedThinking { data } => ContentBlock::RedactedReasoning(
            base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| {
                    InvalidRequest::new(
                        "messages",
                        format!("redacted_thinking.data is not valid base64: {e}"),
                    )
                })?,
        ),
        other => {
            return Err(InvalidRequest::new(
                "messages",
                format!("unsupported content block type {}", block_kind(&other)),
            ));
        }
    })
}

fn tool_result_content(
    content: Option<wire::ToolResultContent>,
) -> Result<Vec<ToolResultContent>, InvalidRequest> {
    let blocks = match content {
        None => return Ok(Vec::new()),
        Some(wire::ToolResultContent::Text(text)) => {
            return Ok(vec![ToolResultContent::Text(text)]);
        }
        Some(wire::ToolResultContent::Blocks(blocks)) => blocks,
    };
    blocks
        .into_iter()
        .map(|block| match block {
            InputBlock::Text { text, .. } => Ok(ToolResultContent::Text(text)),
            InputBlock::Image { source, .. } => image(source).map(ToolResultContent::Image),
            InputBlock::Document { source, title, .. } => {
                document(source, title).map(ToolResultContent::Document)
            }
            other => Err(InvalidRequest::new(
                "messages",
                format!(
                    "tool_result content may hold text, image and document blocks, not {}",
                    block_kind(&other)
                ),
            )),
        })
        .collect()
}

fn block_kind(block: &InputBlock) -> String {
    let name = match block {
        InputBlock::Text { .. } => "text",
        InputBlock::Image { .. } => "image",
        InputBlock::Document { .. } => "document",
        InputBlock::ToolUse { .. } => "tool_use",
        InputBlock::ToolResult { .. } => "tool_result",
        InputBlock::Thinking { .. } => "thinking",
        InputBlock::RedactedThinking { .. } => "redacted_thinking",
        InputBlock::Other(value) => return other_kind(value, &BLOCK_TYPES),
    };
    format!("'{name}'")
}

const BLOCK_TYPES: [&str; 7] = [
    "text",
    "image",
    "document",
    "tool_use",
    "tool_result",
    "thinking",
    "redacted_thinking",
];

/// The `type` of a block or source kept as raw JSON: one this server knows
/// lands here only when a field is missing or of the wrong type.
fn other_kind(value: &Value, known: &[&str]) -> String {
    match value.get("type").and_then(Value::as_str) {
        Some(kind) if known.contains(&kind) => {
            format!("'{kind}' (with a missing or mistyped field)")
        }
        Some(kind) => format!("'{kind}'"),
        None => "(untyped)".into(),
    }
}

/// Base64 data of a source; remote URLs are refused: the sandbox lets the
/// plugin reach Bedrock, not the web.
fn base64_source(source: &Source, what: &str) -> Result<(String, Vec<u8>), InvalidRequest> {
    let invalid = |message: String| InvalidRequest::new("messages", message);
    match source {
        Source::Base64 { media_type, data } => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| invalid(format!("{what} source data is not valid base64: {e}")))?;
            Ok((media_type.to_ascii_lowercase(), bytes))
        }
        Source::Url => Err(invalid(format!(
            "{what} sources of type 'url' are not fetched by this server: send the {what} as a base64 source"
        ))),
        Source::Text { .. } => Err(invalid(format!(
            "{what} sources of type 'text' are for documents only"
        ))),
        Source::Other(value) => Err(invalid(format!(
            "unsupported {what} source type {}",
            other_kind(value, &["base64", "text", "url"])
        ))),
    }
}

fn image(source: Source) -> Result<ImageBlock, InvalidRequest> {
    let (media_type, data) = base64_source(&source, "image")?;
    let format = match media_type.as_str() {
        "image/jpeg" | "image/jpg" => ImageFormat::Jpeg,
        "image/png" => ImageFormat::Png,
        "image/gif" => ImageFormat::Gif,
        "image/webp" => ImageFormat::Webp,
        _ => {
            return Err(InvalidRequest::new(
                "messages",
                format!(
                    "image media_type must be image/jpeg, image/png, image/gif or image/webp, not '{media_type}'"
                ),
            ));
        }
    };
    Ok(ImageBlock { format, data })
}

/// A base64 PDF or a plain-text document. Bedrock wants a name of letters,
/// digits, spaces and `-()[]`: the title with anything else replaced.
fn document(source: Source, title: Option<String>) -> Result<DocumentBlock, InvalidRequest> {
    let (format, data) = match source {
        Source::Text { data } => (DocumentFormat::Txt, data.into_bytes()),
        other => {
            let (media_type, data) = base64_source(&other, "document")?;
            let format = match media_type.as_str() {
                "application/pdf" => DocumentFormat::Pdf,
                "text/plain" => DocumentFormat::Txt,
                _ => {
                    return Err(InvalidRequest::new(
                        "messages",
                        format!(
                            "document media_type must be application/pdf or text/plain, not '{media_type}'"
                        ),
                    ));
                }
            };
            (format, data)
        }
    };
    let name: String = title
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " -()[]".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    Ok(DocumentBlock {
        format,
        name: if name.is_empty() {
            "document".into()
        } else {
            name
        },
        data,
    })
}

fn tool_spec(tool: wire::Tool) -> Result<ToolSpec, InvalidRequest> {
    if let Some(kind) = tool.kind.as_deref().filter(|k| *k != "custom") {
        return Err(InvalidRequest::new(
            "tools",
            format!(
                "tool '{}': server tools ('{kind}') are not offered by Bedrock's Converse API; only custom tools are",
                tool.name
            ),
        ));
    }
    let schema = tool
        .input_schema
        .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
    Ok(ToolSpec {
        name: tool.name,
        description: tool.description,
        input_schema_json: schema.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(body: Value) -> Result<Mapped, InvalidRequest> {
        converse_request(serde_json::from_value(body).expect("parses"), None)
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn anthropic_maps_messages_tools_and_options() {
        let mapped = map(json!({
            "model": "us.anthropic.claude-sonnet-4-20250514-v1:0",
            "max_tokens": 2048,
            "system": [{"type": "text", "text": "Be terse."},
                       {"type": "text", "text": "Use tools.", "cache_control": {"type": "ephemeral"}}],
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(b"\x89PNG")}},
                    {"type": "document", "title": "Q3 report.pdf", "source": {"type": "base64", "media_type": "application/pdf", "data": b64(b"%PDF")}},
                    {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "notes"}}
                ]},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "Look first.", "signature": "c2ln"},
                    {"type": "redacted_thinking", "data": b64(b"\x01\x02\xff")},
                    {"type": "text", "text": "Looking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "look", "input": {"x": 1}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a cat"},
                    {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": true,
                     "content": [{"type": "text", "text": "failed"}]},
                    {"type": "text", "text": "Thanks"}
                ]},
                {"role": "user", "content": "More?"}
            ],
            "tools": [{"name": "look", "description": "Looks", "input_schema": {"type": "object"}},
                      {"type": "custom", "name": "noop"}],
            "tool_choice": {"type": "auto", "disable_parallel_tool_use": true},
            "stop_sequences": ["END"],
            "temperature": 0.5,
            "top_p": 0.9,
            "top_k": 40,
            "thinking": {"type": "enabled", "budget_tokens": 10000},
            "metadata": {"user_id": "ignored"},
            "stream": true
        }))
        .unwrap();
        assert!(mapped.stream);
        let r = mapped.request;
        assert_eq!(r.system.as_deref(), Some("Be terse.\n\nUse tools."));
        assert_eq!(r.max_tokens, Some(2048));
        assert_eq!((r.temperature, r.top_p), (Some(0.5), Some(0.9)));
        assert_eq!(r.stop_sequences, vec!["END".to_string()]);
        assert_eq!(r.reasoning, Some(ReasoningLevel::Medium), "8 192 <= 10 000");
        assert_eq!(r.cache_retention, Some(CacheRetention::Short));
        assert_eq!(r.tool_choice, Some(ToolChoice::Auto));
        assert_eq!(
            r.bedrock
                .unwrap()
                .additional_model_request_fields
                .as_deref(),
            Some(r#"{"top_k":40}"#)
        );
        assert_eq!(r.tools[0].input_schema_json, r#"{"type":"object"}"#);
        assert_eq!(
            r.tools[1].input_schema_json,
            r#"{"properties":{},"type":"object"}"#
        );
        assert_eq!(r.messages.len(), 3);
        assert_eq!(
            r.messages[0].content[1],
            ContentBlock::Image(ImageBlock {
                format: ImageFormat::Png,
                data: b"\x89PNG".to_vec()
            })
        );
        assert_eq!(
            r.messages[0].content[2],
            ContentBlock::Document(DocumentBlock {
                format: DocumentFormat::Pdf,
                name: "Q3 report pdf".into(),
                data: b"%PDF".to_vec()
            })
        );
        assert_eq!(
            r.messages[0].content[3],
            ContentBlock::Document(DocumentBlock {
                format: DocumentFormat::Txt,
                name: "document".into(),
                data: b"notes".to_vec()
            })
        );
        assert_eq!(r.messages[1].role, Role::Assistant);
        assert_eq!(
            r.messages[1].content,
            vec![
                ContentBlock::Reasoning(ReasoningBlock {
                    text: "Look first.".into(),
                    signature: Some("c2ln".into())
                }),
                ContentBlock::RedactedReasoning(vec![1, 2, 255]),
                ContentBlock::Text("Looking.".into()),
                ContentBlock::ToolUse(ToolUseBlock {
                    id: "toolu_1".into(),
                    name: "look".into(),
                    input_json: r#"{"x":1}"#.into()
                }),
            ]
        );
        assert_eq!(
            r.messages[2].content,
            vec![
                ContentBlock::ToolResult(ToolResultBlock {
                    tool_use_id: "toolu_1".into(),
                    content: vec![ToolResultContent::Text("a cat".into())],
                    is_error: false
                }),
                ContentBlock::ToolResult(ToolResultBlock {
                    tool_use_id: "toolu_2".into(),
                    content: vec![ToolResultContent::Text("failed".into())],
                    is_error: true
                }),
                ContentBlock::Text("Thanks".into()),
                ContentBlock::Text("More?".into()),
            ],
            "consecutive user turns are combined"
        );
    }

    #[test]
    fn anthropic_maps_thinking_choices_and_cache_ttls() {
        let with = |extra: Value| {
            let mut body = json!({"model": "m", "max_tokens": 1, "messages": [
                {"role": "user", "content": "hi"}]});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            map(body)
        };
        let level = |thinking: Value| {
            with(json!({ "thinking": thinking }))
                .unwrap()
                .request
                .reasoning
        };
        for (budget, expected) in [
            (1024, ReasoningLevel::Minimal),
            (2047, ReasoningLevel::Minimal),
            (2048, ReasoningLevel::Low),
            (16_384, ReasoningLevel::High),
            (64_000, ReasoningLevel::Max),
        ] {
            assert_eq!(
                level(json!({"type": "enabled", "budget_tokens": budget})),
                Some(expected),
                "{budget}"
            );
        }
        assert_eq!(level(json!({"type": "disabled"})), None);
        assert_eq!(
            level(json!({"type": "adaptive"})),
            Some(ReasoningLevel::High)
        );
        let effort =
            with(json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": "max"}}));
        assert_eq!(effort.unwrap().request.reasoning, Some(ReasoningLevel::Max));
        let bad =
            with(json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": "huge"}}));
        assert_eq!(bad.unwrap_err().param, Some("output_config"));

        let choice = |c: Value| with(json!({"tool_choice": c})).unwrap().request.tool_choice;
        assert_eq!(choice(json!({"type": "any"})), Some(ToolChoice::Any));
        assert_eq!(choice(json!({"type": "none"})), Some(ToolChoice::None));
        assert_eq!(
            choice(json!({"type": "tool", "name": "f"})),
            Some(ToolChoice::Tool("f".into()))
        );

        let retention = |extra: Value| with(extra).map(|m| m.request.cache_retention);
        assert_eq!(retention(json!({})), Ok(None), "no mark: the default");
        let long = json!({"tools": [{"name": "f", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
                          "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral", "ttl": "5m"}}]});
        assert_eq!(retention(long), Ok(Some(CacheRetention::Long)));
        let on_message = json!({"messages": [{"role": "user", "content": [
            {"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]}]});
        assert_eq!(retention(on_message), Ok(Some(CacheRetention::Short)));
        let bad_ttl = json!({"system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral", "ttl": "2d"}}]});
        assert!(retention(bad_ttl).is_err());
        let defaulted = converse_request(
            serde_json::from_value(json!({"model": "m", "messages": []})).unwrap(),
            Some(CacheRetention::Short),
        );
        assert_eq!(
            defaulted.unwrap().request.cache_retention,
            Some(CacheRetention::Short)
        );
    }

    #[test]
    fn anthropic_refuses_what_the_contract_cannot_carry() {
        let message = |content: Value| {
            map(json!({"model": "m", "messages": [{"role": "user", "content": content}]}))
                .unwrap_err()
                .message
        };
        let url = message(
            json!([{"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}}]),
        );
        assert!(url.contains("'url' are not fetched"), "{url}");
        let tiff = message(
            json!([{"type": "image", "source": {"type": "base64", "media_type": "image/tiff", "data": "AAAA"}}]),
        );
        assert!(tiff.contains("image/tiff"), "{tiff}");
        let bad = message(
            json!([{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "@@"}}]),
        );
        assert!(bad.contains("base64"), "{bad}");
        let file =
            message(json!([{"type": "document", "source": {"type": "file", "file_id": "file_1"}}]));
        assert!(file.contains("'file'"), "{file}");
        let search =
            message(json!([{"type": "search_result", "source": "s", "title": "t", "content": []}]));
        assert!(search.contains("'search_result'"), "{search}");
        let malformed =
            message(json!([{"type": "image", "source": {"type": "base64", "data": "AAAA"}}]));
        assert!(
            malformed.contains("'base64' (with a missing or mistyped field)"),
            "{malformed}"
        );
        let no_text = message(json!([{"type": "text"}]));
        assert!(no_text.contains("'text' (with a missing"), "{no_text}");
        let redacted = message(json!([{"type": "redacted_thinking", "data": "%%"}]));
        assert!(redacted.contains("redacted_thinking.data"), "{redacted}");
        let server = map(json!({"model": "m", "messages": [],
            "tools": [{"type": "web_search_20250305", "name": "web_search"}]}));
        assert_eq!(server.unwrap_err().param, Some("tools"));
        let system = map(json!({"model": "m", "messages": [], "system": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]}));
        assert_eq!(system.unwrap_err().param, Some("system"));
    }
}
