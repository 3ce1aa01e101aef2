//! The OpenAI Chat Completions wire format: what clients send and what they
//! expect back, as far as `serve` speaks it.
//!
//! Requests are parsed leniently, as OpenAI's own server does: unknown fields
//! are ignored, so clients that send newer options still work. Replies carry
//! the fields the official SDKs read; `null` where OpenAI sends `null`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/chat/completions`.
#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub tools: Option<Vec<Tool>>,
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    /// Deprecated by OpenAI in favour of `max_completion_tokens`, still sent.
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub top_p: Option<f32>,
    #[serde(default)]
    pub stop: Option<Stop>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default)]
    pub reasoning_effort: Option<String>,
    /// OpenRouter's form of the same, which some clients send instead.
    #[serde(default)]
    pub reasoning: Option<ReasoningOptions>,
}

/// OpenRouter's `reasoning` request object.
#[derive(Debug, Default, Deserialize)]
pub struct ReasoningOptions {
    /// As `reasoning_effort`.
    #[serde(default)]
    pub effort: Option<String>,
    /// `true` without an effort: medium; `false`: off.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// A thinking budget: the contract takes levels, so any budget turns
    /// reasoning on at medium unless an effort is given.
    #[serde(default)]
    pub max_tokens: Option<u32>,
}

/// One message, tagged by `role`.
#[derive(Debug, Deserialize)]
#[serde(tag = "role", rename_all = "lowercase")]
pub enum ChatMessage {
    System {
        content: Content,
    },
    Developer {
        content: Content,
    },
    User {
        content: Content,
    },
    Assistant {
        #[serde(default)]
        content: Option<Content>,
        #[serde(default)]
        tool_calls: Vec<ToolCall>,
        /// The reasoning text as this server (or another) returned it.
        #[serde(default)]
        reasoning_content: Option<String>,
        /// Signed and redacted thinking as this server returned it.
        #[serde(default)]
        thinking_blocks: Option<Vec<ThinkingBlock>>,
        /// OpenRouter's field, as clients that keep it send it back.
        #[serde(default)]
        reasoning_details: Option<Vec<Value>>,
    },
    Tool {
        tool_call_id: String,
        content: Content,
    },
}

/// A message's content: a string, or a list of typed parts.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text {
        text: String,
    },
    ImageUrl {
        image_url: ImageUrl,
    },
    /// An assistant's refusal, replayed in a later request.
    Refusal {
        refusal: String,
    },
    /// Any other part type (`input_audio`, `file`, ...): refused by name.
    #[serde(untagged)]
    Other(Value),
}

/// One block of a reply's reasoning, in LiteLLM's `thinking_blocks` shape:
/// what a client sends back so that the model gets its own signed (or
/// redacted) thinking again, byte for byte.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ThinkingBlock {
    Thinking {
        thinking: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    /// Encrypted thinking, base64.
    RedactedThinking { data: String },
}

#[derive(Debug, Deserialize)]
pub struct ImageUrl {
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: FunctionCall,
}

fn function_type() -> String {
    "function".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// The arguments as JSON text.
    #[serde(default)]
    pub arguments: String,
}

#[derive(Debug, Deserialize)]
pub struct Tool {
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionDef,
}

#[derive(Debug, Deserialize)]
pub struct FunctionDef {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The JSON Schema of the arguments; OpenAI allows leaving it out.
    #[serde(default)]
    pub parameters: Option<Value>,
}

/// `"auto"`, `"none"`, `"required"`, or `{"type":"function","function":{"name":...}}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(String),
    Named { function: NamedFunction },
}

#[derive(Debug, Deserialize)]
pub struct NamedFunction {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

/// A whole reply (`"object": "chat.completion"`).
#[derive(Debug, Serialize)]
pub struct ChatCompletion {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    pub usage: Option<Usage>,
}

#[derive(Debug, Serialize)]
pub struct Choice {
    pub index: u32,
    pub message: AssistantMessage,
    pub finish_reason: Option<&'static str>,
    pub logprobs: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct AssistantMessage {
    pub role: &'static str,
    pub content: Option<String>,
    /// The model's reasoning text: not OpenAI's, but a common extension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// The reasoning with its signatures (LiteLLM's field).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub thinking_blocks: Vec<ThinkingBlock>,
    /// The same, for clients that keep only OpenRouter's field beside tool
    /// calls (see [`crate::mapping`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasoning_details: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    pub refusal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub total_tokens: u32,
    pub prompt_tokens_details: PromptTokensDetails,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptTokensDetails {
    /// Prompt tokens read from the cache.
    pub cached_tokens: u32,
    /// Prompt tokens written to the cache (OpenAI's SDKs know the field).
    pub cache_write_tokens: u32,
}

/// One streamed piece (`"object": "chat.completion.chunk"`).
#[derive(Debug, Serialize)]
pub struct ChatCompletionChunk {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub model: String,
    pub choices: Vec<ChunkChoice>,
    /// Only in the last chunk, and only with `stream_options.include_usage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

#[derive(Debug, Serialize)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    pub finish_reason: Option<&'static str>,
    pub logprobs: Option<Value>,
}

#[derive(Debug, Default, PartialEq, Serialize)]
pub struct Delta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_content: Option<String>,
    /// Each entry a whole block, sent when the block ends.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub thinking_blocks: Vec<ThinkingBlock>,
    /// Sent with the first tool call's start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasoning_details: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCallDelta>,
}

/// A streamed tool call: the first piece has `id`, `type` and the name, the
/// next ones fragments of the arguments.
#[derive(Debug, PartialEq, Serialize)]
pub struct ToolCallDelta {
    pub index: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    pub function: FunctionDelta,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct FunctionDelta {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub arguments: String,
}

/// `GET /v1/models`.
#[derive(Debug, Serialize)]
pub struct ModelList {
    pub object: &'static str,
    pub data: Vec<Model>,
}

/// OpenAI's four fields, then what OpenRouter adds so that a gateway can
/// size prompts and show costs.
#[derive(Debug, PartialEq, Serialize)]
pub struct Model {
    pub id: String,
    pub object: &'static str,
    pub created: u64,
    pub owned_by: String,
    pub name: String,
    pub context_length: u32,
    pub architecture: Architecture,
    pub top_provider: TopProvider,
    pub pricing: Pricing,
    pub supported_parameters: Vec<&'static str>,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct Architecture {
    pub input_modalities: Vec<&'static str>,
    pub output_modalities: Vec<&'static str>,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct TopProvider {
    pub context_length: u32,
    pub max_completion_tokens: u32,
}

/// US dollars per token, as decimal strings (OpenRouter's convention: no
/// float rounding on the way).
#[derive(Debug, PartialEq, Serialize)]
pub struct Pricing {
    pub prompt: String,
    pub completion: String,
    pub input_cache_read: String,
    pub input_cache_write: String,
}

/// `{"error": {...}}`, the body of every failure.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: ErrorObject,
}

#[derive(Debug, Serialize)]
pub struct ErrorObject {
    pub message: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub param: Option<&'static str>,
    pub code: Option<String>,
}
