//! Incremental, bounded decoding of `application/vnd.amazon.eventstream`.
//!
//! A frame is a 12-byte prelude (total length, headers length, CRC32 of the
//! first eight bytes), typed headers, a payload and a CRC32 of everything
//! before it. What a client reading from an untrusted socket needs:
//!
//! * bytes arrive in arbitrary chunks and are fed as they come;
//! * the prelude is checked as soon as its 12 bytes are in, so a corrupt or
//!   absurd length is rejected at once instead of being waited for (and the
//!   buffer never grows past [`MAX_FRAME_LEN`]);
//! * the end of the body is an error if it cuts a frame, and bytes after the
//!   last frame are either the start of another frame (checked as such, so
//!   twelve or more garbage bytes fail on their prelude checksum) or a cut
//!   frame at the end: trailing garbage is never ignored;
//! * both checksums are checked on every frame, the message's over the whole
//!   frame before anything in it is read, so a damaged byte is reported as
//!   damage rather than as whatever header it happened to turn into; and an
//!   error is final: once a frame is bad, every later call reports the same
//!   error.
//!
//! Frames come out as [`Frame`]s: views of the received bytes, lent until
//! the next call. A ConverseStream reply is thousands of small frames, and
//! reading each one should cost its checksum and a walk over its headers,
//! not allocations: `aws_smithy_eventstream::frame::read_message_from` copies
//! every header name, value and payload into fresh buffers, and even a
//! `Message` made of slices of the frame costs a reference count per header
//! and a vector of them, which profiles of long replies showed. A frame turns
//! into `aws-smithy-types`' [`Message`], the type the AWS SDK for Rust
//! decodes into, with [`Frame::to_message`]; its headers read exactly the way
//! `aws-smithy-eventstream` reads them.

use aws_smithy_types::DateTime;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::{Buf, Bytes, BytesMut};

/// Largest frame accepted, in bytes: AWS's limit for an event-stream message.
pub const MAX_FRAME_LEN: u32 = 16 * 1024 * 1024;
/// Largest header section accepted, in bytes: AWS's limit.
pub const MAX_HEADERS_LEN: u32 = 128 * 1024;

const PRELUDE_LEN: usize = 12;
const MESSAGE_CRC_LEN: usize = 4;
/// Prelude plus message CRC: the smallest possible frame.
const MIN_FRAME_LEN: u32 = 16;

/// Why a byte stream is not a valid sequence of frames.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error(
        "event-stream prelude checksum mismatch (computed {computed:#010x}, frame says {declared:#010x})"
    )]
    PreludeChecksum { computed: u32, declared: u32 },
    #[error(
        "event-stream message checksum mismatch (computed {computed:#010x}, frame says {declared:#010x})"
    )]
    MessageChecksum { computed: u32, declared: u32 },
    #[error("event-stream frame declares {declared} bytes, above the {MAX_FRAME_LEN}-byte limit")]
    FrameTooLarge { declared: u32 },
    #[error("event-stream frame declares {declared} bytes, below the 16-byte minimum")]
    FrameTooSmall { declared: u32 },
    #[error(
        "event-stream frame declares {declared} bytes of headers in a {total}-byte frame (limit {MAX_HEADERS_LEN})"
    )]
    BadHeadersLength { declared: u32, total: u32 },
    /// A frame whose checksums hold but whose headers do not parse: the
    /// sender wrote it wrong.
    #[error("invalid event-stream frame: {what} at byte {offset} {why}")]
    BadHeader {
        what: &'static str,
        offset: usize,
        why: &'static str,
    },
    #[error("the stream ended inside an event-stream frame ({buffered} bytes of it received)")]
    Truncated { buffered: usize },
}

/// Feeds on byte chunks, yields whole frames.
///
/// After an error the decoder is spent: the stream cannot be resynchronised
/// (a frame boundary is only known from a trusted prelude), so callers stop.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: BytesMut,
    /// Length of the frame last handed out, still at the head of `buf`
    /// because the [`Frame`] borrowed it; dropped on the next call.
    lent: usize,
    /// Total length of the frame at the head of `buf`, once its prelude passed.
    frame_len: Option<usize>,
    /// The first error, returned again by every later call.
    failed: Option<FrameError>,
}

