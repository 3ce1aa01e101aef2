//! The Converse request body, from the contract's `converse-request`.
//!
//! Field names and shapes are Bedrock Runtime's (`Converse` /
//! `ConverseStream` share one input; checked against botocore's
//! `bedrock-runtime` service model, `ConverseStreamRequest`). This module
//! assembles the body; the rules live beside it:
//!
//! * [`conversation`](super::conversation): turns merged, emptied turns
//!   dropped, tool results first, unanswered tool calls answered;
//! * [`content`](super::content): each block, thinking replay, tool-call ids,
//!   image and document checks;
//! * [`tools`](super::tools): tool definitions and the tool choice;
//! * [`models`](super::models): what the model family accepts, which decides
//!   [`reasoning`](super::reasoning) settings, [`cache`](super::cache) points
//!   and whether `topP` goes with `temperature` (the newest Claude models
//!   refuse both at once; `temperature` is kept).
//!
//! JSON the gateway hands over as text (tool schemas, tool inputs,
//! additional fields) is parsed here so a mistake surfaces as a typed
//! `invalid-request` naming the field, not as a ValidationException from
//! the service.

use super::cache;
use super::content::{Replay, parse_object};
use super::conversation::{self, MessageJson};
use super::models::{self, Capabilities};
use super::reasoning::{self, Context, Inference};
use super::tools::{self, ToolConfig};
use crate::error::Error;
use crate::types::ConverseRequest;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The JSON body of a ConverseStream call.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Body {
    messages: Vec<MessageJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    system: Vec<Value>,
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

/// Builds the JSON body of a ConverseStream call to a commercial region.
pub fn body(request: &ConverseRequest) -> Result<Vec<u8>, Error> {
    body_for_region(request, "")
}

/// Builds the JSON body of a ConverseStream call to `region` (GovCloud
/// lacks some fields the commercial regions take).
pub fn body_for_region(request: &ConverseRequest, region: &str) -> Result<Vec<u8>, Error> {
    body_for_model(request, &request.model_id, region)
}

/// Builds the JSON body of a ConverseStream call to `region`, mapped for
/// what `capability_model` accepts: the request's own model id, or the base
/// model of the application inference profile it names.
pub fn body_for_model(
    request: &ConverseRequest,
    capability_model: &str,
    region: &str,
) -> Result<Vec<u8>, Error> {
    let body = build(request, capability_model, region)?;
    serde_json::to_vec(&body).map_err(|e| Error::InvalidRequest(e.to_string()))
}

fn build(request: &ConverseRequest, capability_model: &str, region: &str) -> Result<Body, Error> {
    let capabilities = models::capabilities(capability_model);
    let replay = if capabilities.verifies_signatures {
        Replay::Signed
    } else {
        Replay::PlainText
    };
    let mut messages = conversation::messages(&request.messages, replay)?;
    let tool_config = tools::tool_config(request, &messages)?;

    let mut inference = Inference {
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        top_p: request.top_p,
    };
    let reasoning_fields = match request.reasoning {
        Some(level) => {
            let context = Context {
                has_tools: tool_config.is_some(),
                forces_tool: tools::forces_tool(request),
                govcloud: is_govcloud(&request.model_id, region),
            };
            reasoning::apply(level, &capabilities, context, &mut inference)?
        }
        None => Map::new(),
    };

    if capabilities.one_sampling_setting && inference.temperature.is_some() {
        // Both refused together: temperature is the one gateways mean.
        inference.top_p = None;
    }

    let mut system: Vec<Value> = request
        .system
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|text| json!({ "text": text }))
        .collect();
    place_cache_points(request, &capabilities, &mut system, &mut messages);

    let bedrock = request.bedrock.as_ref();
    Ok(Body {
        messages,
        system,
        inference_config: InferenceConfig {
            max_tokens: inference.max_tokens,
            temperature: inference.temperature,
            top_p: inference.top_p,
            // Bedrock refuses empty stop sequences; they stop nothing anyway.
            stop_sequences: request
                .stop_sequences
                .iter()
                .filter(|s| !s.is_empty())
                .cloned()
                .collect(),
        },
        tool_config,
        guardrail_config: bedrock
            .and_then(|b| b.guardrail.as_ref())
            .map(|g| GuardrailJson {
                guardrail_identifier: g.identifier.clone(),
                guardrail_version: g.version.clone(),
                trace: g.trace.clone(),
                stream_processing_mode: g.stream_processing_mode.clone(),
            }),
        additional_model_request_fields: merge_additional_fields(
            reasoning_fields,
            bedrock.and_then(|b| b.additional_model_request_fields.as_deref()),
        )?,
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
    })
}

