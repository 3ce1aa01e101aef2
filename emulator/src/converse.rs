//! The ConverseStream request body, validated the way Bedrock validates it.
//!
//! Only the fields the emulator acts on are typed; everything else the Converse API
//! allows (`guardrailConfig`, `performanceConfig`, ...) is accepted and ignored, as a
//! model that does not use a field would. Of `toolConfig`, only the tools' place in the
//! prompt matters (they come first, and may hold a cache point).

use serde::Deserialize;
use serde_json::Value;

use crate::catalogue::Model;
use crate::errors::ApiError;
use crate::thinking;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConverseRequest {
    messages: Option<Vec<Message>>,
    #[serde(default)]
    system: Vec<Value>,
    tool_config: Option<ToolConfig>,
    #[serde(default)]
    pub inference_config: InferenceConfig,
    pub additional_model_request_fields: Option<Value>,
}

#[derive(Debug, Deserialize)]
struct ToolConfig {
    #[serde(default)]
    tools: Vec<Value>,
}

/// Where a block of the prompt sits: Bedrock reads tools, then the system prompt, then
/// the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Tools,
    System,
    /// Message `index` (0-based), by `role`.
    Message {
        index: usize,
        role: Role,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

/// One block of the prompt in Bedrock's reading order.
#[derive(Debug, Clone, Copy)]
pub struct PromptBlock<'a> {
    pub section: Section,
    pub block: &'a Value,
}

impl PromptBlock<'_> {
    /// The input tokens the emulator bills for this block: the whitespace-separated words
    /// of every text in it. Tool definitions count for nothing, as before caching existed
    /// here, so that the counts clients already assert on stay as they were.
    pub fn tokens(&self) -> usize {
        if self.section == Section::Tools {
            return 0;
        }
        let mut texts = Vec::new();
        collect_texts(self.block, &mut texts);
        texts
            .iter()
            .map(|text| text.split_whitespace().count())
            .sum()
    }

    /// The block's `cachePoint`, when it is one.
    pub fn cache_point(&self) -> Option<&Value> {
        self.block.get("cachePoint")
    }
}

#[derive(Debug, Deserialize)]
struct Message {
    role: String,
    content: Option<Vec<Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InferenceConfig {
    pub max_tokens: Option<i64>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    #[serde(default)]
    pub stop_sequences: Vec<String>,
}

/// AWS's wording for a constraint violation on one field.
fn constraint(value: impl std::fmt::Display, at: &str, rule: &str) -> ApiError {
    ApiError::validation(format!(
        "1 validation error detected: Value {value} at '{at}' failed to satisfy constraint: {rule}"
    ))
}

impl ConverseRequest {
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let malformed = || {
            ApiError::validation(
                "Malformed input request, please reformat your input and try again.",
            )
        };
        let value: Value = serde_json::from_slice(body).map_err(|_| malformed())?;
        if !value.is_object() {
            return Err(malformed());
        }
        let request: Self = serde_json::from_value(value).map_err(|e| {
            ApiError::validation(format!(
                "Malformed input request: {e}, please reformat your input and try again."
            ))
        })?;
        request.validate()?;
        Ok(request)
    }

    fn validate(&self) -> Result<(), ApiError> {
        let messages = self
            .messages
            .as_deref()
            .ok_or_else(|| constraint("null", "messages", "Member must not be null"))?;
        if messages.is_empty() {
            return Err(constraint(
                "'[]'",
                "messages",
                "Member must have length greater than or equal to 1",
            ));
        }
        for (i, message) in messages.iter().enumerate() {
            if !["user", "assistant"].contains(&message.role.as_str()) {
                return Err(constraint(
                    format!("'{}'", message.role),
                    &format!("messages.{}.member.role", i + 1),
                    "Member must satisfy enum value set: [user, assistant]",
                ));
            }
            match &message.content {
                None => {
                    return Err(constraint(
                        "null",
                        &format!("messages.{}.member.content", i + 1),
                        "Member must not be null",
                    ));
                }
                Some(content) if content.is_empty() => {
                    return Err(ApiError::validation(format!(
                        "The content field in the Message object at messages.{i} is empty. Add a ContentBlock object to the content field and try again."
                    )));
                }
                Some(_) => {}
            }
        }
        if messages[0].role != "user" {
            return Err(ApiError::validation(
                "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
            ));
        }
        if messages.windows(2).any(|pair| pair[0].role == pair[1].role) {
            return Err(ApiError::validation(
                "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
            ));
        }
        let config = &self.inference_config;
        if let Some(max) = config.max_tokens.filter(|&max| max < 1) {
            return Err(constraint(
                format!("'{max}'"),
                "inferenceConfig.maxTokens",
                "Member must have value greater than or equal to 1",
            ));
        }
        for (field, value) in [("temperature", config.temperature), ("topP", config.top_p)] {
            if let Some(value) = value.filter(|v| !(0.0..=1.0).contains(v)) {
                let rule = if value < 0.0 {
                    "greater than or equal to 0"
                } else {
                    "less than or equal to 1"
                };
                return Err(constraint(
                    format!("'{value}'"),
                    &format!("inferenceConfig.{field}"),
                    &format!("Member must have value {rule}"),
                ));
            }
        }
        Ok(())
    }

    fn messages(&self) -> &[Message] {
        self.messages.as_deref().unwrap_or_default()
    }

    /// Claude's extended thinking is on for this request.
    pub fn thinking(&self) -> bool {
        thinking::is_enabled(self.additional_model_request_fields.as_ref())
    }