impl FrameDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes (dropped once the decoder failed: nothing
    /// will read them).
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            self.reclaim_lent();
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The next complete frame, `Ok(None)` if more bytes are needed.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, FrameError> {
        if let Some(error) = &self.failed {
            // Nothing will read what is left.
            self.buf = BytesMut::new();
            return Err(error.clone());
        }
        self.reclaim_lent();
        let frame_len = match self.whole_frame_len() {
            Ok(Some(len)) => len,
            Ok(None) => return Ok(None),
            Err(error) => return Err(Self::fail(&mut self.failed, error)),
        };
        let bytes = &self.buf[..frame_len];
        match check_frame(bytes) {
            Ok((headers_end, protocol)) => {
                self.lent = frame_len;
                Ok(Some(Frame {
                    bytes,
                    headers_end,
                    protocol,
                }))
            }
            Err(error) => Err(Self::fail(&mut self.failed, error)),
        }
    }

    /// The length of the whole frame at the head of the buffer, once it is
    /// in. Called with nothing lent.
    fn whole_frame_len(&mut self) -> Result<Option<usize>, FrameError> {
        let Some(frame_len) = self.head_frame_len()? else {
            return Ok(None);
        };
        if self.buf.len() < frame_len {
            // Its prelude is not checked again while the rest comes in.
            self.frame_len = Some(frame_len);
            return Ok(None);
        }
        self.frame_len = None;
        Ok(Some(frame_len))
    }

    /// The length of the frame after the one lent out, once its prelude is
    /// in and passes.
    fn head_frame_len(&self) -> Result<Option<usize>, FrameError> {
        let buffered = &self.buf[self.lent..];
        match self.frame_len {
            Some(len) => Ok(Some(len)),
            None if buffered.len() < PRELUDE_LEN => Ok(None),
            None => check_prelude(&buffered[..PRELUDE_LEN]).map(Some),
        }
    }

    fn reclaim_lent(&mut self) {
        self.buf.advance(std::mem::take(&mut self.lent));
    }

    /// Records the decoder's first error; the next call lets go of the
    /// buffer (the frame being checked may still borrow it here).
    fn fail(failed: &mut Option<FrameError>, error: FrameError) -> FrameError {
        *failed = Some(error.clone());
        error
    }

    /// Whether [`next_frame`](Self::next_frame) would return a frame or an
    /// error now, rather than `Ok(None)`.
    pub fn has_frame(&self) -> bool {
        match self.head_frame_len() {
            _ if self.failed.is_some() => true,
            Ok(Some(len)) => self.buf.len() - self.lent >= len,
            Ok(None) => false,
            Err(_) => true,
        }
    }

    /// Declares the end of the input: an error if a frame was cut short.
    pub fn finish(&self) -> Result<(), FrameError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        match self.buf.len() - self.lent {
            0 => Ok(()),
            buffered => Err(FrameError::Truncated { buffered }),
        }
    }
}

/// Validates a prelude and returns the frame's total length.
fn check_prelude(mut prelude: &[u8]) -> Result<usize, FrameError> {
    let computed = crc32fast::hash(&prelude[..8]);
    let total = prelude.get_u32();
    let headers = prelude.get_u32();
    let declared = prelude.get_u32();
    if computed != declared {
        return Err(FrameError::PreludeChecksum { computed, declared });
    }
    if total > MAX_FRAME_LEN {
        return Err(FrameError::FrameTooLarge { declared: total });
    }
    if total < MIN_FRAME_LEN {
        return Err(FrameError::FrameTooSmall { declared: total });
    }
    if headers > MAX_HEADERS_LEN || headers > total - MIN_FRAME_LEN {
        return Err(FrameError::BadHeadersLength {
            declared: headers,
            total,
        });
    }
    Ok(total as usize)
}

/// The headers the event-stream protocol itself defines, which every reader
/// of a frame looks up (what kind of message it is, which event or error).
const PROTOCOL_HEADERS: [&str; 5] = [
    ":message-type",
    ":event-type",
    ":exception-type",
    ":error-code",
    ":error-message",
];

/// For each of [`PROTOCOL_HEADERS`], the value of the first header of that
/// name: `None` without one, `Some(None)` when it is not a string.
type ProtocolHeaders<'a> = [Option<Option<&'a str>>; PROTOCOL_HEADERS.len()];

