//! One ConverseStream response body, fed as it arrives.

use super::events;
use crate::error::Error;
use crate::eventstream::FrameDecoder;
use crate::platform::{Body, Chunk};
use crate::types::StreamEvent;

/// Turns response-body chunks into stream events and enforces the stream's
/// shape: exactly one terminal outcome, either a `messageStop` followed by the
/// end of the body, or an error.
#[derive(Debug, Default)]
pub struct ConverseStreamDecoder {
    frames: FrameDecoder,
    state: State,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    #[default]
    Streaming,
    /// `messageStop` was seen; only `metadata` (and unknown events) may follow.
    Stopped,
    /// An error was returned; nothing more is decoded.
    Failed,
}

impl ConverseStreamDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes `chunk`, appending every complete event to `out`.
    ///
    /// On error the events decoded before it are still in `out`: the caller
    /// hands them over first, then the error, so nothing is lost.
    pub fn feed(&mut self, chunk: &[u8], out: &mut Vec<StreamEvent>) -> Result<(), Error> {
        self.feed_up_to(chunk, out, usize::MAX)
    }

    /// [`feed`](Self::feed), stopping once `out` holds `limit` events: the
    /// frames after them stay buffered, for a later call (an empty chunk
    /// decodes them; [`has_frame`](Self::has_frame) says whether one is
    /// whole already).
    pub fn feed_up_to(
        &mut self,
        chunk: &[u8],
        out: &mut Vec<StreamEvent>,
        limit: usize,
    ) -> Result<(), Error> {
        if self.state == State::Failed {
            return Err(Error::Protocol("the stream already failed".into()));
        }
        self.frames.push(chunk);
        let result = self.drain(out, limit);
        if result.is_err() {
            self.state = State::Failed;
        }
        result
    }

    /// Whether a whole frame is buffered, undecoded, for the next call; never
    /// once the stream has failed.
    pub fn has_frame(&self) -> bool {
        self.state != State::Failed && self.frames.has_frame()
    }

    fn drain(&mut self, out: &mut Vec<StreamEvent>, limit: usize) -> Result<(), Error> {
        while out.len() < limit {
            let Some(frame) = self.frames.next_frame()? else {
                return Ok(());
            };
            let Some(event) = events::from_frame(&frame)? else {
                continue;
            };
            match (&event, self.state) {
                (StreamEvent::MessageStop(_), State::Streaming) => self.state = State::Stopped,
                (StreamEvent::MessageStop(_), _) => {
                    return Err(Error::Protocol("a second messageStop event".into()));
                }
                (StreamEvent::Metadata(_), _) | (_, State::Streaming) => {}
                (_, _) => {
                    return Err(Error::Protocol("content after messageStop".into()));
                }
            }
            out.push(event);
        }
        Ok(())
    }

    /// Declares the end of the body. A body that ends inside a frame or before
    /// `messageStop` is a truncated reply, never a successful one.
    pub fn finish(&mut self) -> Result<(), Error> {
        if self.state == State::Failed {
            return Ok(());
        }
        if let Err(e) = self.frames.finish() {
            self.state = State::Failed;
            return Err(e.into());
        }
        if self.state == State::Streaming {
            self.state = State::Failed;
            return Err(Error::Protocol(
                "the stream ended before messageStop: the reply is truncated".into(),
            ));
        }
        Ok(())
    }
}

/// Pulls a body through a [`ConverseStreamDecoder`] in batches, the shape of
/// the contract's `event-stream`.
///
/// [`next`](Self::next) waits for the events of at least one chunk (never an
/// empty batch); [`try_next`](Self::try_next) never waits and hands out what
/// has arrived, an empty batch when that is nothing yet, so that the waiting
/// can happen elsewhere, on what [`waiting_on`](Self::waiting_on) names.
/// Either returns `Ok(None)` after the end, or the stream's single error.
/// Events decoded before an error are handed out first; the error comes on
/// the following call, and every call after that returns `Ok(None)`. The
/// source is dropped as soon as the outcome is known, which closes the
/// connection.
///
/// The first event goes out alone, as soon as it is decoded: a reply's
/// first chunk can hold a burst of frames, and the caller's first token
/// should not wait for all of them to be decoded. The frames it leaves are
/// the next batch, which [`waiting_on`](Self::waiting_on) says is ready.
pub struct EventPump<S> {
    source: Option<S>,
    decoder: ConverseStreamDecoder,
    pending_error: Option<Error>,
    /// An event has been decoded: batches are no longer cut short.
    started: bool,
}