    /// Refuses thinking `model` does not take, and a conversation that breaks Claude's
    /// thinking rules while thinking is on.
    pub fn check_thinking(&self, model: &Model, signer: &thinking::Signer) -> Result<(), ApiError> {
        thinking::check_mode(model, self.additional_model_request_fields.as_ref())?;
        if !self.thinking() {
            return Ok(());
        }
        let messages: Vec<(&str, &[Value])> = self
            .messages()
            .iter()
            .map(|m| (m.role.as_str(), content(m)))
            .collect();
        thinking::check(signer, &messages)
    }

    /// The prompt block by block, in the order Bedrock reads it: tools, system prompt,
    /// messages.
    pub fn prompt(&self) -> Vec<PromptBlock<'_>> {
        let tools = self.tool_config.iter().flat_map(|c| &c.tools);
        let mut blocks: Vec<PromptBlock<'_>> = tools
            .map(|block| PromptBlock {
                section: Section::Tools,
                block,
            })
            .chain(self.system.iter().map(|block| PromptBlock {
                section: Section::System,
                block,
            }))
            .collect();
        for (index, message) in self.messages().iter().enumerate() {
            let role = if message.role == "user" {
                Role::User
            } else {
                Role::Assistant
            };
            blocks.extend(content(message).iter().map(|block| PromptBlock {
                section: Section::Message { index, role },
                block,
            }));
        }
        blocks
    }

    /// The input size Bedrock would bill without a prompt cache, approximated as
    /// whitespace-separated words of every text in the system prompt and the messages
    /// (the prompt cache counts the same way, block by block).
    #[cfg(test)]
    pub fn input_tokens(&self) -> usize {
        self.prompt().iter().map(PromptBlock::tokens).sum()
    }

    /// The text of the last user message, where tests write their directives.
    pub fn last_user_text(&self) -> String {
        let last = self.messages().iter().rev().find(|m| m.role == "user");
        let blocks = last.map(content).unwrap_or_default();
        let texts: Vec<&str> = blocks
            .iter()
            .filter_map(|b| b.get("text")?.as_str())
            .collect();
        texts.join("\n")
    }
}

fn content(message: &Message) -> &[Value] {
    message.content.as_deref().unwrap_or_default()
}

/// Every `"text"` string inside a content block, however deeply nested (tool results and
/// reasoning blocks carry their text one level down).
fn collect_texts<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match value {
                    Value::String(text) if key == "text" => out.push(text),
                    _ => collect_texts(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_texts(item, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message_of(body: &str) -> String {
        ConverseRequest::parse(body.as_bytes()).unwrap_err().message
    }

    #[test]
    fn parses_a_full_request() {
        let body = r#"{
            "system": [{"text": "You are terse."}],
            "messages": [
                {"role": "user", "content": [{"text": "Hello there"}, {"image": {"format": "png", "source": {"bytes": "AA=="}}}]},
                {"role": "assistant", "content": [{"text": "Hi"}, {"toolUse": {"toolUseId": "t1", "name": "x", "input": {}}}]},
                {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "sunny and warm"}]}}, {"text": "And now? [emulator words=3]"}]}
            ],
            "inferenceConfig": {"maxTokens": 100, "temperature": 0.5, "topP": 0.9, "stopSequences": ["END"]},
            "toolConfig": {"tools": []},
            "additionalModelRequestFields": {"thinking": {"type": "enabled"}}
        }"#;
        let request = ConverseRequest::parse(body.as_bytes()).unwrap();
        // 3 system + 2 + 1 + 3 tool result + 4 last text
        assert_eq!(request.input_tokens(), 13);
        assert_eq!(request.last_user_text(), "And now? [emulator words=3]");
        assert_eq!(request.inference_config.max_tokens, Some(100));
        assert_eq!(request.inference_config.stop_sequences, ["END"]);
    }

    #[test]
    fn rejects_what_bedrock_rejects() {
        assert_eq!(
            message_of("not json"),
            "Malformed input request, please reformat your input and try again."
        );
        assert!(message_of("[]").starts_with("Malformed input request"));
        assert!(message_of(r#"{"messages": "hello"}"#).starts_with("Malformed input request: "));
        assert!(
            message_of("{}")
                .contains("at 'messages' failed to satisfy constraint: Member must not be null")
        );
        assert!(
            message_of(r#"{"messages": []}"#)
                .contains("Member must have length greater than or equal to 1")
        );
        assert!(
            message_of(r#"{"messages": [{"role": "system", "content": [{"text": "x"}]}]}"#)
                .contains("Value 'system' at 'messages.1.member.role'")
        );
        assert!(
            message_of(r#"{"messages": [{"role": "assistant", "content": [{"text": "x"}]}]}"#)
                .starts_with("A conversation must start with a user message.")
        );
        assert!(message_of(r#"{"messages": [{"role": "user", "content": [{"text": "a"}]}, {"role": "user", "content": [{"text": "b"}]}]}"#)
            .starts_with("A conversation must alternate between user and assistant roles."));
        assert!(
            message_of(r#"{"messages": [{"role": "user", "content": []}]}"#)
                .starts_with("The content field in the Message object at messages.0 is empty.")
        );
        assert!(
            message_of(r#"{"messages": [{"role": "user"}]}"#)
                .contains("'messages.1.member.content'")
        );
        let user = r#"[{"role": "user", "content": [{"text": "x"}]}]"#;
        assert!(
            message_of(&format!(
                r#"{{"messages": {user}, "inferenceConfig": {{"maxTokens": 0}}}}"#
            ))
            .contains("Value '0' at 'inferenceConfig.maxTokens'")
        );
        assert!(message_of(&format!(r#"{{"messages": {user}, "inferenceConfig": {{"temperature": 1.5}}}}"#))
            .contains("'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1"));
    }
}