/// Checks a whole frame whose prelude [`check_prelude`] accepted: its
/// message checksum, then every header. Returns where its headers end and
/// its protocol headers, picked out on the way: looking them up afterwards
/// would walk the headers again, and a ConverseStream reply is thousands of
/// frames, each looked up twice.
fn check_frame(frame: &[u8]) -> Result<(usize, ProtocolHeaders<'_>), FrameError> {
    let crc_at = frame.len() - MESSAGE_CRC_LEN;
    let computed = crc32fast::hash(&frame[..crc_at]);
    let declared = (&frame[crc_at..]).get_u32();
    if computed != declared {
        return Err(FrameError::MessageChecksum { computed, declared });
    }
    let headers_end = PRELUDE_LEN + (&frame[4..8]).get_u32() as usize;
    let mut headers = HeaderCursor {
        frame,
        at: PRELUDE_LEN,
        end: headers_end,
    };
    let mut protocol = ProtocolHeaders::default();
    while let Some((name, value)) = headers.next_header()? {
        if let Some(slot) = protocol_slot(name) {
            protocol[slot].get_or_insert(match value {
                HeaderValueRef::String(value) => Some(value),
                _ => None,
            });
        }
    }
    Ok((headers_end, protocol))
}

/// Where [`ProtocolHeaders`] keeps a header called `name`, if it keeps one.
fn protocol_slot(name: &str) -> Option<usize> {
    PROTOCOL_HEADERS.iter().position(|known| *known == name)
}

/// One whole frame whose checksums and headers were checked, lent by
/// [`FrameDecoder::next_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The whole frame, prelude and message checksum included.
    bytes: &'a [u8],
    headers_end: usize,
    protocol: ProtocolHeaders<'a>,
}

impl<'a> Frame<'a> {
    /// The headers, in the frame's order.
    pub fn headers(&self) -> impl Iterator<Item = (&'a str, HeaderValueRef<'a>)> + use<'a> {
        let mut cursor = HeaderCursor {
            frame: self.bytes,
            at: PRELUDE_LEN,
            end: self.headers_end,
        };
        // The decoder checked every header before lending the frame.
        std::iter::from_fn(move || cursor.next_header().ok().flatten())
    }

    /// The value of the first header called `name`, if it is a string.
    pub fn string_header(&self, name: &str) -> Option<&'a str> {
        if let Some(slot) = protocol_slot(name) {
            return self.protocol[slot].flatten();
        }
        match self.headers().find(|(n, _)| *n == name)?.1 {
            HeaderValueRef::String(value) => Some(value),
            _ => None,
        }
    }

    pub fn payload(&self) -> &'a [u8] {
        &self.bytes[self.headers_end..self.bytes.len() - MESSAGE_CRC_LEN]
    }

    /// The frame as the AWS SDK for Rust's owned message type.
    pub fn to_message(&self) -> Message {
        let headers = self
            .headers()
            .map(|(name, value)| Header::new(name.to_owned(), value))
            .collect();
        Message::new_from_parts(headers, Bytes::copy_from_slice(self.payload()))
    }
}

/// A header value borrowed from its frame: `aws-smithy-types`' [`HeaderValue`]
/// without the copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderValueRef<'a> {
    Bool(bool),
    Byte(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    ByteArray(&'a [u8]),
    String(&'a str),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
    Uuid(u128),
}

impl From<HeaderValueRef<'_>> for HeaderValue {
    fn from(value: HeaderValueRef<'_>) -> Self {
        use HeaderValueRef as V;
        match value {
            V::Bool(v) => HeaderValue::Bool(v),
            V::Byte(v) => HeaderValue::Byte(v),
            V::Int16(v) => HeaderValue::Int16(v),
            V::Int32(v) => HeaderValue::Int32(v),
            V::Int64(v) => HeaderValue::Int64(v),
            V::ByteArray(v) => HeaderValue::ByteArray(Bytes::copy_from_slice(v)),
            V::String(v) => HeaderValue::String(v.to_owned().into()),
            V::Timestamp(millis) => HeaderValue::Timestamp(DateTime::from_millis(millis)),
            V::Uuid(v) => HeaderValue::Uuid(v),
        }
    }
}

/// A cursor over a frame's header section.
struct HeaderCursor<'a> {
    frame: &'a [u8],
    at: usize,
    end: usize,
}