impl<S: Body> EventPump<S> {
    pub fn new(source: S) -> Self {
        EventPump {
            source: Some(source),
            decoder: ConverseStreamDecoder::new(),
            pending_error: None,
            started: false,
        }
    }

    /// The next batch, waiting for it: not an `Iterator`, whose `next`
    /// cannot say "failed" apart from "ended".
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Vec<StreamEvent>>, Error> {
        // Handed out as soon as a chunk makes events: waiting for more
        // would hold back the ones decoded.
        self.pull(
            |source| Ok(source.read()?.map_or(Chunk::End, Chunk::Data)),
            0,
        )
    }

    /// The contract's `event-stream.next`: the events decodable from what
    /// has arrived, without waiting; an empty batch when that is nothing
    /// (or only part of a frame). Everything that has arrived, up to
    /// [`BATCH_BYTES`] of body, makes one batch: a fast reply crosses into
    /// the caller once per batch, not once per chunk.
    pub fn try_next(&mut self) -> Result<Option<Vec<StreamEvent>>, Error> {
        self.pull(S::try_read, BATCH_BYTES)
    }

    /// The body a caller of [`try_next`](Self::try_next) must wait on before
    /// calling it again; `None` when the next call makes progress at once
    /// (a batch or an error is waiting, or the body is done).
    pub fn waiting_on(&self) -> Option<&S> {
        if self.pending_error.is_some() || self.decoder.has_frame() {
            return None;
        }
        self.source.as_ref()
    }

    /// Reads chunks with `read` until they make a batch of events from at
    /// least `batch_bytes` of body, `read` answers [`Chunk::NotYet`] (an
    /// empty batch, unless events were decoded), the body ends or fails.
    /// The frames a first event left behind come first, without a read.
    fn pull(
        &mut self,
        mut read: impl FnMut(&mut S) -> Result<Chunk, Error>,
        batch_bytes: usize,
    ) -> Result<Option<Vec<StreamEvent>>, Error> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        let mut events = Vec::new();
        let mut read_bytes = 0;
        let mut outcome = if self.decoder.has_frame() {
            self.decode(&[], &mut events)
        } else {
            Ok(())
        };
        loop {
            if let Err(error) = outcome {
                self.source = None;
                if events.is_empty() {
                    return Err(error);
                }
                self.pending_error = Some(error);
            }
            if !events.is_empty()
                && (self.source.is_none() || read_bytes >= batch_bytes || self.decoder.has_frame())
            {
                return Ok(Some(events));
            }
            let Some(source) = self.source.as_mut() else {
                return Ok(None);
            };
            outcome = match read(source) {
                Ok(Chunk::Data(chunk)) => {
                    read_bytes += chunk.len();
                    self.decode(&chunk, &mut events)
                }
                Ok(Chunk::NotYet) => return Ok(Some(events)),
                Ok(Chunk::End) => {
                    self.source = None;
                    self.decoder.finish()
                }
                Err(error) => Err(error),
            };
        }
    }

    /// Feeds `chunk` to the decoder: all of it, but only up to the first
    /// event while none has been decoded.
    fn decode(&mut self, chunk: &[u8], events: &mut Vec<StreamEvent>) -> Result<(), Error> {
        let limit = if self.started { usize::MAX } else { 1 };
        let fed = self.decoder.feed_up_to(chunk, events, limit);
        self.started |= !events.is_empty();
        fed
    }
}

