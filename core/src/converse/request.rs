//! The Converse request body, from the contract's `converse-request`.
//!
//! Field names and shapes are Bedrock Runtime's (`Converse` /
//! `ConverseStream` share one input). JSON the gateway hands over as text
//! (tool schemas, tool inputs, additional fields) is parsed here so a mistake
//! surfaces as a typed `invalid-request` naming the field, not as a
//! ValidationException from the service.

use crate::types::{
    CacheRetention, ContentBlock, ConverseRequest, DocumentBlock, DocumentFormat, ImageBlock,
    ImageFormat, Role, ToolChoice, ToolResultContent,
};
use crate::types::ProviderError;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Body {
    messages: Vec<MessageJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    system: Vec<SystemJson>,
    #[serde(skip_serializing_if = "InferenceConfig::is_empty")]
    inference_config: InferenceConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_config: Option<ToolConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    guardrail_config: Option<GuardrailJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    additional_model_request_fields: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    additional_model_response_field_paths: Vec<String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    request_metadata: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    performance_config: Option<PerformanceConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_tier: Option<ServiceTier>,
}

#[derive(Serialize)]
struct MessageJson {
    role: &'static str,
    content: Vec<Value>,
}

#[derive(Serialize)]
struct SystemJson {
    text: String,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct InferenceConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_p: Option<f32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stop_sequences: Vec<String>,
}

