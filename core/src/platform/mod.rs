//! What an operation needs from the world, as one small trait.
//!
//! The core's operations ([`credentials::in_force`](crate::credentials::in_force),
//! [`discovery::discover`](crate::discovery::discover),
//! [`converse::start_stream`](crate::converse::start_stream) and the
//! stream it returns) are straight-line code, or for the stream a state
//! machine, over a [`Platform`]: send a request and read its body, read a file,
//! use the host's cache, sleep, read the clock, draw a random number. The
//! component implements it over WASI; the core's tests implement it with
//! scripted answers, so every operation, failure sequences included, is
//! tested natively.
//!
//! A response can be awaited two ways as well: [`Platform::send`] waits for
//! its head, [`Platform::start_send`] sends the request and hands back a
//! [`PendingResponse`] whose [`try_response`](PendingResponse::try_response)
//! never waits. A body can be read two ways: [`Body::read`] waits (up to the
//! between-bytes deadline) for the next chunk, [`Body::try_read`] never waits
//! and answers [`Chunk::NotYet`] when nothing has arrived, so that a caller
//! can do its waiting elsewhere (outside the component, say).

use crate::error::{self, Error, HttpErrorResponse, NetworkKind};
use crate::signing::SignedRequest;
use crate::timeouts::Timeouts;
use std::fmt;
use std::time::{Duration, SystemTime};

/// The I/O an operation may do. See the module documentation.
pub trait Platform {
    type Body: Body;
    type Pending: PendingResponse<Body = Self::Body>;

    /// Sends `request` once, without waiting for the response head: a
    /// request refused before it left (by the host, say) is an error here,
    /// everything after comes from the [`PendingResponse`].
    fn start_send(
        &mut self,
        request: &SignedRequest,
        timeouts: Timeouts,
    ) -> Result<Self::Pending, Error>;

    /// Sends `request` once and waits for the response head. No answer at
    /// all (refused, timed out) is an error; any HTTP status is a response.
    fn send(
        &mut self,
        request: &SignedRequest,
        timeouts: Timeouts,
    ) -> Result<Response<Self::Body>, Error> {
        self.start_send(request, timeouts)?.wait()
    }

    /// The file at `path`, `None` when it is missing, unreadable or larger
    /// than `limit` bytes.
    fn read_file(&mut self, path: &str, limit: usize) -> Option<Vec<u8>>;

    /// The host's cache (best effort: a failing cache reads as a miss).
    fn cache_get(&mut self, key: &str) -> Option<Vec<u8>>;
    fn cache_set(&mut self, key: &str, value: &[u8]);

    fn sleep(&mut self, duration: Duration);
    fn now(&mut self) -> SystemTime;
    /// A uniform random number in `[0, 1)`.
    fn random(&mut self) -> f64;
}

/// A request sent whose response head is still to come.
pub trait PendingResponse {
    type Body: Body;

    /// The response head if it has arrived, `Ok(None)` if not yet; never
    /// waits. No answer at all (refused, reset, the connect or first-byte
    /// deadline passed) is an error. The head is handed out once: later
    /// calls fail.
    fn try_response(&mut self) -> Result<Option<Response<Self::Body>>, Error>;

    /// The response head, waiting for it (up to the first-byte deadline).
    fn wait(&mut self) -> Result<Response<Self::Body>, Error>;
}

/// The outcome of a send that was known at once: a [`PendingResponse`] for
/// a platform whose sends do not wait apart (a scripted one, say).
pub struct Answered<B>(Option<Result<Response<B>, Error>>);

impl<B> Answered<B> {
    pub fn new(outcome: Result<Response<B>, Error>) -> Self {
        Answered(Some(outcome))
    }
}

impl<B: Body> PendingResponse for Answered<B> {
    type Body = B;

    fn try_response(&mut self) -> Result<Option<Response<B>>, Error> {
        self.wait().map(Some)
    }