fn place_cache_points(
    request: &ConverseRequest,
    capabilities: &Capabilities,
    system: &mut Vec<Value>,
    messages: &mut [MessageJson],
) {
    if let Some(point) = cache::cache_point(request.cache_retention, capabilities.prompt_cache) {
        cache::place(&point, system, messages);
    }
}

/// The caller's `additional-model-request-fields` over the plugin's own: the
/// caller's keys win (it is the escape hatch for what the plugin does not
/// model), except that `anthropic_beta` lists are joined so a caller's beta
/// does not silently drop interleaved thinking.
fn merge_additional_fields(
    mut ours: Map<String, Value>,
    theirs: Option<&str>,
) -> Result<Option<Value>, Error> {
    if let Some(json) = theirs {
        let Value::Object(theirs) = parse_object(json, "additional-model-request-fields")? else {
            unreachable!("parse_object returns objects only")
        };
        for (key, value) in theirs {
            if key == "anthropic_beta"
                && let (Some(Value::Array(mine)), Value::Array(more)) = (ours.get_mut(&key), &value)
            {
                for beta in more {
                    if !mine.contains(beta) {
                        mine.push(beta.clone());
                    }
                }
                continue;
            }
            ours.insert(key, value);
        }
    }
    Ok((!ours.is_empty()).then_some(Value::Object(ours)))
}