impl InferenceConfig {
    fn is_empty(&self) -> bool {
        self.max_tokens.is_none()
            && self.temperature.is_none()
            && self.top_p.is_none()
            && self.stop_sequences.is_empty()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ToolConfig {
    tools: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GuardrailJson {
    guardrail_identifier: String,
    guardrail_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_processing_mode: Option<String>,
}

#[derive(Serialize)]
struct PerformanceConfig {
    latency: String,
}

#[derive(Serialize)]
struct ServiceTier {
    #[serde(rename = "type")]
    tier: String,
}

/// Builds the JSON body of a ConverseStream call.
pub fn body(request: &ConverseRequest) -> Result<Vec<u8>, ProviderError> {
    if request.reasoning.is_some() {
        return Err(not_yet("reasoning levels (thinking budgets per model family)"));
    }
    if matches!(request.cache_retention, Some(CacheRetention::Short | CacheRetention::Long)) {
        return Err(not_yet("prompt-cache points"));
    }
    if request.messages.is_empty() {
        return Err(ProviderError::InvalidRequest("a conversation needs at least one message".into()));
    }
    let messages = request
        .messages
        .iter()
        .map(|m| {
            Ok(MessageJson {
                role: match m.role {
                    Role::User => "user",
                    Role::Assistant => "assistant",
                },
                content: m.content.iter().map(content_block).collect::<Result<_, _>>()?,
            })
        })
        .collect::<Result<Vec<_>, ProviderError>>()?;
    let bedrock = request.bedrock.as_ref();
    let body = Body {
        messages,
        system: request
            .system
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|text| SystemJson { text: text.clone() })
            .collect(),
        inference_config: InferenceConfig {
            max_tokens: request.max_tokens,
            temperature: request.temperature,
            top_p: request.top_p,
            stop_sequences: request.stop_sequences.clone(),
        },
        tool_config: tool_config(request)?,
        guardrail_config: bedrock.and_then(|b| b.guardrail.as_ref()).map(|g| GuardrailJson {
            guardrail_identifier: g.identifier.clone(),
            guardrail_version: g.version.clone(),
            trace: g.trace.clone(),
            stream_processing_mode: g.stream_processing_mode.clone(),
        }),
        additional_model_request_fields: bedrock
            .and_then(|b| b.additional_model_request_fields.as_deref())
            .map(|json| parse_object(json, "additional-model-request-fields"))
            .transpose()?,
        additional_model_response_field_paths: bedrock
            .map(|b| b.additional_model_response_field_paths.clone())
            .unwrap_or_default(),
        request_metadata: bedrock
            .map(|b| {
                b.request_metadata
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect()
            })
            .unwrap_or_default(),
        performance_config: bedrock
            .and_then(|b| b.latency.clone())
            .map(|latency| PerformanceConfig { latency }),
        service_tier: bedrock
            .and_then(|b| b.service_tier.clone())
            .map(|tier| ServiceTier { tier }),
    };
    serde_json::to_vec(&body).map_err(|e| ProviderError::InvalidRequest(e.to_string()))
}

fn tool_config(request: &ConverseRequest) -> Result<Option<ToolConfig>, ProviderError> {
    if request.tools.is_empty() {
        return Ok(None);
    }
    let tools = request
        .tools
        .iter()
        .map(|t| {
            let mut spec = serde_json::json!({
                "name": t.name,
                "inputSchema": { "json": parse_object(&t.input_schema_json, "input-schema-json")? },
            });
            if let Some(description) = &t.description {
                spec["description"] = Value::String(description.clone());
            }
            Ok(serde_json::json!({ "toolSpec": spec }))
        })
        .collect::<Result<Vec<_>, ProviderError>>()?;
    let tool_choice = match &request.tool_choice {
        None | Some(ToolChoice::Auto) => None,
        Some(ToolChoice::Any) => Some(serde_json::json!({ "any": {} })),
        Some(ToolChoice::Tool(name)) => Some(serde_json::json!({ "tool": { "name": name } })),
        Some(ToolChoice::None) => return Err(not_yet("tool-choice `none`")),
    };
    Ok(Some(ToolConfig { tools, tool_choice }))
}

fn content_block(block: &ContentBlock) -> Result<Value, ProviderError> {
    Ok(match block {
        ContentBlock::Text(text) => serde_json::json!({ "text": text }),
        ContentBlock::Image(image) => serde_json::json!({ "image": image_json(image) }),
        ContentBlock::Document(doc) => serde_json::json!({ "document": document_json(doc) }),
        ContentBlock::ToolUse(tool) => serde_json::json!({
            "toolUse": {
                "toolUseId": tool.id,
                "name": tool.name,
                "input": parse_json(&tool.input_json, "tool-use input-json")?,
            }
        }),
        ContentBlock::ToolResult(result) => {
            let content = result
                .content
                .iter()
                .map(|c| {
                    Ok(match c {
                        ToolResultContent::Text(text) => serde_json::json!({ "text": text }),
                        ToolResultContent::Json(json) => {
                            serde_json::json!({ "json": parse_json(json, "tool-result json")? })
                        }
                        ToolResultContent::Image(image) => serde_json::json!({ "image": image_json(image) }),
                        ToolResultContent::Document(doc) => {
                            serde_json::json!({ "document": document_json(doc) })
                        }
                    })
                })
                .collect::<Result<Vec<_>, ProviderError>>()?;
            serde_json::json!({
                "toolResult": {
                    "toolUseId": result.tool_use_id,
                    "content": content,
                    "status": if result.is_error { "error" } else { "success" },
                }
            })
        }
        ContentBlock::Reasoning(reasoning) => {
            let mut text = serde_json::json!({ "text": reasoning.text });
            if let Some(signature) = &reasoning.signature {
                text["signature"] = Value::String(signature.clone());
            }
            serde_json::json!({ "reasoningContent": { "reasoningText": text } })
        }
        ContentBlock::RedactedReasoning(data) => {
            serde_json::json!({ "reasoningContent": { "redactedContent": BASE64.encode(data) } })
        }
    })
}

fn image_json(image: &ImageBlock) -> Value {
    let format = match image.format {
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::Png => "png",
        ImageFormat::Gif => "gif",
        ImageFormat::Webp => "webp",
    };
    serde_json::json!({ "format": format, "source": { "bytes": BASE64.encode(&image.data) } })
}

fn document_json(doc: &DocumentBlock) -> Value {
    let format = match doc.format {
        DocumentFormat::Pdf => "pdf",
        DocumentFormat::Csv => "csv",
        DocumentFormat::Doc => "doc",
        DocumentFormat::Docx => "docx",
        DocumentFormat::Xls => "xls",
        DocumentFormat::Xlsx => "xlsx",
        DocumentFormat::Html => "html",
        DocumentFormat::Txt => "txt",
        DocumentFormat::Md => "md",
    };
    serde_json::json!({
        "format": format,
        "name": doc.name,
        "source": { "bytes": BASE64.encode(&doc.data) },
    })
}

fn parse_json(json: &str, field: &str) -> Result<Value, ProviderError> {
    serde_json::from_str(json)
        .map_err(|e| ProviderError::InvalidRequest(format!("{field} is not valid JSON: {e}")))
}

fn parse_object(json: &str, field: &str) -> Result<Value, ProviderError> {
    match parse_json(json, field)? {
        object @ Value::Object(_) => Ok(object),
        _ => Err(ProviderError::InvalidRequest(format!("{field} must be a JSON object"))),
    }
}

fn not_yet(feature: &str) -> ProviderError {
    ProviderError::NotImplemented(format!("{feature} are not supported by this build of the plugin yet"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{BedrockRequestOptions, Message, ToolResultBlock, ToolSpec, ToolUseBlock};

    pub(crate) fn text_request(text: &str) -> ConverseRequest {
        ConverseRequest {
            model_id: "anthropic.claude-3-5-haiku-20241022-v1:0".into(),
            system: Some("Be brief.".into()),
            messages: vec![Message { role: Role::User, content: vec![ContentBlock::Text(text.into())] }],
            tools: vec![],
            tool_choice: None,
            max_tokens: Some(256),
            temperature: Some(0.7),
            top_p: None,
            stop_sequences: vec!["\n\nHuman:".into()],
            reasoning: None,
            cache_retention: None,
            bedrock: None,
        }
    }

    fn json(request: &ConverseRequest) -> Value {
        serde_json::from_slice(&body(request).unwrap()).unwrap()
    }

    #[test]
    fn text_conversation() {
        let mut req = text_request("Hello");
        req.messages.push(Message { role: Role::Assistant, content: vec![ContentBlock::Text("Hi!".into())] });
        req.messages.push(Message { role: Role::User, content: vec![ContentBlock::Text("How are you?".into())] });
        assert_eq!(
            json(&req),
            serde_json::json!({
                "messages": [
                    {"role": "user", "content": [{"text": "Hello"}]},
                    {"role": "assistant", "content": [{"text": "Hi!"}]},
                    {"role": "user", "content": [{"text": "How are you?"}]},
                ],
                "system": [{"text": "Be brief."}],
                "inferenceConfig": {"maxTokens": 256, "temperature": 0.7, "stopSequences": ["\n\nHuman:"]},
            })
        );
    }

    #[test]
    fn tools_images_and_bedrock_options() {
        let mut req = text_request("look");
        req.system = None;
        req.max_tokens = None;
        req.temperature = None;
        req.stop_sequences.clear();
        req.messages[0].content.push(ContentBlock::Image(ImageBlock { format: ImageFormat::Png, data: vec![1, 2, 3] }));
        req.messages.push(Message {
            role: Role::Assistant,
            content: vec![ContentBlock::ToolUse(ToolUseBlock { id: "t1".into(), name: "w".into(), input_json: r#"{"city":"Paris"}"#.into() })],
        });
        req.messages.push(Message {
            role: Role::User,
            content: vec![ContentBlock::ToolResult(ToolResultBlock {
                tool_use_id: "t1".into(),
                content: vec![ToolResultContent::Json(r#"{"c":21}"#.into())],
                is_error: false,
            })],
        });
        req.tools.push(ToolSpec { name: "w".into(), description: Some("weather".into()), input_schema_json: r#"{"type":"object"}"#.into() });
        req.tool_choice = Some(ToolChoice::Tool("w".into()));
        req.bedrock = Some(BedrockRequestOptions {
            guardrail: None,
            latency: Some("optimized".into()),
            service_tier: Some("priority".into()),
            request_metadata: vec![("team".into(), "a".into())],
            additional_model_request_fields: Some(r#"{"top_k":5}"#.into()),
            additional_model_response_field_paths: vec!["/stop_sequence".into()],
        });
        let v = json(&req);
        assert_eq!(v["messages"][0]["content"][1], serde_json::json!({"image": {"format": "png", "source": {"bytes": "AQID"}}}));
        assert_eq!(v["messages"][1]["content"][0]["toolUse"]["input"]["city"], "Paris");
        assert_eq!(v["messages"][2]["content"][0]["toolResult"]["status"], "success");
        assert_eq!(v["toolConfig"]["toolChoice"], serde_json::json!({"tool": {"name": "w"}}));
        assert_eq!(v["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"]["type"], "object");
        assert_eq!(v["additionalModelRequestFields"]["top_k"], 5);
        assert_eq!(v["performanceConfig"]["latency"], "optimized");
        assert_eq!(v["serviceTier"]["type"], "priority");
        assert_eq!(v["requestMetadata"]["team"], "a");
        assert!(v.get("inferenceConfig").is_none() && v.get("system").is_none());
    }

    #[test]
    fn bad_json_names_the_field() {
        let mut req = text_request("x");
        req.tools.push(ToolSpec { name: "w".into(), description: None, input_schema_json: "{oops".into() });
        let Err(ProviderError::InvalidRequest(m)) = body(&req) else { panic!() };
        assert!(m.contains("input-schema-json"), "{m}");
    }

    #[test]
    fn unimplemented_features_say_so() {
        let mut req = text_request("x");
        req.reasoning = Some(crate::types::ReasoningLevel::High);
        assert!(matches!(body(&req), Err(ProviderError::NotImplemented(_))));
    }
}