/// How much body [`EventPump::try_next`] reads into one batch at most (a
/// little more: whole chunks): a few hundred events, far under what a host
/// accepts from one call.
pub const BATCH_BYTES: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{NetworkKind, TimeoutPhase};
    use aws_smithy_eventstream::frame::write_message_to;
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    use bytes::Bytes;

    fn frame(kind: &str, payload: &str) -> Vec<u8> {
        let m = Message::new(Bytes::from(payload.to_string()))
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("event".to_string().into()),
            ))
            .add_header(Header::new(
                ":event-type",
                HeaderValue::String(kind.to_string().into()),
            ));
        let mut out = Vec::new();
        write_message_to(&m, &mut out).unwrap();
        out
    }

    fn reply() -> Vec<u8> {
        [
            frame("messageStart", r#"{"role":"assistant"}"#),
            frame("contentBlockDelta", r#"{"contentBlockIndex":0,"delta":{"text":"Hello"}}"#),
            frame("contentBlockStop", r#"{"contentBlockIndex":0}"#),
            frame("messageStop", r#"{"stopReason":"end_turn"}"#),
            frame("metadata", r#"{"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":1}}"#),
        ]
        .concat()
    }

    #[test]
    fn whole_reply() {
        let mut d = ConverseStreamDecoder::new();
        let mut out = Vec::new();
        d.feed(&reply(), &mut out).unwrap();
        d.finish().unwrap();
        assert_eq!(out.len(), 5);
    }

    #[test]
    fn ending_before_message_stop_is_an_error() {
        let bytes = reply();
        let cut = frame("messageStart", "{\"role\":\"assistant\"}").len();
        let mut d = ConverseStreamDecoder::new();
        let mut out = Vec::new();
        d.feed(&bytes[..cut], &mut out).unwrap();
        assert!(matches!(d.finish(), Err(Error::Protocol(m)) if m.contains("truncated")));
    }

    #[test]
    fn events_before_an_error_are_kept() {
        let mut bytes = reply();
        let second_frame_end = frame("messageStart", "{\"role\":\"assistant\"}").len()
            + frame(
                "contentBlockDelta",
                r#"{"contentBlockIndex":0,"delta":{"text":"Hello"}}"#,
            )
            .len();
        bytes[second_frame_end + 20] ^= 0xff; // inside the third frame
        let mut d = ConverseStreamDecoder::new();
        let mut out = Vec::new();
        assert!(d.feed(&bytes, &mut out).is_err());
        assert_eq!(out.len(), 2);
        assert!(
            d.feed(b"", &mut out).is_err(),
            "a failed stream stays failed"
        );
    }

    fn between_bytes() -> Error {
        Error::timeout(TimeoutPhase::BetweenBytes, None)
    }

    /// Chunks, then an optional transport error, then the end.
    struct Chunks(std::collections::VecDeque<Result<Vec<u8>, Error>>);

    impl Body for Chunks {
        fn read(&mut self) -> Result<Option<Vec<u8>>, Error> {
            self.0.pop_front().transpose()
        }

        fn try_read(&mut self) -> Result<crate::platform::Chunk, Error> {
            unreachable!("the pump waits for its chunks")
        }
    }

    fn pump(chunks: Vec<Result<Vec<u8>, Error>>) -> EventPump<Chunks> {
        EventPump::new(Chunks(chunks.into()))
    }

    #[test]
    fn pump_batches_per_chunk_and_ends_once() {
        let bytes = reply();
        let mut p = pump(bytes.chunks(7).map(|c| Ok(c.to_vec())).collect());
        let mut all = Vec::new();
        while let Some(batch) = p.next().unwrap() {
            assert!(!batch.is_empty());
            all.extend(batch);
        }
        assert_eq!(all.len(), 5);
        assert_eq!(p.next(), Ok(None));
    }

    #[test]
    fn pump_hands_out_events_before_the_error() {
        let bytes = reply();
        let first_two = frame("messageStart", "{\"role\":\"assistant\"}").len()
            + frame(
                "contentBlockDelta",
                r#"{"contentBlockIndex":0,"delta":{"text":"Hello"}}"#,
            )
            .len();
        // The first event goes out alone, then the rest of its chunk.
        let mut p = pump(vec![Ok(bytes[..first_two].to_vec()), Err(between_bytes())]);
        assert_eq!(p.next().unwrap().unwrap().len(), 1);
        assert_eq!(p.next().unwrap().unwrap().len(), 1);
        assert_eq!(p.next(), Err(between_bytes()));
        assert_eq!(p.next(), Ok(None));

        let mut p = pump(vec![Ok(bytes[..first_two + 3].to_vec())]);
        assert_eq!(p.next().unwrap().unwrap().len(), 1);
        assert_eq!(p.next().unwrap().unwrap().len(), 1);
        assert!(
            matches!(p.next(), Err(Error::Frame(_))),
            "a cut frame is an error"
        );
        assert_eq!(p.next(), Ok(None));
    }

    fn exception_frame(kind: &str) -> Vec<u8> {
        let m = Message::new(Bytes::from_static(br#"{"message":"slow down"}"#))
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("exception".to_string().into()),
            ))
            .add_header(Header::new(
                ":exception-type",
                HeaderValue::String(kind.to_string().into()),
            ));
        let mut out = Vec::new();
        write_message_to(&m, &mut out).unwrap();
        out
    }

    /// The first batch of a pump: where an exception in the first frame
    /// of a 200 shows, which [`ConverseStream`](super::ConverseStream)
    /// treats as the attempt's failure.
    fn first_batch(chunks: Vec<Result<Vec<u8>, Error>>) -> Result<Option<Vec<StreamEvent>>, Error> {
        pump(chunks).next()
    }

    #[test]
    fn an_exception_before_any_event_is_the_first_outcome() {
        let exception = exception_frame("throttlingException");
        let error = first_batch(vec![Ok(exception.clone())]).unwrap_err();
        assert!(matches!(error, Error::Throttled(_)), "{error:?}");
        let split = vec![Ok(exception[..5].to_vec()), Ok(exception[5..].to_vec())];
        assert!(
            matches!(first_batch(split), Err(Error::Throttled(_))),
            "split over reads"
        );
        let transport = vec![Err(Error::network(NetworkKind::Reset, ""))];
        assert!(matches!(first_batch(transport), Err(Error::Network(_))));
        assert!(
            matches!(first_batch(Vec::new()), Err(Error::Protocol(_))),
            "empty body"
        );
    }

    #[test]
    fn errors_after_the_first_batch_stay_in_the_stream() {
        let mut bytes = frame("messageStart", "{\"role\":\"assistant\"}");
        bytes.extend(exception_frame("throttlingException"));
        let mut p = pump(vec![Ok(bytes)]);
        assert_eq!(
            p.next(),
            Ok(Some(vec![StreamEvent::MessageStart(
                crate::types::Role::Assistant
            )]))
        );
        assert!(
            matches!(p.next(), Err(Error::Throttled(_))),
            "after the event that came first"
        );
        assert_eq!(p.next(), Ok(None));
    }

    /// What has arrived at each non-waiting read, then the end.
    struct Arrivals(std::collections::VecDeque<Result<Chunk, Error>>);

    impl Body for Arrivals {
        fn read(&mut self) -> Result<Option<Vec<u8>>, Error> {
            unreachable!("the stream never waits")
        }

        fn try_read(&mut self) -> Result<Chunk, Error> {
            self.0.pop_front().unwrap_or(Ok(Chunk::End))
        }
    }

    #[test]
    fn try_next_hands_out_what_arrived_and_never_waits() {
        let bytes = reply();
        let start = frame("messageStart", "{\"role\":\"assistant\"}").len();
        let data = |range: std::ops::Range<usize>| Ok(Chunk::Data(bytes[range].to_vec()));
        let mut p = EventPump::new(Arrivals(
            vec![
                Ok(Chunk::NotYet),
                data(0..start - 1),
                Ok(Chunk::NotYet),
                data(start - 1..start + 4),
                Ok(Chunk::NotYet),
                data(start + 4..bytes.len()),
                Ok(Chunk::NotYet),
            ]
            .into(),
        ));
        assert!(p.waiting_on().is_some());
        assert_eq!(p.try_next(), Ok(Some(vec![])), "nothing yet");
        assert_eq!(p.try_next(), Ok(Some(vec![])), "part of a frame");
        assert_eq!(
            p.try_next(),
            Ok(Some(vec![StreamEvent::MessageStart(
                crate::types::Role::Assistant
            )])),
            "the frame completed, the next one began"
        );
        assert_eq!(p.try_next().unwrap().unwrap().len(), 4);
        assert!(p.waiting_on().is_some(), "the end has not been read yet");
        assert_eq!(p.try_next(), Ok(None));
        assert!(p.waiting_on().is_none());
        assert_eq!(p.try_next(), Ok(None));
    }

    #[test]
    fn the_first_event_of_a_burst_goes_out_alone_and_the_rest_is_ready() {
        let bytes = reply();
        let mut p = EventPump::new(Arrivals(
            vec![Ok(Chunk::Data(bytes)), Ok(Chunk::NotYet)].into(),
        ));
        assert_eq!(
            p.try_next(),
            Ok(Some(vec![StreamEvent::MessageStart(
                crate::types::Role::Assistant
            )]))
        );
        assert!(
            p.waiting_on().is_none(),
            "the frames left behind are ready without a read"
        );
        assert_eq!(p.try_next().unwrap().unwrap().len(), 4, "the rest, at once");
        assert!(p.waiting_on().is_some());
        assert_eq!(p.try_next(), Ok(None), "the end, read next");
    }

    #[test]
    fn a_first_event_with_nothing_whole_behind_it_waits_on_the_body() {
        let bytes = reply();
        let start = frame("messageStart", "{\"role\":\"assistant\"}").len();
        let mut p = EventPump::new(Arrivals(
            vec![
                Ok(Chunk::Data(bytes[..start + 5].to_vec())),
                Ok(Chunk::NotYet),
            ]
            .into(),
        ));
        assert_eq!(p.try_next().unwrap().unwrap().len(), 1);
        assert!(p.waiting_on().is_some(), "the next frame is not whole yet");
    }

    #[test]
    fn try_next_hands_out_everything_that_arrived_as_one_batch() {
        let bytes = reply();
        let mut chunks: Vec<_> = bytes
            .chunks(7)
            .map(|c| Ok(Chunk::Data(c.to_vec())))
            .collect();
        chunks.push(Ok(Chunk::NotYet));
        let mut p = EventPump::new(Arrivals(chunks.into()));
        assert_eq!(p.try_next().unwrap().unwrap().len(), 5, "one crossing");
        assert_eq!(p.try_next(), Ok(None));

        // A batch ends once it holds events from `BATCH_BYTES` of body.
        let events = frame("messageStart", "{\"role\":\"assistant\"}");
        let many = events.repeat(BATCH_BYTES / events.len() + 2);
        let chunks = many
            .chunks(events.len())
            .map(|c| Ok(Chunk::Data(c.to_vec())));
        let mut p = EventPump::new(Arrivals(chunks.collect()));
        let total = many.len() / events.len();
        let first = BATCH_BYTES.div_ceil(events.len());
        assert_eq!(p.try_next().unwrap().unwrap().len(), first);
        assert_eq!(p.try_next().unwrap().unwrap().len(), total - first);
        assert!(
            matches!(p.try_next(), Err(Error::Protocol(_))),
            "a reply without messageStop is truncated"
        );
    }

    #[test]
    fn try_next_keeps_an_error_after_the_events_before_it() {
        let bytes = reply();
        let start = frame("messageStart", "{\"role\":\"assistant\"}").len();
        let cut = || Ok(Chunk::Data(bytes[..start + 3].to_vec()));
        let mut p = EventPump::new(Arrivals(
            vec![
                cut(),
                Ok(Chunk::NotYet),
                Ok(Chunk::NotYet),
                Err(between_bytes()),
            ]
            .into(),
        ));
        assert_eq!(p.try_next().unwrap().unwrap().len(), 1);
        assert_eq!(p.try_next(), Ok(Some(vec![])), "the rest of a frame");
        assert_eq!(p.try_next(), Err(between_bytes()));
        assert!(p.waiting_on().is_none(), "the body is gone");
        assert_eq!(p.try_next(), Ok(None));

        // The body ends inside a frame: the events, then the error, with
        // nothing to wait for in between.
        let mut p = EventPump::new(Arrivals(vec![cut(), Ok(Chunk::End)].into()));
        assert_eq!(p.try_next().unwrap().unwrap().len(), 1);
        assert!(matches!(p.try_next(), Err(Error::Frame(_))), "cut frame");
        assert_eq!(p.try_next(), Ok(None));
    }

    #[test]
    fn content_after_message_stop_is_rejected() {
        let mut bytes = reply();
        bytes.extend(frame(
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"late"}}"#,
        ));
        let mut d = ConverseStreamDecoder::new();
        assert!(d.feed(&bytes, &mut Vec::new()).is_err());
    }
}