/// Header value types, as numbered on the wire.
const TYPE_TRUE: u8 = 0;
const TYPE_FALSE: u8 = 1;
const TYPE_BYTE: u8 = 2;
const TYPE_INT16: u8 = 3;
const TYPE_INT32: u8 = 4;
const TYPE_INT64: u8 = 5;
const TYPE_BYTE_ARRAY: u8 = 6;
const TYPE_STRING: u8 = 7;
const TYPE_TIMESTAMP: u8 = 8;
const TYPE_UUID: u8 = 9;

impl<'a> HeaderCursor<'a> {
    /// The next header, `Ok(None)` at the end of the section.
    fn next_header(&mut self) -> Result<Option<(&'a str, HeaderValueRef<'a>)>, FrameError> {
        if self.at == self.end {
            return Ok(None);
        }
        let name_len = usize::from(self.u8("a header name's length")?);
        let name = self.string(name_len, "a header name")?;
        Ok(Some((name, self.value()?)))
    }

    fn value(&mut self) -> Result<HeaderValueRef<'a>, FrameError> {
        Ok(match self.u8("a header value's type")? {
            TYPE_TRUE => HeaderValueRef::Bool(true),
            TYPE_FALSE => HeaderValueRef::Bool(false),
            TYPE_BYTE => HeaderValueRef::Byte(self.take(1, "a byte value")?.get_i8()),
            TYPE_INT16 => HeaderValueRef::Int16(self.take(2, "an int16 value")?.get_i16()),
            TYPE_INT32 => HeaderValueRef::Int32(self.take(4, "an int32 value")?.get_i32()),
            TYPE_INT64 => HeaderValueRef::Int64(self.take(8, "an int64 value")?.get_i64()),
            TYPE_BYTE_ARRAY => {
                let len = self.value_len()?;
                HeaderValueRef::ByteArray(self.take(len, "a byte-array value")?)
            }
            TYPE_STRING => {
                let len = self.value_len()?;
                HeaderValueRef::String(self.string(len, "a string value")?)
            }
            TYPE_TIMESTAMP => {
                HeaderValueRef::Timestamp(self.take(8, "a timestamp value")?.get_i64())
            }
            TYPE_UUID => HeaderValueRef::Uuid(self.take(16, "a uuid value")?.get_u128()),
            _ => {
                return Err(bad_header(
                    "a header value's type",
                    self.at - 1,
                    "is unknown",
                ));
            }
        })
    }

    fn value_len(&mut self) -> Result<usize, FrameError> {
        Ok(usize::from(self.take(2, "a value's length")?.get_u16()))
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, FrameError> {
        Ok(self.take(1, what)?.get_u8())
    }

    fn string(&mut self, len: usize, what: &'static str) -> Result<&'a str, FrameError> {
        let start = self.at;
        std::str::from_utf8(self.take(len, what)?)
            .map_err(|_| bad_header(what, start, "is not UTF-8"))
    }

    /// The next `len` bytes, which must lie inside the header section.
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], FrameError> {
        if self.end - self.at < len {
            return Err(bad_header(what, self.at, "runs past the header section"));
        }
        let taken = &self.frame[self.at..self.at + len];
        self.at += len;
        Ok(taken)
    }
}