    fn wait(&mut self) -> Result<Response<B>, Error> {
        self.0.take().unwrap_or_else(|| {
            Err(Error::network(
                NetworkKind::Other,
                "the response was already taken",
            ))
        })
    }
}

/// One read of a response body that does not wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunk {
    Data(Vec<u8>),
    /// Nothing has arrived yet.
    NotYet,
    /// The body is complete.
    End,
}

/// A response body being received.
pub trait Body {
    /// The next chunk, waiting for it up to the between-bytes deadline;
    /// `Ok(None)` at the end of the body.
    fn read(&mut self) -> Result<Option<Vec<u8>>, Error>;

    /// The next chunk if one has arrived; never waits.
    fn try_read(&mut self) -> Result<Chunk, Error>;
}

/// The head of a response, with its body still to be read.
pub struct Response<B> {
    pub status: u16,
    /// Header names in any case; values as received.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: B,
}

impl<B: Body> Response<B> {
    /// The first header named `name` (ignoring case), if it is text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The whole body, up to `limit` bytes (more is a protocol error).
    pub fn read_to_end(mut self, limit: usize) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        while let Some(chunk) = self.body.read()? {
            body.extend_from_slice(&chunk);
            if body.len() > limit {
                return Err(Error::Protocol(format!(
                    "response body larger than {limit} bytes"
                )));
            }
        }
        Ok(body)
    }

    /// Status, headers and body (up to `limit` bytes), whatever the status:
    /// for callers that interpret error answers themselves.
    pub fn into_answer(self, limit: usize) -> Result<HttpAnswer, Error> {
        let status = self.status;
        let headers = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), String::from_utf8_lossy(value).into_owned()))
            .collect();
        let body = self.read_to_end(limit)?;
        Ok(HttpAnswer {
            status,
            headers,
            body,
        })
    }

    /// The start of an error body, waiting for it: up to [`MAX_ERROR_BODY`]
    /// (a little more: whole chunks), or less if the body ends or fails.
    pub fn read_error_body(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        while body.len() < MAX_ERROR_BODY {
            match self.body.read() {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        body
    }

    /// Classifies an error answer ([`error::from_http`]) with `body`, the
    /// start of its error body (up to [`MAX_ERROR_BODY`], a little more:
    /// whole chunks); `received_at` measures a `Retry-After` date when the
    /// answer has no `Date`.
    pub fn error_with_body(&self, body: &[u8], received_at: SystemTime) -> Error {
        error::from_http(&HttpErrorResponse {
            status: self.status,
            error_type: self.header("x-amzn-errortype"),
            request_id: self.header("x-amzn-requestid"),
            retry_after: self.header("retry-after"),
            date: self.header("date"),
            received_at,
            body,
        })
    }
}

/// How much of an error body is kept: enough for any AWS error message.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// A whole HTTP answer, whatever its status (the credential sources read
/// their small answers this way).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    /// Header names in any case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpAnswer {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> HttpAnswer {
        HttpAnswer {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The first header named `name`, ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(crate) fn body_text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap_or("")
    }
}

/// The body carries credentials: only its size is shown.
impl fmt::Debug for HttpAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpAnswer")
            .field("status", &self.status)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// `scheme://authority/path?query` of a request, for messages.
pub fn url(request: &SignedRequest) -> String {
    let scheme = match request.scheme {
        crate::endpoint::Scheme::Http => "http",
        crate::endpoint::Scheme::Https => "https",
    };
    format!("{scheme}://{}{}", request.authority, request.path_and_query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_hide_their_bodies() {
        let mut answer = HttpAnswer::new(200, "secret-body");
        answer
            .headers
            .push(("X-Amz-Token".into(), "secret-header".into()));
        let shown = format!("{answer:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert_eq!(answer.header("x-amz-token"), Some("secret-header"));
    }
}

#[cfg(test)]
pub(crate) mod fake;
