//! A stable JSON shape for the contract's types, used by the CLI's `--json`
//! output (one object per line).
//!
//! Lines are written with [`to_line`]: `"type"` first, other keys sorted.
//!
//! Conventions: objects carry a `"type"` where they are events or errors; type
//! names and enum values are the WIT names (`text-delta`, `end-turn` stays as
//! the provider sent it in `raw_reason`); keys are snake_case; absent options
//! are `null`; byte lists are base64 (standard alphabet, padded); fields the
//! contract carries as JSON text (tool input, additional model fields,
//! guardrail traces) are embedded as JSON when they parse, else as strings.
//!
//! Stream events:
//!
//! | type                  | fields                                                   |
//! |-----------------------|----------------------------------------------------------|
//! | `message-start`       | `role`                                                   |
//! | `tool-use-start`      | `index`, `id`, `name`                                    |
//! | `tool-result-start`   | `index`, `tool_use_id`, `tool_type`, `is_error`          |
//! | `tool-result-delta`   | `index`, `content` (`[{"text": ...} \| {"json": ...}]`)  |
//! | `image-start`         | `index`, `format`                                        |
//! | `image-delta`         | `index`, one of `data` (base64), `s3_uri`, `error`       |
//! | `text-delta`          | `index`, `text`                                          |
//! | `tool-input-delta`    | `index`, `text` (a fragment of the tool's input JSON)    |
//! | `reasoning-delta`     | `index`, `text`                                          |
//! | `reasoning-signature` | `index`, `signature`                                     |
//! | `reasoning-redacted`  | `index`, `data`                                          |
//! | `citation`            | `index`, `title`, `source_text`, `location`              |
//! | `block-stop`          | `index`                                                  |
//! | `message-stop`        | `reason`, `raw_reason`, `additional_model_response_fields` |
//! | `metadata`            | `usage`, `latency_ms`, `service_tier`, `guardrail_trace` |
//!
//! Errors: `{"type":"error","kind":"<provider-error case>","message":...}`
//! plus `status`, `code`, `request_id`, `retry_after_ms` for the cases that
//! carry an `error-detail`; host-side failures use `"kind":"host"`.

use bedrock_host::types::*;
use serde_json::{Value, json};

/// One stream event as `{"type": ..., ...}`.
pub fn event(event: &StreamEvent) -> Value {
    let ty = event.wit_name();
    match event {
        StreamEvent::MessageStart(role) => json!({"type": ty, "role": role.wit_name()}),
        StreamEvent::ToolUseStart(s) => {
            json!({"type": ty, "index": s.index, "id": s.id, "name": s.name})
        }
        StreamEvent::ToolResultStart(s) => json!({
            "type": ty,
            "index": s.index,
            "tool_use_id": s.tool_use_id,
            "tool_type": s.tool_type,
            "is_error": s.is_error,
        }),
        StreamEvent::ToolResultDelta(d) => json!({
            "type": ty,
            "index": d.index,
            "content": d.content.iter().map(|c| match c {
                ToolResultContent::Text(text) => json!({"text": text}),
                ToolResultContent::Json(text) => json!({"json": embedded_json(Some(text))}),
                ToolResultContent::Image(image) => json!({"image": {"format": image.format.wit_name(), "data": base64(&image.data)}}),
                ToolResultContent::Document(doc) => json!({"document": {"name": doc.name, "data": base64(&doc.data)}}),
            }).collect::<Vec<_>>(),
        }),
        StreamEvent::ImageStart(s) => {
            json!({"type": ty, "index": s.index, "format": s.format.wit_name()})
        }
        StreamEvent::ImageDelta(d) => match &d.fragment {
            ImageFragment::Bytes(data) => {
                json!({"type": ty, "index": d.index, "data": base64(data)})
            }
            ImageFragment::S3Uri(uri) => json!({"type": ty, "index": d.index, "s3_uri": uri}),
            ImageFragment::Error(message) => {
                json!({"type": ty, "index": d.index, "error": message})
            }
        },
        StreamEvent::TextDelta(d)
        | StreamEvent::ToolInputDelta(d)
        | StreamEvent::ReasoningDelta(d) => {
            json!({"type": ty, "index": d.index, "text": d.text})
        }
        StreamEvent::ReasoningSignature(s) => {
            json!({"type": ty, "index": s.index, "signature": s.signature})
        }
        StreamEvent::ReasoningRedacted(r) => {
            json!({"type": ty, "index": r.index, "data": base64(&r.data)})
        }
        StreamEvent::Citation(c) => json!({
            "type": ty,
            "index": c.index,
            "title": c.title,
            "source_text": c.source_text,
            "location": c.location.as_ref().map(|l| json!({
                "kind": l.kind.wit_name(),
                "document_index": l.document_index,
                "start": l.start,
                "end": l.end,
            })),
        }),
        StreamEvent::BlockStop(index) => json!({"type": ty, "index": index}),
        StreamEvent::MessageStop(s) => json!({
            "type": ty,
            "reason": s.reason.wit_name(),
            "raw_reason": s.raw_reason,
            "additional_model_response_fields": embedded_json(s.additional_model_response_fields.as_deref()),
        }),
        StreamEvent::Metadata(m) => json!({
            "type": ty,
            "usage": m.usage.as_ref().map(usage),
            "latency_ms": m.latency_ms,
            "service_tier": m.service_tier,
            "guardrail_trace": embedded_json(m.guardrail_trace.as_deref()),
        }),
    }
}