/// AWS GovCloud (US), from the region or the model id's own prefix.
fn is_govcloud(model_id: &str, region: &str) -> bool {
    region.starts_with("us-gov-")
        || model_id.starts_with("us-gov.")
        || model_id.starts_with("arn:aws-us-gov:")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::types::{
        BedrockRequestOptions, CacheRetention, ContentBlock, GuardrailConfig, ImageBlock,
        ImageFormat, Message, ReasoningBlock, ReasoningLevel, Role, ToolChoice, ToolResultBlock,
        ToolResultContent, ToolSpec, ToolUseBlock,
    };

    pub(crate) fn text_request(text: &str) -> ConverseRequest {
        ConverseRequest {
            model_id: "anthropic.claude-3-5-haiku-20241022-v1:0".into(),
            system: Some("Be brief.".into()),
            messages: vec![Message {
                role: Role::User,
                content: vec![ContentBlock::Text(text.into())],
            }],
            max_tokens: Some(256),
            temperature: Some(0.7),
            stop_sequences: vec!["\n\nHuman:".into()],
            ..Default::default()
        }
    }

    fn json(request: &ConverseRequest) -> Value {
        serde_json::from_slice(&body(request).unwrap()).unwrap()
    }

    fn user(content: Vec<ContentBlock>) -> Message {
        Message {
            role: Role::User,
            content,
        }
    }

    fn assistant(content: Vec<ContentBlock>) -> Message {
        Message {
            role: Role::Assistant,
            content,
        }
    }

    /// A tool loop: a question, thinking plus a call, its result.
    fn tool_loop(model_id: &str) -> ConverseRequest {
        let mut req = text_request("Weather in Paris?");
        req.model_id = model_id.into();
        req.messages.push(assistant(vec![
            ContentBlock::Reasoning(ReasoningBlock {
                text: "Use the tool.".into(),
                signature: Some("c2ln".into()),
            }),
            ContentBlock::RedactedReasoning(vec![1, 2, 3]),
            ContentBlock::ToolUse(ToolUseBlock {
                id: "call|1".into(),
                name: "get_weather".into(),
                input_json: r#"{"city":"Paris"}"#.into(),
            }),
        ]));
        req.messages
            .push(user(vec![ContentBlock::ToolResult(ToolResultBlock {
                tool_use_id: "call|1".into(),
                content: vec![ToolResultContent::Json(r#"{"c":21}"#.into())],
                is_error: false,
            })]));
        req.tools.push(ToolSpec {
            name: "get_weather".into(),
            description: Some("Current weather.".into()),
            input_schema_json: r#"{"type":"object","properties":{"city":{"type":"string"}}}"#
                .into(),
        });
        req
    }

    #[test]
    fn text_conversation() {
        let mut req = text_request("Hello");
        req.messages
            .push(assistant(vec![ContentBlock::Text("Hi!".into())]));
        req.messages
            .push(user(vec![ContentBlock::Text("How are you?".into())]));
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
    fn claude_4_thinking_with_tools_and_long_cache() {
        let mut req = tool_loop("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
        req.reasoning = Some(ReasoningLevel::High);
        req.cache_retention = Some(CacheRetention::Long);
        req.top_p = Some(0.9);
        let id = crate::converse::tool_ids::bedrock_id("call|1").into_owned();
        let cache = serde_json::json!({"cachePoint": {"type": "default", "ttl": "1h"}});
        assert_eq!(
            json(&req),
            serde_json::json!({
                "messages": [
                    {"role": "user", "content": [{"text": "Weather in Paris?"}]},
                    {"role": "assistant", "content": [
                        {"reasoningContent": {"reasoningText": {"text": "Use the tool.", "signature": "c2ln"}}},
                        {"reasoningContent": {"redactedContent": "AQID"}},
                        {"toolUse": {"toolUseId": id, "name": "get_weather", "input": {"city": "Paris"}}},
                    ]},
                    {"role": "user", "content": [
                        {"toolResult": {"toolUseId": id, "content": [{"json": {"c": 21}}], "status": "success"}},
                        cache,
                    ]},
                ],
                "system": [{"text": "Be brief."}, cache],
                "inferenceConfig": {"maxTokens": 256 + 16384, "stopSequences": ["\n\nHuman:"]},
                "toolConfig": {"tools": [{"toolSpec": {
                    "name": "get_weather",
                    "description": "Current weather.",
                    "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
                }}]},
                "additionalModelRequestFields": {
                    "thinking": {"type": "enabled", "budget_tokens": 16384},
                    "anthropic_beta": ["interleaved-thinking-2025-05-14"],
                },
            })
        );
    }

    #[test]
    fn other_models_get_thinking_as_text_and_no_cache_points() {
        let mut req = tool_loop("meta.llama3-3-70b-instruct-v1:0");
        req.reasoning = Some(ReasoningLevel::High);
        req.cache_retention = Some(CacheRetention::Short);
        let v = json(&req);
        assert_eq!(
            v["messages"][1]["content"],
            serde_json::json!([
                {"text": "Use the tool."},
                {"toolUse": {"toolUseId": crate::converse::tool_ids::bedrock_id("call|1"), "name": "get_weather", "input": {"city": "Paris"}}},
            ])
        );
        assert_eq!(v["system"], serde_json::json!([{"text": "Be brief."}]));
        assert_eq!(v["messages"][2]["content"].as_array().unwrap().len(), 1);
        assert!(v.get("additionalModelRequestFields").is_none());
        assert_eq!(
            v["inferenceConfig"]["temperature"], 0.7,
            "no reasoning setting, nothing removed"
        );
    }

    #[test]
    fn nova_2_reasoning_and_nova_cache() {
        let mut req = text_request("Plan a trip.");
        req.model_id = "us.amazon.nova-2-lite-v1:0".into();
        req.reasoning = Some(ReasoningLevel::Medium);
        req.cache_retention = Some(CacheRetention::Short);
        assert_eq!(
            json(&req),
            serde_json::json!({
                "messages": [{"role": "user", "content": [{"text": "Plan a trip."}]}],
                "system": [{"text": "Be brief."}],
                "inferenceConfig": {"maxTokens": 256, "stopSequences": ["\n\nHuman:"]},
                "additionalModelRequestFields": {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "medium"}},
            })
        );
        req.model_id = "amazon.nova-pro-v1:0".into();
        req.cache_retention = Some(CacheRetention::Long);
        let v = json(&req);
        let short = serde_json::json!({"cachePoint": {"type": "default"}});
        assert_eq!(v["system"][1], short, "long falls back to short");
        assert_eq!(v["messages"][0]["content"][1], short);
    }

    #[test]
    fn adaptive_thinking_body() {
        let mut req = text_request("Prove it.");
        req.model_id = "global.anthropic.claude-opus-4-7".into();
        req.reasoning = Some(ReasoningLevel::Max);
        req.max_tokens = None;
        let v = json(&req);
        assert_eq!(
            v["additionalModelRequestFields"],
            serde_json::json!({"thinking": {"type": "adaptive", "display": "summarized"}, "output_config": {"effort": "max"}})
        );
        assert_eq!(
            v["inferenceConfig"],
            serde_json::json!({"maxTokens": 4096 + 32000, "stopSequences": ["\n\nHuman:"]})
        );
        let gov = body_for_region(&req, "us-gov-west-1").unwrap();
        let gov: Value = serde_json::from_slice(&gov).unwrap();
        assert_eq!(
            gov["additionalModelRequestFields"]["thinking"],
            serde_json::json!({"type": "adaptive"})
        );
    }

    #[test]
    fn tool_choice_none_leaves_tools_out_of_a_fresh_conversation() {
        let mut req = text_request("Just chat.");
        req.tools.push(ToolSpec {
            name: "w".into(),
            description: None,
            input_schema_json: "{}".into(),
        });
        req.tool_choice = Some(ToolChoice::None);
        assert!(json(&req).get("toolConfig").is_none());
        let mut req = tool_loop("anthropic.claude-3-5-haiku-20241022-v1:0");
        req.tool_choice = Some(ToolChoice::None);
        let v = json(&req);
        assert!(v["toolConfig"]["tools"].is_array() && v["toolConfig"].get("toolChoice").is_none());
    }

    #[test]
    fn newer_claude_models_take_one_sampling_setting() {
        let mut req = text_request("x");
        req.top_p = Some(0.9);
        let v = json(&req);
        assert!(
            v["inferenceConfig"]["temperature"].is_number()
                && v["inferenceConfig"]["topP"].is_number(),
            "3.5 Haiku takes both"
        );
        req.model_id = "us.anthropic.claude-sonnet-4-5-20250929-v1:0".into();
        let v = json(&req);
        assert!(
            v["inferenceConfig"].get("topP").is_none()
                && v["inferenceConfig"]["temperature"].is_number()
        );
        req.temperature = None;
        assert_eq!(
            json(&req)["inferenceConfig"]["topP"]
                .as_f64()
                .map(|p| p as f32),
            Some(0.9),
            "top-p alone stays"
        );
    }

    #[test]
    fn thinking_refuses_forced_tools() {
        let mut req = tool_loop("anthropic.claude-sonnet-4-20250514-v1:0");
        req.reasoning = Some(ReasoningLevel::Low);
        req.tool_choice = Some(ToolChoice::Any);
        assert!(matches!(body(&req), Err(Error::InvalidRequest(m)) if m.contains("forced")));
    }

    #[test]
    fn bedrock_options_pass_through() {
        let mut req = text_request("look");
        req.system = None;
        req.max_tokens = None;
        req.temperature = None;
        req.stop_sequences = vec!["".into(), "END".into()];
        req.messages[0]
            .content
            .push(ContentBlock::Image(ImageBlock {
                format: ImageFormat::Png,
                data: vec![1, 2, 3],
            }));
        req.bedrock = Some(BedrockRequestOptions {
            guardrail: Some(GuardrailConfig {
                identifier: "gr-1".into(),
                version: "DRAFT".into(),
                trace: Some("enabled_full".into()),
                stream_processing_mode: Some("async".into()),
            }),
            latency: Some("optimized".into()),
            service_tier: Some("priority".into()),
            request_metadata: vec![("team".into(), "a".into())],
            additional_model_request_fields: Some(r#"{"top_k":5}"#.into()),
            additional_model_response_field_paths: vec!["/stop_sequence".into()],
        });
        assert_eq!(
            json(&req),
            serde_json::json!({
                "messages": [{"role": "user", "content": [
                    {"text": "look"},
                    {"image": {"format": "png", "source": {"bytes": "AQID"}}},
                ]}],
                "inferenceConfig": {"stopSequences": ["END"]},
                "guardrailConfig": {"guardrailIdentifier": "gr-1", "guardrailVersion": "DRAFT", "trace": "enabled_full", "streamProcessingMode": "async"},
                "additionalModelRequestFields": {"top_k": 5},
                "additionalModelResponseFieldPaths": ["/stop_sequence"],
                "requestMetadata": {"team": "a"},
                "performanceConfig": {"latency": "optimized"},
                "serviceTier": {"type": "priority"},
            })
        );
    }

    #[test]
    fn caller_fields_win_and_betas_join() {
        let ours = |beta: &str| {
            let mut m = Map::new();
            m.insert(
                "thinking".into(),
                serde_json::json!({"type": "enabled", "budget_tokens": 1024}),
            );
            m.insert("anthropic_beta".into(), serde_json::json!([beta]));
            m
        };
        let merged = merge_additional_fields(
            ours("interleaved"),
            Some(r#"{"thinking":{"type":"enabled","budget_tokens":5000},"anthropic_beta":["context-1m","interleaved"],"top_k":3}"#),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            merged,
            serde_json::json!({
                "thinking": {"type": "enabled", "budget_tokens": 5000},
                "anthropic_beta": ["interleaved", "context-1m"],
                "top_k": 3,
            })
        );
        assert_eq!(merge_additional_fields(Map::new(), None).unwrap(), None);
        assert!(matches!(
            merge_additional_fields(Map::new(), Some("[1]")),
            Err(Error::InvalidRequest(m)) if m.contains("additional-model-request-fields")
        ));
    }

    #[test]
    fn govcloud_detection() {
        assert!(is_govcloud("anthropic.claude-opus-4-7", "us-gov-west-1"));
        assert!(is_govcloud("us-gov.anthropic.claude-opus-4-7", ""));
        assert!(is_govcloud(
            "arn:aws-us-gov:bedrock:us-gov-west-1::foundation-model/x.y",
            ""
        ));
        assert!(!is_govcloud("us.anthropic.claude-opus-4-7", "us-east-1"));
    }
}
