//! A request body sent without waiting: as much as the host's stream takes
//! at each step, the caller waiting on [`Upload::subscribe`] in between.
//!
//! Until the connection is up and the server reads, a host takes little or
//! nothing of a body; a blocking write would hold the guest through the
//! connect and the upload of a large prompt.

use wasi::http::types::{ErrorCode, OutgoingBody};
use wasi::io::poll::Pollable;
use wasi::io::streams::{OutputStream, StreamError};

/// A body being written. Field order is drop order: the stream is a child
/// of the body.
pub struct Upload {
    stream: OutputStream,
    body: OutgoingBody,
    bytes: Vec<u8>,
    /// How much of `bytes` the stream took.
    written: usize,
    /// All written, and a flush asked for.
    flushing: bool,
}

/// Why an upload stopped short.
pub enum UploadError {
    /// The stream failed or closed (a host closes the body of a request
    /// that failed: the response then says why).
    Stream(StreamError),
    /// The host refused to end the body.
    Finish(ErrorCode),
}

impl Upload {
    /// `None` when the host hands out no stream for `body`.
    pub fn new(body: OutgoingBody, bytes: Vec<u8>) -> Option<Upload> {
        let stream = body.write().ok()?;
        Some(Upload {
            stream,
            body,
            bytes,
            written: 0,
            flushing: false,
        })
    }

    /// Ready when the stream takes more, or has flushed.
    pub fn subscribe(&self) -> Pollable {
        self.stream.subscribe()
    }

    /// Writes what the stream takes now, then flushes; never waits.
    /// `Ok(true)` once everything is written and flushed: the body is then
    /// to be [`finish`](Self::finish)ed.
    pub fn step(&mut self) -> Result<bool, UploadError> {
        loop {
            let all_written = self.written == self.bytes.len();
            let permitted = match self.stream.check_write() {
                Ok(permitted) => permitted,
                // Everything was handed over and the reader is done with
                // it (a bodiless GET's, say).
                Err(StreamError::Closed) if all_written => return Ok(true),
                Err(error) => return Err(UploadError::Stream(error)),
            };
            if permitted == 0 {
                // Full, or a flush is under way.
                return Ok(false);
            }
            if all_written {
                if self.flushing {
                    return Ok(true);
                }
                match self.stream.flush() {
                    Ok(()) => self.flushing = true,
                    Err(StreamError::Closed) => return Ok(true),
                    Err(error) => return Err(UploadError::Stream(error)),
                }
                continue;
            }
            let left = self.bytes.len() - self.written;
            let take = usize::try_from(permitted).map_or(left, |permitted| permitted.min(left));
            let chunk = &self.bytes[self.written..self.written + take];
            self.stream.write(chunk).map_err(UploadError::Stream)?;
            self.written += take;
        }
    }

    /// Ends the body (after [`step`](Self::step) said it is all sent).
    pub fn finish(self) -> Result<(), UploadError> {
        let Upload { stream, body, .. } = self;
        drop(stream);
        OutgoingBody::finish(body, None).map_err(UploadError::Finish)
    }
}