fn bad_header(what: &'static str, offset: usize, why: &'static str) -> FrameError {
    FrameError::BadHeader { what, offset, why }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_eventstream::frame::write_message_to;

    fn frame(payload: &str) -> Vec<u8> {
        let message = Message::new(Bytes::from(payload.to_string()))
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("event".into()),
            ))
            .add_header(Header::new(
                ":event-type",
                HeaderValue::String("contentBlockDelta".into()),
            ));
        let mut out = Vec::new();
        write_message_to(&message, &mut out).unwrap();
        out
    }

    fn prelude(total: u32, headers: u32) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&headers.to_be_bytes());
        let crc = crc32fast::hash(&p);
        p.extend_from_slice(&crc.to_be_bytes());
        p
    }

    #[test]
    fn frames_split_anywhere_decode_the_same() {
        let mut stream = frame("{\"a\":1}");
        stream.extend(frame(""));
        stream.extend(frame("{\"b\":\"two\"}"));
        for chunk in 1..=stream.len() {
            let mut d = FrameDecoder::new();
            let mut payloads = Vec::new();
            for piece in stream.chunks(chunk) {
                d.push(piece);
                while let Some(m) = d.next_frame().unwrap() {
                    payloads.push(Bytes::copy_from_slice(m.payload()));
                }
            }
            d.finish().unwrap();
            assert_eq!(
                payloads,
                ["{\"a\":1}", "", "{\"b\":\"two\"}"],
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn has_frame_says_whether_next_frame_would_answer_now() {
        let bytes = frame("{\"a\":1}");
        let mut d = FrameDecoder::new();
        assert!(!d.has_frame());
        d.push(&bytes[..5]);
        assert!(!d.has_frame(), "part of a prelude");
        d.push(&bytes[5..bytes.len() - 1]);
        assert!(!d.has_frame(), "part of a frame");
        d.push(&bytes[bytes.len() - 1..]);
        assert!(d.has_frame());
        assert!(d.next_frame().unwrap().is_some());
        assert!(!d.has_frame(), "the frame lent out is not counted");
        let mut bad = prelude(100, 0);
        bad[11] ^= 1;
        d.push(&bad);
        assert!(d.has_frame(), "a bad prelude is an error to report now");
    }

    #[test]
    fn huge_declared_length_is_rejected_from_the_prelude_alone() {
        let mut d = FrameDecoder::new();
        d.push(&prelude(1 << 30, 0));
        assert_eq!(
            d.next_frame(),
            Err(FrameError::FrameTooLarge { declared: 1 << 30 })
        );
    }

    #[test]
    fn corrupt_prelude_is_rejected_before_the_body_arrives() {
        let mut bytes = prelude(100, 0);
        bytes[11] ^= 1;
        let mut d = FrameDecoder::new();
        d.push(&bytes);
        assert!(matches!(
            d.next_frame(),
            Err(FrameError::PreludeChecksum { .. })
        ));
    }

    #[test]
    fn impossible_lengths() {
        let mut d = FrameDecoder::new();
        d.push(&prelude(8, 0));
        assert_eq!(
            d.next_frame(),
            Err(FrameError::FrameTooSmall { declared: 8 })
        );
        let mut d = FrameDecoder::new();
        d.push(&prelude(20, 10));
        assert!(matches!(
            d.next_frame(),
            Err(FrameError::BadHeadersLength { .. })
        ));
    }

    #[test]
    fn corrupt_message_crc() {
        let mut bytes = frame("{\"a\":1}");
        let last = bytes.len() - 5;
        bytes[last] ^= 0x20;
        let mut d = FrameDecoder::new();
        d.push(&bytes);
        let err = d.next_frame().unwrap_err();
        assert!(matches!(err, FrameError::MessageChecksum { .. }), "{err}");
    }

    #[test]
    fn limits_are_inclusive() {
        // A frame of exactly the limit is waited for, not refused.
        let mut d = FrameDecoder::new();
        d.push(&prelude(MAX_FRAME_LEN, MAX_HEADERS_LEN));
        assert_eq!(d.next_frame(), Ok(None));
        assert_eq!(
            d.finish(),
            Err(FrameError::Truncated {
                buffered: PRELUDE_LEN
            })
        );
        let mut d = FrameDecoder::new();
        d.push(&prelude(MAX_FRAME_LEN + 1, 0));
        assert_eq!(
            d.next_frame(),
            Err(FrameError::FrameTooLarge {
                declared: MAX_FRAME_LEN + 1
            })
        );
        let mut d = FrameDecoder::new();
        d.push(&prelude(MAX_FRAME_LEN, MAX_HEADERS_LEN + 1));
        assert!(
            matches!(d.next_frame(), Err(FrameError::BadHeadersLength { declared, .. }) if declared == MAX_HEADERS_LEN + 1)
        );
        // Headers filling the whole frame leave no room for the message CRC.
        let mut d = FrameDecoder::new();
        d.push(&prelude(40, 25));
        assert!(matches!(
            d.next_frame(),
            Err(FrameError::BadHeadersLength { .. })
        ));
        let mut d = FrameDecoder::new();
        d.push(&prelude(MIN_FRAME_LEN, 0));
        assert_eq!(d.next_frame(), Ok(None), "the smallest frame is legal");
    }

    #[test]
    fn empty_frame_decodes() {
        let message = Message::new(Bytes::new());
        let mut bytes = Vec::new();
        write_message_to(&message, &mut bytes).unwrap();
        assert_eq!(bytes.len(), MIN_FRAME_LEN as usize);
        let mut d = FrameDecoder::new();
        d.push(&bytes);
        let frame = d.next_frame().unwrap().unwrap();
        assert!(frame.headers().next().is_none() && frame.payload().is_empty());
        d.finish().unwrap();
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        for garbage in [
            &b"x"[..],
            b"\n\r\n",
            b"0123456789a",
            b"0123456789ab",
            &[0u8; 64],
        ] {
            let mut bytes = frame("{\"a\":1}");
            bytes.extend_from_slice(garbage);
            let mut d = FrameDecoder::new();
            d.push(&bytes);
            assert!(
                d.next_frame().unwrap().is_some(),
                "the good frame comes first"
            );
            let outcome = d.next_frame().map(|_| ()).and_then(|()| d.finish());
            if garbage.len() < PRELUDE_LEN {
                assert_eq!(
                    outcome,
                    Err(FrameError::Truncated {
                        buffered: garbage.len()
                    }),
                    "{garbage:?}"
                );
            } else {
                assert!(
                    matches!(outcome, Err(FrameError::PreludeChecksum { .. })),
                    "{garbage:?}: {outcome:?}"
                );
            }
        }
    }

    #[test]
    fn every_byte_of_a_frame_is_covered_by_a_checksum() {
        let good = frame("{\"a\":1}");
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut bytes = good.clone();
                bytes[i] ^= 1 << bit;
                let mut d = FrameDecoder::new();
                d.push(&bytes);
                let outcome = d
                    .next_frame()
                    .map(|frame| frame.map(|f| f.to_message()))
                    .and_then(|frame| d.finish().map(|()| frame));
                assert!(
                    outcome.is_err(),
                    "flipping bit {bit} of byte {i} went unnoticed: {outcome:?}"
                );
            }
        }
    }

    /// A frame with the given raw header section, both checksums right.
    fn raw_frame(headers: &[u8], payload: &[u8]) -> Vec<u8> {
        let total = PRELUDE_LEN + headers.len() + payload.len() + MESSAGE_CRC_LEN;
        let mut bytes = prelude(total as u32, headers.len() as u32);
        bytes.extend_from_slice(headers);
        bytes.extend_from_slice(payload);
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_be_bytes());
        bytes
    }

    fn decode_one(bytes: &[u8]) -> Result<Option<Message>, FrameError> {
        let mut d = FrameDecoder::new();
        d.push(bytes);
        d.next_frame().map(|frame| frame.map(|f| f.to_message()))
    }

    #[test]
    fn every_header_type_reads_back_as_written() {
        let message = Message::new(Bytes::from_static(b"payload"))
            .add_header(Header::new("true", HeaderValue::Bool(true)))
            .add_header(Header::new("false", HeaderValue::Bool(false)))
            .add_header(Header::new("byte", HeaderValue::Byte(-2)))
            .add_header(Header::new("int16", HeaderValue::Int16(-300)))
            .add_header(Header::new("int32", HeaderValue::Int32(70_000)))
            .add_header(Header::new("int64", HeaderValue::Int64(-5_000_000_000)))
            .add_header(Header::new(
                "bytes",
                HeaderValue::ByteArray(Bytes::from_static(b"\x00\xff")),
            ))
            .add_header(Header::new("string", HeaderValue::String("é".into())))
            .add_header(Header::new(
                "timestamp",
                HeaderValue::Timestamp(aws_smithy_types::DateTime::from_millis(1_700_000_000_123)),
            ))
            .add_header(Header::new("uuid", HeaderValue::Uuid(u128::MAX - 7)))
            .add_header(Header::new("", HeaderValue::String("".into())));
        let mut bytes = Vec::new();
        write_message_to(&message, &mut bytes).unwrap();
        assert_eq!(decode_one(&bytes), Ok(Some(message)));
    }

    #[test]
    fn a_string_header_is_the_first_of_its_name_and_only_a_string() {
        let message = Message::new(Bytes::new())
            .add_header(Header::new("n", HeaderValue::Int32(7)))
            .add_header(Header::new("n", HeaderValue::String("later".into())))
            .add_header(Header::new("s", HeaderValue::String("first".into())))
            .add_header(Header::new("s", HeaderValue::String("second".into())))
            // The protocol's own, picked out while the frame is checked.
            .add_header(Header::new(":event-type", HeaderValue::Int32(7)))
            .add_header(Header::new(":event-type", HeaderValue::String("x".into())))
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("event".into()),
            ))
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("error".into()),
            ));
        let mut bytes = Vec::new();
        write_message_to(&message, &mut bytes).unwrap();
        let mut d = FrameDecoder::new();
        d.push(&bytes);
        let frame = d.next_frame().unwrap().unwrap();
        assert_eq!(frame.string_header("s"), Some("first"));
        assert_eq!(frame.string_header("n"), None, "the first `n` is an int32");
        assert_eq!(frame.string_header("absent"), None);
        assert_eq!(frame.string_header(":message-type"), Some("event"));
        assert_eq!(frame.string_header(":event-type"), None, "an int32 first");
        assert_eq!(frame.string_header(":exception-type"), None);
    }

    #[test]
    fn malformed_headers_under_good_checksums_are_typed() {
        for (headers, what, offset, why) in [
            // A name longer than the section.
            (
                &b"\x05abc"[..],
                "a header name",
                13,
                "runs past the header section",
            ),
            // A name with no value type after it.
            (
                b"\x02ab",
                "a header value's type",
                15,
                "runs past the header section",
            ),
            (b"\x01a\x0a", "a header value's type", 14, "is unknown"),
            (
                b"\x01a\x04\x00\x00",
                "an int32 value",
                15,
                "runs past the header section",
            ),
            (
                b"\x01a\x07\x00",
                "a value's length",
                15,
                "runs past the header section",
            ),
            (
                b"\x01a\x07\x00\x05abc",
                "a string value",
                17,
                "runs past the header section",
            ),
            (
                b"\x01a\x07\x00\x01\xff",
                "a string value",
                17,
                "is not UTF-8",
            ),
            (b"\x01\xc3\x00", "a header name", 13, "is not UTF-8"),
        ] {
            assert_eq!(
                decode_one(&raw_frame(headers, b"{}")),
                Err(FrameError::BadHeader { what, offset, why }),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn a_header_value_cannot_reach_into_the_payload() {
        // The int32's last two bytes would be the payload's first two.
        let bytes = raw_frame(b"\x01a\x04\x00\x00", b"\x00\x01");
        assert!(matches!(
            decode_one(&bytes),
            Err(FrameError::BadHeader {
                what: "an int32 value",
                ..
            })
        ));
    }

    #[test]
    fn errors_are_final() {
        let mut bytes = frame("{\"a\":1}");
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        bytes.extend(frame("{\"b\":2}"));
        let mut d = FrameDecoder::new();
        d.push(&bytes);
        let first = d.next_frame().unwrap_err();
        assert_eq!(
            d.next_frame(),
            Err(first.clone()),
            "no resynchronisation on the next frame"
        );
        assert_eq!(d.buf.capacity(), 0, "nothing will read what was buffered");
        d.push(&frame("{\"c\":3}"));
        assert_eq!(d.next_frame(), Err(first.clone()));
        assert_eq!(d.finish(), Err(first));
    }

    #[test]
    fn truncation_is_reported_at_the_end() {
        let bytes = frame("{\"a\":1}");
        let mut d = FrameDecoder::new();
        d.push(&bytes[..bytes.len() - 3]);
        assert_eq!(d.next_frame(), Ok(None));
        assert_eq!(
            d.finish(),
            Err(FrameError::Truncated {
                buffered: bytes.len() - 3
            })
        );
        // Cut inside the prelude: still a truncation, not a clean end.
        let mut d = FrameDecoder::new();
        d.push(&bytes[..5]);
        assert_eq!(d.next_frame(), Ok(None));
        assert_eq!(d.finish(), Err(FrameError::Truncated { buffered: 5 }));
    }
}
