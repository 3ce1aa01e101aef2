//! `application/vnd.amazon.eventstream` framing.
//!
//! Frames are encoded by `aws-smithy-eventstream`, the AWS SDK for Rust's own codec, so a
//! well-formed frame here is well-formed by AWS's definition. The deliberately broken
//! frames the fault directives need are derived from good ones at the byte level.

use aws_smithy_eventstream::error::Error;
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::Bytes;

/// Total length, headers length, prelude CRC: 4 bytes each.
const PRELUDE_LEN: usize = 12;

/// One event-stream message as Bedrock sends it: an event or an exception with a JSON
/// payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Event {
        event_type: String,
        payload: Bytes,
    },
    Exception {
        exception_type: String,
        payload: Bytes,
    },
}

impl Frame {
    pub fn event(event_type: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Self::Event {
            event_type: event_type.into(),
            payload: payload.into(),
        }
    }

    pub fn exception(exception_type: impl Into<String>, payload: impl Into<Bytes>) -> Self {
        Self::Exception {
            exception_type: exception_type.into(),
            payload: payload.into(),
        }
    }

    /// The frame's wire bytes, with Bedrock's `:message-type`, `:event-type` or
    /// `:exception-type`, and `:content-type` headers.
    pub fn encode(&self) -> Result<Bytes, Error> {
        let (message_type, type_header, name, payload) = match self {
            Self::Event {
                event_type,
                payload,
            } => ("event", ":event-type", event_type, payload),
            Self::Exception {
                exception_type,
                payload,
            } => ("exception", ":exception-type", exception_type, payload),
        };
        let string = |value: &str| HeaderValue::String(value.to_owned().into());
        let message = Message::new(payload.clone())
            .add_header(Header::new(type_header, string(name)))
            .add_header(Header::new(":content-type", string("application/json")))
            .add_header(Header::new(":message-type", string(message_type)));
        let mut out = Vec::new();
        write_message_to(&message, &mut out)?;
        Ok(out.into())
    }
}

/// The frame with one bit of its payload flipped: the prelude still checks out, the
/// message CRC no longer does.
pub fn flip_payload_bit(frame: &[u8]) -> Bytes {
    let mut bytes = frame.to_vec();
    let headers_len = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    bytes[PRELUDE_LEN + headers_len] ^= 0x01;
    bytes.into()
}

/// A lone prelude announcing a message of `total_len` bytes, with a correct prelude CRC, so
/// only a client's frame-size limit can save it from allocating that much.
pub fn oversized_prelude(total_len: u32) -> Bytes {
    let mut bytes = Vec::with_capacity(PRELUDE_LEN);
    bytes.extend_from_slice(&total_len.to_be_bytes());
    bytes.extend_from_slice(&0u32.to_be_bytes());
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_be_bytes());
    bytes.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::frame_header as header;
    use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder, read_message_from};

    #[test]
    fn event_round_trips() {
        let payload = r#"{"contentBlockIndex":0,"delta":{"text":"hi "},"p":"abc"}"#;
        let bytes = Frame::event("contentBlockDelta", payload).encode().unwrap();
        let message = read_message_from(bytes.clone()).unwrap();
        assert_eq!(header(&message, ":message-type"), "event");
        assert_eq!(header(&message, ":event-type"), "contentBlockDelta");
        assert_eq!(header(&message, ":content-type"), "application/json");
        assert_eq!(message.payload().as_ref(), payload.as_bytes());
        assert_eq!(
            u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize,
            bytes.len()
        );
    }

    #[test]
    fn exception_round_trips() {
        let bytes = Frame::exception("throttlingException", r#"{"message":"slow down"}"#)
            .encode()
            .unwrap();
        let message = read_message_from(bytes).unwrap();
        assert_eq!(header(&message, ":message-type"), "exception");
        assert_eq!(header(&message, ":exception-type"), "throttlingException");
        assert_eq!(message.payload().as_ref(), br#"{"message":"slow down"}"#);
    }

    #[test]
    fn flipped_bit_breaks_only_the_message_crc() {
        let good = Frame::event("messageStart", r#"{"role":"assistant"}"#)
            .encode()
            .unwrap();
        let bad = flip_payload_bit(&good);
        assert_eq!(good.len(), bad.len());
        assert_eq!(good[..PRELUDE_LEN], bad[..PRELUDE_LEN]);
        let err = read_message_from(bad).unwrap_err();
        assert!(err.to_string().contains("checksum"), "{err}");
    }

    #[test]
    fn oversized_prelude_is_a_valid_prelude() {
        let prelude = oversized_prelude(1 << 30);
        assert_eq!(prelude.len(), PRELUDE_LEN);
        assert_eq!(&prelude[..4], &(1u32 << 30).to_be_bytes());
        assert_eq!(&prelude[8..], &crc32fast::hash(&prelude[..8]).to_be_bytes());
        // A streaming decoder accepts the prelude and waits for the gigabyte.
        let mut decoder = MessageFrameDecoder::new();
        assert!(matches!(
            decoder.decode_frame(prelude),
            Ok(DecodedFrame::Incomplete)
        ));
    }
}