/// Token usage.
pub fn usage(u: &Usage) -> Value {
    json!({
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "total_tokens": u.total_tokens,
        "cache_read_tokens": u.cache_read_tokens,
        "cache_write_tokens": u.cache_write_tokens,
        "cache_write_details": u.cache_write_details.iter()
            .map(|d| json!({"ttl": d.ttl, "input_tokens": d.input_tokens}))
            .collect::<Vec<_>>(),
    })
}

/// A typed error as `{"type":"error","kind":...,"message":...}`.
pub fn error(error: &ProviderError) -> Value {
    let mut value = json!({
        "type": "error",
        "kind": error.wit_name(),
        "message": error.message(),
    });
    if let Some(d) = error.detail() {
        let obj = value.as_object_mut().expect("an object");
        obj.insert("status".into(), json!(d.status));
        obj.insert("code".into(), json!(d.code));
        obj.insert("request_id".into(), json!(d.request_id));
        obj.insert("retry_after_ms".into(), json!(d.retry_after_ms));
    }
    value
}

/// A host-side failure (trap, missing component) as an error object.
pub fn host_error(error: &anyhow::Error) -> Value {
    json!({"type": "error", "kind": "host", "message": format!("{error:#}")})
}

pub fn plugin_info(info: &PluginInfo) -> Value {
    json!({"name": info.name, "version": info.version})
}

pub fn credential_info(info: &CredentialInfo) -> Value {
    json!({
        "kind": info.kind.wit_name(),
        "label": info.label,
        "region": info.region,
        "expires_at": info.expires_at,
    })
}

pub fn model(m: &ModelDefinition) -> Value {
    json!({
        "id": m.id,
        "name": m.name,
        "provider": m.provider,
        "reasoning": m.reasoning,
        "input": m.input.iter().map(|i| i.wit_name()).collect::<Vec<_>>(),
        "cost": {
            "input": m.cost.input,
            "output": m.cost.output,
            "cache_read": m.cost.cache_read,
            "cache_write": m.cost.cache_write,
        },
        "context_window": m.context_window,
        "max_tokens": m.max_tokens,
        "kind": m.kind.wit_name(),
        "base_model_id": m.base_model_id,
    })
}

pub fn discovery(d: &Discovery) -> Value {
    json!({
        "status": d.status.wit_name(),
        "models": d.models.iter().map(model).collect::<Vec<_>>(),
        "warnings": d.warnings,
        "refresh_error": d.refresh_error.as_ref().map(error),
        "fetched_at": d.fetched_at,
    })
}

/// One line of JSON for `value`, with `"type"` first in a top-level object
/// (then the other keys, sorted), as the CLI prints it.
pub fn to_line(value: &Value) -> String {
    let Value::Object(map) = value else {
        return value.to_string();
    };
    let Some(ty) = map.get("type") else {
        return value.to_string();
    };
    let mut line = format!("{{\"type\":{ty}");
    for (key, value) in map.iter().filter(|(key, _)| *key != "type") {
        line.push(',');
        line.push_str(&Value::String(key.clone()).to_string());
        line.push(':');
        line.push_str(&value.to_string());
    }
    line.push('}');
    line
}

fn embedded_json(text: Option<&str>) -> Value {
    match text {
        None => Value::Null,
        Some(text) => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
        assert_eq!(base64(&[0xff, 0xfe]), "//4=");
    }

    #[test]
    fn event_shapes() {
        let text = StreamEvent::TextDelta(TextDelta {
            index: 0,
            text: "hi \"x\"".into(),
        });
        assert_eq!(
            to_line(&event(&text)),
            r#"{"type":"text-delta","index":0,"text":"hi \"x\""}"#
        );
        assert_eq!(to_line(&json!({"a": 1})), r#"{"a":1}"#);
        let stop = StreamEvent::MessageStop(MessageStop {
            reason: StopReason::ToolUse,
            raw_reason: "tool_use".into(),
            additional_model_response_fields: Some(r#"{"a":1}"#.into()),
        });
        assert_eq!(
            event(&stop),
            json!({"type": "message-stop", "reason": "tool-use", "raw_reason": "tool_use",
                   "additional_model_response_fields": {"a": 1}})
        );
        assert_eq!(
            event(&StreamEvent::BlockStop(2)),
            json!({"type": "block-stop", "index": 2})
        );
    }

    #[test]
    fn error_shapes() {
        let denied = ProviderError::AccessDenied(ErrorDetail {
            message: "no".into(),
            status: Some(403),
            code: Some("AccessDeniedException".into()),
            request_id: None,
            retry_after_ms: None,
        });
        assert_eq!(
            error(&denied),
            json!({"type": "error", "kind": "access-denied", "message": "no", "status": 403,
                   "code": "AccessDeniedException", "request_id": null, "retry_after_ms": null})
        );
        assert_eq!(
            error(&ProviderError::Cancelled),
            json!({"type": "error", "kind": "cancelled", "message": "cancelled"})
        );
    }
}
