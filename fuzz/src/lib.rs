//! What the fuzz targets share: frames built the way AWS builds them, inputs
//! cut into arbitrary chunks, and the properties every decode must keep.
//!
//! Random bytes almost never carry two valid CRC32s, so a fuzzer feeding raw
//! bytes would only ever exercise the prelude check. The targets therefore
//! either repair the checksums of what the fuzzer wrote ([`fix_checksums`])
//! or build whole frames from a structured input ([`script`]), and corrupt
//! them on purpose where the input says so.
//!
//! The properties ([`check_frames`], [`check_converse`]):
//!
//! * nothing panics, whatever the bytes and however they are cut;
//! * the chunking changes nothing: the same frames or events, then the same
//!   error or the same clean end, as when the body comes in one piece;
//! * a frame decoded is exactly the bytes it came from (re-encoding it gives
//!   them back), so nothing is skipped or invented;
//! * a ConverseStream body ends cleanly only after exactly one `messageStop`
//!   followed by nothing but metadata;
//! * the contract's pull loop (`EventPump`) hands out the same events in
//!   non-empty batches, then the one error, then only the end.

pub mod script;

use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::Message;
use bedrock_core::converse::ConverseStreamDecoder;
use bedrock_core::converse::stream::EventPump;
use bedrock_core::error::Error;
use bedrock_core::platform::{Body, Chunk};
use bedrock_core::eventstream::{FrameDecoder, FrameError, MAX_FRAME_LEN};
use bedrock_core::types::StreamEvent;
use std::collections::VecDeque;

/// Cuts `bytes` into chunks of the given sizes, cycled: 0 is an empty chunk
/// (a transport may deliver one), n is n bytes. No sizes, or only zeros:
/// one chunk.
pub fn split<'a>(bytes: &'a [u8], sizes: &[u8]) -> Vec<&'a [u8]> {
    if sizes.iter().all(|s| *s == 0) {
        return vec![bytes];
    }
    let mut chunks = Vec::new();
    let (mut at, mut i) = (0, 0);
    while at < bytes.len() {
        let size = usize::from(sizes[i % sizes.len()]);
        let end = (at + size).min(bytes.len());
        chunks.push(&bytes[at..end]);
        at = end;
        i += 1;
    }
    chunks
}

/// Rewrites the prelude and message checksums of every frame whose declared
/// length fits, so mutations of lengths, headers and payloads get past them.
pub fn fix_checksums(bytes: &mut [u8]) {
    let mut at = 0;
    while bytes.len() - at >= 12 {
        let prelude_crc = crc32fast::hash(&bytes[at..at + 8]);
        bytes[at + 8..at + 12].copy_from_slice(&prelude_crc.to_be_bytes());
        let total = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if total < 16 || total > MAX_FRAME_LEN as usize || total > bytes.len() - at {
            return;
        }
        let message_crc = crc32fast::hash(&bytes[at..at + total - 4]);
        bytes[at + total - 4..at + total].copy_from_slice(&message_crc.to_be_bytes());
        at += total;
    }
}

/// Encodes `message` as one frame.
pub fn encode(message: &Message) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    write_message_to(message, &mut out).ok()?;
    Some(out)
}

/// What a frame decoder made of a body.
#[derive(Debug, PartialEq)]
pub struct Frames {
    pub frames: Vec<Message>,
    pub end: Result<(), FrameError>,
}

/// Decodes `chunks` with a [`FrameDecoder`], stopping at the first error.
pub fn decode_frames(chunks: &[&[u8]]) -> Frames {
    let mut decoder = FrameDecoder::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        decoder.push(chunk);
        loop {
            match decoder.next_frame() {
                Ok(Some(frame)) => frames.push(frame.to_message()),
                Ok(None) => break,
                Err(error) => return Frames { frames, end: Err(error) },
            }
        }
    }
    Frames { frames, end: decoder.finish() }
}

/// The frame decoder's properties on `bytes` cut by `sizes`.
pub fn check_frames(bytes: &[u8], sizes: &[u8]) {
    let whole = decode_frames(&[bytes]);
    let cut = decode_frames(&split(bytes, sizes));
    assert_eq!(whole, cut, "the chunking changed the outcome");
    let mut at = 0;
    for frame in &whole.frames {
        let encoded = encode(frame).expect("a decoded frame re-encodes");
        assert_eq!(&bytes[at..at + encoded.len()], &encoded[..], "frame at byte {at} is not what was sent");
        at += encoded.len();
    }
    if whole.end.is_ok() {
        assert_eq!(at, bytes.len(), "bytes after the last frame were ignored");
    }
}

/// What a ConverseStream decoder made of a body.
#[derive(Debug, PartialEq)]
pub struct Reply {
    pub events: Vec<StreamEvent>,
    pub end: Result<(), Error>,
}

/// Decodes `chunks` with a [`ConverseStreamDecoder`], as the guest does.
pub fn decode_reply(chunks: &[&[u8]]) -> Reply {
    let mut decoder = ConverseStreamDecoder::new();
    let mut events = Vec::new();
    for chunk in chunks {
        if let Err(error) = decoder.feed(chunk, &mut events) {
            return Reply { events, end: Err(error) };
        }
    }
    Reply { events, end: decoder.finish() }
}

/// A body source handing out prepared chunks.
struct Chunks(VecDeque<Vec<u8>>);

impl Body for Chunks {
    fn read(&mut self) -> Result<Option<Vec<u8>>, Error> {
        Ok(self.0.pop_front())
    }

    fn try_read(&mut self) -> Result<Chunk, Error> {
        Ok(self.0.pop_front().map_or(Chunk::End, Chunk::Data))
    }
}

/// The ConverseStream properties on `bytes` cut by `sizes`.
pub fn check_converse(bytes: &[u8], sizes: &[u8]) {
    let chunks = split(bytes, sizes);
    let whole = decode_reply(&[bytes]);
    let cut = decode_reply(&chunks);
    assert_eq!(whole, cut, "the chunking changed the outcome");

    if whole.end.is_ok() {
        let stops: Vec<usize> = (0..whole.events.len())
            .filter(|i| matches!(whole.events[*i], StreamEvent::MessageStop(_)))
            .collect();
        assert_eq!(stops.len(), 1, "a clean end needs exactly one messageStop: {:?}", whole.events);
        assert!(
            whole.events[stops[0] + 1..].iter().all(|e| matches!(e, StreamEvent::Metadata(_))),
            "only metadata may follow messageStop"
        );
    }

    let mut pump = EventPump::new(Chunks(chunks.iter().map(|c| c.to_vec()).collect()));
    let mut events = Vec::new();
    let end = loop {
        match pump.next() {
            Ok(Some(batch)) => {
                assert!(!batch.is_empty(), "an empty batch");
                events.extend(batch);
            }
            Ok(None) => break Ok(()),
            Err(error) => break Err(error),
        }
    };
    assert_eq!(Reply { events, end }, whole, "the pump disagrees with the decoder");
    assert_eq!(pump.next(), Ok(None), "a finished pump stays finished");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_cycles_sizes() {
        let bytes = b"abcdefg";
        assert_eq!(split(bytes, &[]), [&bytes[..]]);
        assert_eq!(split(bytes, &[0, 0]), [&bytes[..]]);
        assert_eq!(split(bytes, &[2, 0, 3]), [&b"ab"[..], b"", b"cde", b"fg"]);
    }
}
