//! A ConverseStream reply described by a structured fuzz input: frames built
//! with valid checksums from payload templates shaped like Bedrock's events
//! (so the fuzzer reaches the event mapping, not only the checksums), plus
//! arbitrary headers, corrupted and cut frames, and raw bytes.

use crate::encode;
use arbitrary::Arbitrary;
use aws_smithy_types::DateTime;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use serde_json::{Value, json};

/// A reply body, and how it is cut into chunks.
#[derive(Arbitrary, Debug)]
pub struct Script {
    pub frames: Vec<FrameSpec>,
    pub chunk_sizes: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
pub enum FrameSpec {
    /// An event frame; its `:event-type` is the template's own unless named.
    Event { payload: Payload, event_type: Option<Name> },
    Exception { exception_type: Name, payload: Payload },
    /// An `error` message (`:error-code`, `:error-message`).
    Error { code: Name, message: String },
    /// Any headers at all.
    Headers { headers: Vec<(Name, HeaderSpec)>, payload: Payload },
    /// A frame with one byte changed after its checksums were computed.
    Flipped { frame: Box<FrameSpec>, at: u16, mask: u8 },
    /// A frame cut short.
    Cut { frame: Box<FrameSpec>, keep: u16 },
    Raw(Vec<u8>),
}

/// One of the names this protocol uses, or anything.
#[derive(Arbitrary, Debug)]
pub enum Name {
    Known(u8),
    Other(String),
}

impl Name {
    fn pick(&self, known: &[&str]) -> String {
        match self {
            Name::Known(i) => known[usize::from(*i) % known.len()].to_string(),
            Name::Other(name) => name.clone(),
        }
    }
}

const EVENT_TYPES: &[&str] = &[
    "messageStart",
    "contentBlockStart",
    "contentBlockDelta",
    "contentBlockStop",
    "messageStop",
    "metadata",
    "somethingNew",
];
const EXCEPTION_TYPES: &[&str] = &[
    "internalServerException",
    "modelStreamErrorException",
    "validationException",
    "throttlingException",
    "serviceUnavailableException",
    "somethingElseException",
];
const HEADER_NAMES: &[&str] = &[":message-type", ":event-type", ":exception-type", ":content-type", ":error-code", ":error-message"];
const MESSAGE_TYPES: &[&str] = &["event", "exception", "error", "other"];

#[derive(Arbitrary, Debug)]
pub enum HeaderSpec {
    Bool(bool),
    Byte(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Bytes(Vec<u8>),
    /// One of the protocol's own values (`event`, an event type, ...).
    KnownString(u8),
    String(String),
    Timestamp(i64),
    Uuid(u128),
}

impl HeaderSpec {
    fn value(&self) -> HeaderValue {
        match self {
            HeaderSpec::Bool(v) => HeaderValue::Bool(*v),
            HeaderSpec::Byte(v) => HeaderValue::Byte(*v),
            HeaderSpec::Int16(v) => HeaderValue::Int16(*v),
            HeaderSpec::Int32(v) => HeaderValue::Int32(*v),
            HeaderSpec::Int64(v) => HeaderValue::Int64(*v),
            HeaderSpec::Bytes(v) => HeaderValue::ByteArray(v.clone().into()),
            HeaderSpec::KnownString(i) => {
                let known: Vec<&str> = MESSAGE_TYPES.iter().chain(EVENT_TYPES).chain(EXCEPTION_TYPES).copied().collect();
                HeaderValue::String(known[usize::from(*i) % known.len()].to_string().into())
            }
            HeaderSpec::String(v) => HeaderValue::String(v.clone().into()),
            HeaderSpec::Timestamp(ms) => HeaderValue::Timestamp(DateTime::from_millis(*ms)),
            HeaderSpec::Uuid(v) => HeaderValue::Uuid(*v),
        }
    }
}

/// A payload: one of Bedrock's event shapes filled with fuzzed values, or
/// anything.
#[derive(Arbitrary, Debug)]
pub enum Payload {
    Template { which: u8, values: Vec<Scalar> },
    Text(String),
    Bytes(Vec<u8>),
}

/// A JSON value for a template's slot; the slot's own default when the
/// input runs out.
#[derive(Arbitrary, Debug)]
pub enum Scalar {
    Text(String),
    Small(u8),
    Int(i64),
    Big(u64),
    Float(f64),
    Bool(bool),
    Null,
    Base64(Vec<u8>),
    List(Vec<String>),
}

impl Scalar {
    fn json(&self) -> Value {
        match self {
            Scalar::Text(s) => json!(s),
            Scalar::Small(n) => json!(n),
            Scalar::Int(n) => json!(n),
            Scalar::Big(n) => json!(n),
            Scalar::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Scalar::Bool(b) => json!(b),
            Scalar::Null => Value::Null,
            Scalar::Base64(bytes) => json!(base64(bytes)),
            Scalar::List(items) => json!(items),
        }
    }
}

/// Standard base64, so redacted-content slots get well-formed values too.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let n = group.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= group.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

impl Payload {
    /// The payload bytes and the event type its template stands for.
    fn build(&self) -> (Vec<u8>, &'static str) {
        let (which, values) = match self {
            Payload::Template { which, values } => (*which, values),
            Payload::Text(text) => return (text.clone().into_bytes(), "somethingNew"),
            Payload::Bytes(bytes) => return (bytes.clone(), "somethingNew"),
        };
        let mut values = values.iter();
        let mut v = |default: Value| values.next().map_or(default, Scalar::json);
        let (event, body) = match which % 12 {
            0 => ("messageStart", json!({ "role": v(json!("assistant")) })),
            1 => ("contentBlockStart", json!({
                "contentBlockIndex": v(json!(0)),
                "start": { "toolUse": { "toolUseId": v(json!("t1")), "name": v(json!("w")) } },
            })),
            2 => ("contentBlockDelta", json!({ "contentBlockIndex": v(json!(0)), "delta": { "text": v(json!("Hi")) }, "p": v(json!("abc")) })),
            3 => ("contentBlockDelta", json!({ "contentBlockIndex": v(json!(1)), "delta": { "toolUse": { "input": v(json!("{\"a\":")) } } })),
            4 => ("contentBlockDelta", json!({
                "contentBlockIndex": v(json!(0)),
                "delta": { "reasoningContent": {
                    "text": v(Value::Null), "signature": v(Value::Null), "redactedContent": v(json!("AQID")),
                } },
            })),
            5 => {
                let kind = ["documentChar", "documentPage", "documentChunk", "other"][usize::from(which / 12) % 4];
                ("contentBlockDelta", json!({
                    "contentBlockIndex": v(json!(0)),
                    "delta": { "citation": {
                        "title": v(json!("doc")),
                        "sourceContent": [{ "text": v(json!("quote")) }],
                        "location": { kind: { "documentIndex": v(json!(0)), "start": v(json!(1)), "end": v(json!(2)) } },
                    } },
                }))
            }
            6 => ("contentBlockStop", json!({ "contentBlockIndex": v(json!(0)) })),
            7 => ("messageStop", json!({ "stopReason": v(json!("end_turn")), "additionalModelResponseFields": v(Value::Null) })),
            8 => ("metadata", json!({
                "usage": {
                    "inputTokens": v(json!(1)), "outputTokens": v(json!(2)), "totalTokens": v(json!(3)),
                    "cacheReadInputTokens": v(Value::Null), "cacheWriteInputTokens": v(Value::Null),
                    "cacheDetails": [{ "ttl": v(json!("5m")), "inputTokens": v(json!(4)) }],
                },
                "metrics": { "latencyMs": v(json!(5)) },
                "trace": { "guardrail": v(Value::Null) },
                "serviceTier": { "type": v(json!("default")) },
            })),
            9 => ("somethingNew", json!({ "message": v(json!("boom")), "originalStatusCode": v(json!(424)), "originalMessage": v(Value::Null) })),
            10 => ("contentBlockStart", json!({ "contentBlockIndex": v(json!(0)), "start": v(json!({})) })),
            _ => ("contentBlockDelta", json!({ "contentBlockIndex": v(json!(0)), "delta": v(json!({})) })),
        };
        (body.to_string().into_bytes(), event)
    }
}

fn string_header(name: &str, value: &str) -> Header {
    Header::new(name.to_string(), HeaderValue::String(value.to_string().into()))
}

impl FrameSpec {
    /// The frame's bytes (nothing, if the headers cannot be encoded at all).
    pub fn bytes(&self) -> Vec<u8> {
        let message = match self {
            FrameSpec::Event { payload, event_type } => {
                let (payload, natural) = payload.build();
                let event_type = event_type.as_ref().map_or(natural.to_string(), |n| n.pick(EVENT_TYPES));
                Message::new(payload)
                    .add_header(string_header(":message-type", "event"))
                    .add_header(string_header(":event-type", &event_type))
                    .add_header(string_header(":content-type", "application/json"))
            }
            FrameSpec::Exception { exception_type, payload } => Message::new(payload.build().0)
                .add_header(string_header(":message-type", "exception"))
                .add_header(string_header(":exception-type", &exception_type.pick(EXCEPTION_TYPES))),
            FrameSpec::Error { code, message } => Message::new(Vec::new())
                .add_header(string_header(":message-type", "error"))
                .add_header(string_header(":error-code", &code.pick(EXCEPTION_TYPES)))
                .add_header(string_header(":error-message", message)),
            FrameSpec::Headers { headers, payload } => headers.iter().fold(Message::new(payload.build().0), |m, (name, value)| {
                m.add_header(Header::new(name.pick(HEADER_NAMES), value.value()))
            }),
            FrameSpec::Flipped { frame, at, mask } => {
                let mut bytes = frame.bytes();
                if !bytes.is_empty() {
                    let i = usize::from(*at) % bytes.len();
                    bytes[i] ^= mask;
                }
                return bytes;
            }
            FrameSpec::Cut { frame, keep } => {
                let mut bytes = frame.bytes();
                bytes.truncate(usize::from(*keep) % (bytes.len() + 1));
                return bytes;
            }
            FrameSpec::Raw(bytes) => return bytes.clone(),
        };
        encode(&message).unwrap_or_default()
    }
}

impl Script {
    /// The whole body.
    pub fn body(&self) -> Vec<u8> {
        self.frames.iter().flat_map(FrameSpec::bytes).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(&[1, 2, 3, 255]), "AQID/w==");
    }

    #[test]
    fn a_scripted_reply_decodes() {
        let event = |which| FrameSpec::Event { payload: Payload::Template { which, values: vec![] }, event_type: None };
        let script = Script { frames: [0, 2, 6, 7, 8].into_iter().map(event).collect(), chunk_sizes: vec![3] };
        let reply = crate::decode_reply(&[&script.body()]);
        assert_eq!(reply.end, Ok(()));
        assert_eq!(reply.events.len(), 5);
        crate::check_converse(&script.body(), &script.chunk_sizes);
    }
}
