//! The Anthropic Messages wire format: what clients send to `POST
//! /v1/messages` and what they read back, as far as `serve` speaks it.
//!
//! Requests are parsed leniently, as Anthropic's own server does for fields
//! it does not use: unknown fields (`metadata`, `service_tier`, ...) are
//! ignored, and a block or source type the contract cannot carry is kept as
//! raw JSON so that the mapping can refuse it by name.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/messages`.
#[derive(Debug, Deserialize)]
pub struct MessagesRequest {
    pub model: String,
    pub messages: Vec<InputMessage>,
    /// Required by Anthropic; left to the plugin's default when absent.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub system: Option<System>,
    #[serde(default)]
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub top_k: Option<u32>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub tools: Option<Vec<Tool>>,
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default)]
    pub thinking: Option<Thinking>,
    /// `{"effort": "low" | "medium" | "high" | "max"}`, which steers adaptive thinking.
    #[serde(default)]
    pub output_config: Option<OutputConfig>,
}

/// `system`: a string, or text blocks (which may carry `cache_control`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum System {
    Text(String),
    Blocks(Vec<InputBlock>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

#[derive(Debug, Deserialize)]
pub struct InputMessage {
    pub role: Role,
    pub content: Content,
}

/// A message's content: a string, or a list of typed blocks.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Blocks(Vec<InputBlock>),
}

/// A prompt-cache breakpoint: `{"type": "ephemeral", "ttl": "5m" | "1h"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct CacheControl {
    #[serde(default)]
    pub ttl: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InputBlock {
    Text {
        text: String,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    Image {
        source: Source,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    Document {
        source: Source,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    ToolResult {
        tool_use_id: String,
        #[serde(default)]
        content: Option<ToolResultContent>,
        #[serde(default)]
        is_error: Option<bool>,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    Thinking {
        thinking: String,
        #[serde(default)]
        signature: Option<String>,
    },
    RedactedThinking {
        data: String,
    },
    /// Any other block type (`search_result`, `server_tool_use`, ...):
    /// refused by name.
    #[serde(untagged)]
    Other(Value),
}

impl InputBlock {
    pub fn cache_control(&self) -> Option<&CacheControl> {
        match self {
            InputBlock::Text { cache_control, .. }
            | InputBlock::Image { cache_control, .. }
            | InputBlock::Document { cache_control, .. }
            | InputBlock::ToolUse { cache_control, .. }
            | InputBlock::ToolResult { cache_control, .. } => cache_control.as_ref(),
            InputBlock::Thinking { .. }
            | InputBlock::RedactedThinking { .. }
            | InputBlock::Other(_) => None,
        }
    }
}

/// An image's or a document's source.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    Base64 {
        media_type: String,
        data: String,
    },
    /// Plain text for a document (its `media_type` is always `text/plain`).
    Text {
        data: String,
    },
    /// A remote file, which the sandbox does not fetch.
    Url,
    /// `file`, `content` and whatever comes next: refused by name.
    #[serde(untagged)]
    Other(Value),
}

/// A tool result's content: a string, or blocks (text, image, document).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ToolResultContent {
    Text(String),
    Blocks(Vec<InputBlock>),
}

#[derive(Debug, Deserialize)]
pub struct Tool {
    /// `custom` or absent for a client tool; server tools name their version.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub input_schema: Option<Value>,
    #[serde(default)]
    pub cache_control: Option<CacheControl>,
}

/// `disable_parallel_tool_use` has no counterpart in the contract and is
/// ignored.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    Auto,
    Any,
    Tool { name: String },
    None,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Thinking {
    Enabled { budget_tokens: u32 },
    Adaptive,
    Disabled,
}

#[derive(Debug, Deserialize)]
pub struct OutputConfig {
    #[serde(default)]
    pub effort: Option<String>,
}

/// A whole reply (`"type": "message"`), also the snapshot `message_start`
/// carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub role: &'static str,
    pub model: String,
    pub content: Vec<OutputBlock>,
    pub stop_reason: Option<&'static str>,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputBlock {
    Text {
        text: String,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    /// `data`: the redacted bytes, base64.
    RedactedThinking {
        data: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
}

/// Anthropic counts `input_tokens` apart from cache reads and writes, as
/// Bedrock does.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub cache_creation_input_tokens: u32,
    pub cache_read_input_tokens: u32,
}

/// One server-sent event; its `type` is also the SSE `event:` name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    MessageStart {
        message: Message,
    },
    Ping,
    ContentBlockStart {
        index: u32,
        content_block: OutputBlock,
    },
    ContentBlockDelta {
        index: u32,
        delta: BlockDelta,
    },
    ContentBlockStop {
        index: u32,
    },
    MessageDelta {
        delta: MessageDelta,
        usage: Usage,
    },
    MessageStop,
}

impl StreamEvent {
    /// The SSE `event:` name.
    pub fn name(&self) -> &'static str {
        match self {
            StreamEvent::MessageStart { .. } => "message_start",
            StreamEvent::Ping => "ping",
            StreamEvent::ContentBlockStart { .. } => "content_block_start",
            StreamEvent::ContentBlockDelta { .. } => "content_block_delta",
            StreamEvent::ContentBlockStop { .. } => "content_block_stop",
            StreamEvent::MessageDelta { .. } => "message_delta",
            StreamEvent::MessageStop => "message_stop",
        }
    }
}

/// A block's delta; its `type` is the variant's name with `_delta`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum BlockDelta {
    #[serde(rename = "text_delta")]
    Text { text: String },
    #[serde(rename = "input_json_delta")]
    InputJson { partial_json: String },
    #[serde(rename = "thinking_delta")]
    Thinking { thinking: String },
    #[serde(rename = "signature_delta")]
    Signature { signature: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageDelta {
    pub stop_reason: Option<&'static str>,
    pub stop_sequence: Option<String>,
}

/// `{"type": "error", "error": {...}}`, the body of every failure.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub error: ErrorObject,
}

#[derive(Debug, Serialize)]
pub struct ErrorObject {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub message: String,
}
