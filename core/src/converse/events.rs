//! ConverseStream frames as the contract's stream events.
//!
//! Each frame names its event in `:event-type` and carries a JSON payload
//! shaped like Bedrock's `ConverseStreamOutput` members. Unknown event types
//! and unknown fields are skipped (Bedrock pads every payload with a `"p"`
//! field, and adds members over time); malformed JSON in a known event is a
//! protocol error, because silently dropping part of a reply is worse.

use super::content::image_format_named;
use crate::error;
use crate::error::Error;
use crate::eventstream::Frame;
use crate::types::{
    CacheTtlUsage, CitationDelta, CitationLocation, CitationLocationKind, ImageDelta,
    ImageFragment, ImageStart, MessageStop, RedactedDelta, Role, SignatureDelta, StopReason,
    StreamEvent, StreamMetadata, TextDelta, ToolResultContent, ToolResultDelta, ToolResultStart,
    ToolUseStart, Usage,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Maps one frame: `Ok(Some)` an event, `Ok(None)` a frame to skip, `Err` an
/// exception or a malformed frame.
pub fn from_frame(frame: &Frame<'_>) -> Result<Option<StreamEvent>, Error> {
    match frame.string_header(":message-type") {
        Some("event") => {
            let event_type = frame
                .string_header(":event-type")
                .ok_or_else(|| protocol("event frame without an :event-type header"))?;
            from_event(event_type, frame.payload())
        }
        Some("exception") => {
            let kind = frame
                .string_header(":exception-type")
                .unwrap_or("unknownException");
            Err(error::from_exception(kind, frame.payload()))
        }
        Some("error") => {
            let code = frame.string_header(":error-code").unwrap_or("UnknownError");
            let text = frame.string_header(":error-message").unwrap_or_default();
            let payload = serde_json::json!({ "message": text }).to_string();
            Err(error::from_exception(code, payload.as_bytes()))
        }
        Some(other) => Err(protocol(&format!("unknown :message-type `{other}`"))),
        None => Err(protocol("frame without a :message-type header")),
    }
}

fn protocol(why: &str) -> Error {
    Error::Protocol(why.to_string())
}

fn parse<T: DeserializeOwned>(event: &str, payload: &[u8]) -> Result<T, Error> {
    let malformed = |e: &dyn std::fmt::Display| {
        Error::Protocol(format!("malformed `{event}` event payload: {e}"))
    };
    let text = std::str::from_utf8(payload).map_err(|e| malformed(&e))?;
    serde_json::from_str(text).map_err(|e| malformed(&e))
}

#[derive(Deserialize)]
struct MessageStartJson {
    role: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockStartJson {
    content_block_index: u32,
    start: Option<BlockStartKind>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockStartKind {
    tool_use: Option<ToolUseStartJson>,
    tool_result: Option<ToolResultStartJson>,
    image: Option<ImageStartJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolResultStartJson {
    tool_use_id: String,
    #[serde(rename = "type")]
    tool_type: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize)]
struct ImageStartJson {
    format: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ToolUseStartJson {
    tool_use_id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockDeltaJson {
    content_block_index: u32,
    delta: DeltaJson,
}

/// A `ContentBlockDelta` union. The rare members are boxed: this struct is
/// built and moved for every delta of a reply, and unboxed they made it
/// about 300 bytes, whose copies showed in the decoding profile.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DeltaJson {
    text: Option<String>,
    tool_use: Option<ToolInputJson>,
    reasoning_content: Option<Box<ReasoningJson>>,
    citation: Option<Box<CitationJson>>,
    tool_result: Option<Vec<ToolResultPieceJson>>,
    image: Option<Box<ImageDeltaJson>>,
}

/// One member of the `ToolResultBlockDelta` union.
#[derive(Deserialize)]
struct ToolResultPieceJson {
    text: Option<String>,
    json: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageDeltaJson {
    source: Option<ImageSourceJson>,
    error: Option<ErrorBlockJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageSourceJson {
    bytes: Option<String>,
    s3_location: Option<S3LocationJson>,
}

#[derive(Deserialize)]
struct S3LocationJson {
    uri: String,
}

#[derive(Deserialize)]
struct ErrorBlockJson {
    message: Option<String>,
}

#[derive(Deserialize)]
struct ToolInputJson {
    input: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReasoningJson {
    text: Option<String>,
    signature: Option<String>,
    redacted_content: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CitationJson {
    title: Option<String>,
    #[serde(default)]
    source_content: Vec<SourceContentJson>,
    location: Option<Value>,
}

#[derive(Deserialize)]
struct SourceContentJson {
    text: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BlockStopJson {
    content_block_index: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MessageStopJson {
    stop_reason: String,
    additional_model_response_fields: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct MetadataJson {
    usage: Option<UsageJson>,
    metrics: Option<MetricsJson>,
    trace: Option<TraceJson>,
    service_tier: Option<ServiceTierJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UsageJson {
    #[serde(default)]
    input_tokens: u32,
    #[serde(default)]
    output_tokens: u32,
    #[serde(default)]
    total_tokens: u32,
    cache_read_input_tokens: Option<u32>,
    cache_write_input_tokens: Option<u32>,
    #[serde(default)]
    cache_details: Vec<CacheDetailJson>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CacheDetailJson {
    ttl: String,
    input_tokens: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetricsJson {
    latency_ms: Option<u64>,
}

#[derive(Deserialize)]
struct TraceJson {
    guardrail: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServiceTierJson {
    #[serde(rename = "type")]
    tier: Option<String>,
}

fn from_event(event_type: &str, payload: &[u8]) -> Result<Option<StreamEvent>, Error> {
    let event = match event_type {
        "messageStart" => {
            let start: MessageStartJson = parse(event_type, payload)?;
            let role = match start.role.as_str() {
                "user" => Role::User,
                _ => Role::Assistant,
            };
            StreamEvent::MessageStart(role)
        }
        "contentBlockStart" => {
            let start: BlockStartJson = parse(event_type, payload)?;
            return from_block_start(start.content_block_index, start.start);
        }
        "contentBlockDelta" => {
            let delta: BlockDeltaJson = parse(event_type, payload)?;
            return from_delta(delta.content_block_index, delta.delta);
        }
        "contentBlockStop" => {
            let stop: BlockStopJson = parse(event_type, payload)?;
            StreamEvent::BlockStop(stop.content_block_index)
        }
        "messageStop" => {
            let stop: MessageStopJson = parse(event_type, payload)?;
            StreamEvent::MessageStop(MessageStop {
                reason: normalise_stop_reason(&stop.stop_reason),
                raw_reason: stop.stop_reason,
                additional_model_response_fields: stop
                    .additional_model_response_fields
                    .map(|v| v.to_string()),
            })
        }
        "metadata" => {
            let meta: MetadataJson = parse(event_type, payload)?;
            StreamEvent::Metadata(StreamMetadata {
                usage: meta.usage.map(|u| Usage {
                    input_tokens: u.input_tokens,
                    output_tokens: u.output_tokens,
                    total_tokens: u.total_tokens,
                    cache_read_tokens: u.cache_read_input_tokens,
                    cache_write_tokens: u.cache_write_input_tokens,
                    cache_write_details: u
                        .cache_details
                        .into_iter()
                        .map(|d| CacheTtlUsage {
                            ttl: d.ttl,
                            input_tokens: d.input_tokens,
                        })
                        .collect(),
                }),
                latency_ms: meta.metrics.and_then(|m| m.latency_ms),
                service_tier: meta.service_tier.and_then(|t| t.tier),
                guardrail_trace: meta.trace.and_then(|t| t.guardrail).map(|g| g.to_string()),
            })
        }
        _ => return Ok(None),
    };
    Ok(Some(event))
}

/// `contentBlockStart.start` is a union: one of `toolUse`, `toolResult`,
/// `image`. Text and reasoning blocks have no start event; a member this
/// build does not know is skipped like an unknown event.
fn from_block_start(
    index: u32,
    start: Option<BlockStartKind>,
) -> Result<Option<StreamEvent>, Error> {
    let Some(start) = start else { return Ok(None) };
    if let Some(tool) = start.tool_use {
        return Ok(Some(StreamEvent::ToolUseStart(ToolUseStart {
            index,
            id: tool.tool_use_id,
            name: tool.name,
        })));
    }
    if let Some(result) = start.tool_result {
        return Ok(Some(StreamEvent::ToolResultStart(ToolResultStart {
            index,
            tool_use_id: result.tool_use_id,
            tool_type: result.tool_type,
            is_error: result.status.as_deref() == Some("error"),
        })));
    }
    if let Some(image) = start.image {
        // An image whose format cannot be named in the contract could not be
        // shown either; dropping its start while its bytes follow would be worse.
        let format = image_format_named(&image.format).ok_or_else(|| {
            protocol(&format!(
                "streamed image in unknown format `{}`",
                image.format
            ))
        })?;
        return Ok(Some(StreamEvent::ImageStart(ImageStart { index, format })));
    }
    Ok(None)
}

fn from_delta(index: u32, delta: DeltaJson) -> Result<Option<StreamEvent>, Error> {
    if let Some(text) = delta.text {
        return Ok(Some(StreamEvent::TextDelta(TextDelta { index, text })));
    }
    if let Some(tool) = delta.tool_use {
        return Ok(Some(StreamEvent::ToolInputDelta(TextDelta {
            index,
            text: tool.input,
        })));
    }
    if let Some(reasoning) = delta.reasoning_content {
        if let Some(text) = reasoning.text {
            return Ok(Some(StreamEvent::ReasoningDelta(TextDelta { index, text })));
        }
        if let Some(signature) = reasoning.signature {
            return Ok(Some(StreamEvent::ReasoningSignature(SignatureDelta {
                index,
                signature,
            })));
        }
        if let Some(redacted) = reasoning.redacted_content {
            let data = BASE64
                .decode(redacted)
                .map_err(|e| protocol(&format!("redacted reasoning is not base64: {e}")))?;
            return Ok(Some(StreamEvent::ReasoningRedacted(RedactedDelta {
                index,
                data,
            })));
        }
    }
    if let Some(citation) = delta.citation {
        return Ok(Some(StreamEvent::Citation(CitationDelta {
            index,
            title: citation.title,
            source_text: citation
                .source_content
                .into_iter()
                .filter_map(|s| s.text)
                .collect(),
            location: citation.location.as_ref().and_then(citation_location),
        })));
    }
    if let Some(pieces) = delta.tool_result {
        let content: Vec<ToolResultContent> = pieces
            .into_iter()
            .filter_map(|piece| match (piece.text, piece.json) {
                (Some(text), _) => Some(ToolResultContent::Text(text)),
                (None, Some(json)) => Some(ToolResultContent::Json(json.to_string())),
                // A union member this build does not know.
                (None, None) => None,
            })
            .collect();
        if !content.is_empty() {
            return Ok(Some(StreamEvent::ToolResultDelta(ToolResultDelta {
                index,
                content,
            })));
        }
    }
    if let Some(image) = delta.image {
        return image_fragment(*image).map(|fragment| {
            fragment.map(|fragment| StreamEvent::ImageDelta(ImageDelta { index, fragment }))
        });
    }
    Ok(None)
}

/// `{"source": {"bytes": "<base64>"}}`, `{"source": {"s3Location": {"uri": ...}}}`
/// or `{"error": {"message": ...}}`.
fn image_fragment(image: ImageDeltaJson) -> Result<Option<ImageFragment>, Error> {
    if let Some(error) = image.error {
        let message = error
            .message
            .unwrap_or_else(|| "the model could not produce the image".into());
        return Ok(Some(ImageFragment::Error(message)));
    }
    let Some(source) = image.source else {
        return Ok(None);
    };
    if let Some(bytes) = source.bytes {
        let data = BASE64
            .decode(bytes)
            .map_err(|e| protocol(&format!("streamed image bytes are not base64: {e}")))?;
        return Ok(Some(ImageFragment::Bytes(data)));
    }
    Ok(source
        .s3_location
        .map(|location| ImageFragment::S3Uri(location.uri)))
}

/// `{"documentChar": {"documentIndex": 0, "start": 1, "end": 9}}` and its
/// page / chunk siblings.
fn citation_location(location: &Value) -> Option<CitationLocation> {
    let kinds = [
        ("documentChar", CitationLocationKind::DocumentChar),
        ("documentPage", CitationLocationKind::DocumentPage),
        ("documentChunk", CitationLocationKind::DocumentChunk),
    ];
    kinds.into_iter().find_map(|(key, kind)| {
        let loc = location.get(key)?;
        // Offsets past `u32` cannot be real; they saturate rather than wrap
        // to a wrong, plausible-looking position.
        let field = |name: &str| {
            loc.get(name)
                .and_then(Value::as_u64)
                .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        Some(CitationLocation {
            kind,
            document_index: field("documentIndex"),
            start: field("start"),
            end: field("end"),
        })
    })
}

/// Bedrock's stop reasons, folded into the gateway's five.
pub fn normalise_stop_reason(raw: &str) -> StopReason {
    match raw {
        "end_turn" | "stop_sequence" => StopReason::Stop,
        "max_tokens" | "model_context_window_exceeded" => StopReason::Length,
        "tool_use" => StopReason::ToolUse,
        "guardrail_intervened" | "content_filtered" => StopReason::ContentFiltered,
        _ => StopReason::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventstream::FrameDecoder;
    use crate::types::ImageFormat;
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    use bytes::Bytes;

    /// A frame with string headers, encoded.
    fn frame(headers: &[(&str, &str)], payload: &str) -> Vec<u8> {
        frame_of_bytes(headers, Bytes::from(payload.to_string()))
    }

    /// [`frame`] with any bytes for a payload.
    fn frame_of_bytes(headers: &[(&str, &str)], payload: Bytes) -> Vec<u8> {
        let message = headers
            .iter()
            .fold(Message::new(payload), |message, (name, value)| {
                message.add_header(Header::new(
                    name.to_string(),
                    HeaderValue::String(value.to_string().into()),
                ))
            });
        let mut bytes = Vec::new();
        write_message_to(&message, &mut bytes).unwrap();
        bytes
    }

    /// An event frame as Bedrock sends it.
    fn event(kind: &str, payload: &str) -> Vec<u8> {
        frame(
            &[
                (":message-type", "event"),
                (":event-type", kind),
                (":content-type", "application/json"),
            ],
            payload,
        )
    }

    /// Decodes one frame and maps it.
    fn map_frame(bytes: &[u8]) -> Result<Option<StreamEvent>, Error> {
        let mut frames = FrameDecoder::new();
        frames.push(bytes);
        from_frame(&frames.next_frame().unwrap().unwrap())
    }

    #[test]
    fn text_delta_ignores_padding() {
        let e = map_frame(&event(
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"Hi"},"p":"abcdefgh"}"#,
        ))
        .unwrap();
        assert_eq!(
            e,
            Some(StreamEvent::TextDelta(TextDelta {
                index: 0,
                text: "Hi".into()
            }))
        );
    }

    #[test]
    fn stop_reasons() {
        for (raw, reason) in [
            ("end_turn", StopReason::Stop),
            ("stop_sequence", StopReason::Stop),
            ("max_tokens", StopReason::Length),
            ("model_context_window_exceeded", StopReason::Length),
            ("tool_use", StopReason::ToolUse),
            ("guardrail_intervened", StopReason::ContentFiltered),
            ("content_filtered", StopReason::ContentFiltered),
            ("malformed_model_output", StopReason::Error),
        ] {
            let e = map_frame(&event(
                "messageStop",
                &format!(r#"{{"stopReason":"{raw}"}}"#),
            ))
            .unwrap();
            let Some(StreamEvent::MessageStop(stop)) = e else {
                panic!()
            };
            assert_eq!((stop.reason, stop.raw_reason.as_str()), (reason, raw));
        }
    }

    #[test]
    fn metadata_usage_and_latency() {
        let e = map_frame(&event(
            "metadata",
            r#"{"usage":{"inputTokens":3,"outputTokens":5,"totalTokens":8,"cacheReadInputTokens":2,
                "cacheDetails":[{"ttl":"1h","inputTokens":7}]},"metrics":{"latencyMs":42},"serviceTier":{"type":"flex"}}"#,
        ))
        .unwrap();
        let Some(StreamEvent::Metadata(m)) = e else {
            panic!()
        };
        let usage = m.usage.unwrap();
        assert_eq!(
            (usage.input_tokens, usage.output_tokens, usage.total_tokens),
            (3, 5, 8)
        );
        assert_eq!(usage.cache_read_tokens, Some(2));
        assert_eq!(usage.cache_write_details[0].ttl, "1h");
        assert_eq!(m.latency_ms, Some(42));
        assert_eq!(m.service_tier.as_deref(), Some("flex"));
    }

    #[test]
    fn citation_locations() {
        let e = map_frame(&event(
            "contentBlockDelta",
            r#"{"contentBlockIndex":2,"delta":{"citation":{"title":"t","sourceContent":[{"text":"q"},{}],
                "location":{"documentPage":{"documentIndex":1,"start":3,"end":99999999999}}}}}"#,
        ))
        .unwrap();
        let Some(StreamEvent::Citation(c)) = e else {
            panic!("{e:?}")
        };
        assert_eq!(
            (c.index, c.title.as_deref(), c.source_text),
            (2, Some("t"), vec!["q".to_string()])
        );
        let location = c.location.unwrap();
        assert_eq!(location.kind, CitationLocationKind::DocumentPage);
        assert_eq!(
            (location.document_index, location.start, location.end),
            (1, 3, u32::MAX)
        );
    }

    fn one(kind: &str, payload: &str) -> Option<StreamEvent> {
        map_frame(&event(kind, payload)).unwrap_or_else(|e| panic!("{payload}: {e:?}"))
    }

    #[test]
    fn block_starts() {
        assert_eq!(
            one(
                "contentBlockStart",
                r#"{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t1","name":"get"}},"p":"x"}"#
            ),
            Some(StreamEvent::ToolUseStart(ToolUseStart {
                index: 1,
                id: "t1".into(),
                name: "get".into()
            }))
        );
        assert_eq!(
            one(
                "contentBlockStart",
                r#"{"contentBlockIndex":2,"start":{"toolResult":{"toolUseId":"t1","type":"web_search","status":"error"}}}"#
            ),
            Some(StreamEvent::ToolResultStart(ToolResultStart {
                index: 2,
                tool_use_id: "t1".into(),
                tool_type: Some("web_search".into()),
                is_error: true,
            }))
        );
        assert_eq!(
            one(
                "contentBlockStart",
                r#"{"contentBlockIndex":2,"start":{"toolResult":{"toolUseId":"t2","status":"success"}}}"#
            ),
            Some(StreamEvent::ToolResultStart(ToolResultStart {
                index: 2,
                tool_use_id: "t2".into(),
                tool_type: None,
                is_error: false
            }))
        );
        for (name, format) in [
            ("png", ImageFormat::Png),
            ("jpeg", ImageFormat::Jpeg),
            ("gif", ImageFormat::Gif),
            ("webp", ImageFormat::Webp),
        ] {
            let payload =
                format!(r#"{{"contentBlockIndex":3,"start":{{"image":{{"format":"{name}"}}}}}}"#);
            assert_eq!(
                one("contentBlockStart", &payload),
                Some(StreamEvent::ImageStart(ImageStart { index: 3, format }))
            );
        }
        assert!(matches!(
            map_frame(&event("contentBlockStart", r#"{"contentBlockIndex":3,"start":{"image":{"format":"bmp"}}}"#)),
            Err(Error::Protocol(m)) if m.contains("bmp")
        ));
        // No start, or a kind this build does not know: nothing to announce.
        assert_eq!(one("contentBlockStart", r#"{"contentBlockIndex":0}"#), None);
        assert_eq!(
            one(
                "contentBlockStart",
                r#"{"contentBlockIndex":0,"start":{"video":{}}}"#
            ),
            None
        );
        assert!(
            matches!(
                map_frame(&event(
                    "contentBlockStart",
                    r#"{"contentBlockIndex":0,"start":{"toolResult":{}}}"#
                )),
                Err(Error::Protocol(_))
            ),
            "toolUseId is required"
        );
    }

    #[test]
    fn tool_result_deltas() {
        assert_eq!(
            one(
                "contentBlockDelta",
                r#"{"contentBlockIndex":2,"delta":{"toolResult":[{"text":"sunny"},{"json":{"temp":21}},{"video":{}}]}}"#
            ),
            Some(StreamEvent::ToolResultDelta(ToolResultDelta {
                index: 2,
                content: vec![
                    ToolResultContent::Text("sunny".into()),
                    ToolResultContent::Json(r#"{"temp":21}"#.into())
                ],
            }))
        );
        assert_eq!(
            one(
                "contentBlockDelta",
                r#"{"contentBlockIndex":2,"delta":{"toolResult":[]}}"#
            ),
            None
        );
        assert_eq!(
            one(
                "contentBlockDelta",
                r#"{"contentBlockIndex":2,"delta":{"toolResult":[{"video":{}}]}}"#
            ),
            None
        );
    }

    #[test]
    fn image_deltas() {
        let delta = |payload: &str| {
            one(
                "contentBlockDelta",
                &format!(r#"{{"contentBlockIndex":3,"delta":{{"image":{payload}}}}}"#),
            )
        };
        let fragment = |fragment| Some(StreamEvent::ImageDelta(ImageDelta { index: 3, fragment }));
        assert_eq!(
            delta(r#"{"source":{"bytes":"iVBORw=="}}"#),
            fragment(ImageFragment::Bytes(vec![0x89, 0x50, 0x4e, 0x47]))
        );
        assert_eq!(
            delta(r#"{"source":{"s3Location":{"uri":"s3://b/k.png","bucketOwner":"1"}}}"#),
            fragment(ImageFragment::S3Uri("s3://b/k.png".into()))
        );
        assert_eq!(
            delta(r#"{"error":{"message":"blocked"}}"#),
            fragment(ImageFragment::Error("blocked".into()))
        );
        assert!(matches!(
            delta(r#"{"error":{}}"#),
            Some(StreamEvent::ImageDelta(ImageDelta {
                fragment: ImageFragment::Error(_),
                ..
            }))
        ));
        assert_eq!(delta(r#"{}"#), None);
        assert_eq!(delta(r#"{"source":{}}"#), None);
        assert!(matches!(
            map_frame(&event("contentBlockDelta", r#"{"contentBlockIndex":3,"delta":{"image":{"source":{"bytes":"%%"}}}}"#)),
            Err(Error::Protocol(m)) if m.contains("base64")
        ));
    }

    #[test]
    fn unknown_events_are_skipped_and_bad_json_is_not() {
        assert_eq!(map_frame(&event("somethingNew", "{}")).unwrap(), None);
        assert!(matches!(
            map_frame(&event("contentBlockDelta", "not json")),
            Err(Error::Protocol(_))
        ));
    }

    #[test]
    fn a_payload_that_is_not_utf8_is_a_protocol_error() {
        let payload = b"{\"contentBlockIndex\":0,\"delta\":{\"text\":\"\xff\"}}";
        let headers = [
            (":message-type", "event"),
            (":event-type", "contentBlockDelta"),
        ];
        let bytes = frame_of_bytes(&headers, Bytes::from_static(payload));
        match map_frame(&bytes) {
            Err(Error::Protocol(why)) => {
                assert!(
                    why.starts_with("malformed `contentBlockDelta` event payload: invalid utf-8"),
                    "{why}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn exceptions_are_typed_errors() {
        let throttled = frame(
            &[
                (":message-type", "exception"),
                (":exception-type", "throttlingException"),
            ],
            r#"{"message":"Too many requests"}"#,
        );
        assert!(matches!(map_frame(&throttled), Err(Error::Throttled(_))));
    }

    #[test]
    fn error_frames_are_typed_by_their_code_with_their_message() {
        let error = frame(
            &[
                (":message-type", "error"),
                (":error-code", "ThrottlingException"),
                (":error-message", "Slow down"),
            ],
            "",
        );
        match map_frame(&error) {
            Err(Error::Throttled(detail)) => assert_eq!(detail.message, "Slow down"),
            other => panic!("{other:?}"),
        }
    }
}
