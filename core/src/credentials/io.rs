//! What the chain asks of its caller, and how it replays the answers.
//!
//! The chain is written as straight-line code ("read the config file, then
//! call STS, then ...") and still does no I/O: every read or request goes
//! through [`Io`], which either returns the answer the caller already fed
//! back or stops the run with the [`Step`] the caller must perform. After
//! the caller answers, the run starts over from the top and replays the
//! recorded answers in order until it needs a new one. The code is
//! deterministic in its inputs (environment, options including the clock,
//! answers), so each replay asks the same questions in the same order; a
//! replay that asks something else is caught and reported instead of being
//! fed the wrong answer. A run is a handful of steps, so replaying costs
//! nothing worth measuring, and it keeps retries, fallbacks and role chains
//! readable rather than spread over a hand-written state machine.

use super::Resolved;
use crate::endpoint::{Endpoint, Scheme};
use crate::signing::SignedRequest;
use crate::timeouts::Timeouts;
use crate::types::ProviderError;
use std::fmt;

/// Largest response body the chain reads; callers should stop reading (and
/// answer with what they have, or an error) beyond it. Credential answers
/// are a few kilobytes.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Largest file the chain reads (shared config files, tokens, SSO cache).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// What the caller must do next.
#[derive(Clone, Debug)]
pub enum Step {
    /// Read the whole file at `path` and hand it to
    /// [`Chain::on_file`](super::Chain::on_file): its bytes, or `None` when
    /// it is missing or unreadable (the chain decides whether that matters).
    ReadFile { path: String },
    /// Send `request` with these limits and hand the answer to
    /// [`Chain::on_response`](super::Chain::on_response): any HTTP status is
    /// an answer; no answer (refused, timed out) is an error. Retries are
    /// the chain's, not the caller's: one `Send`, one attempt.
    Send {
        request: SignedRequest,
        timeouts: Timeouts,
    },
    /// The chain is finished.
    Done(Result<Resolved, ProviderError>),
}

/// An HTTP answer, whatever its status.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub status: u16,
    /// Header names in any case.
    pub headers: Vec<(String, String)>,
    /// The body, up to [`MAX_RESPONSE_BYTES`].
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

/// Which question an answer belongs to: a file path, or a request's method
/// and URL (not its headers: signatures and tokens are no key, and the run is
/// deterministic anyway).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Asked {
    File(String),
    Http(String),
}

pub(super) enum Answer {
    File(Option<Vec<u8>>),
    Http(Result<HttpAnswer, ProviderError>),
}

pub(super) struct Entry {
    pub asked: Asked,
    pub answer: Answer,
}

/// Why a run stopped before its end.
pub(super) enum Halt {
    /// It needs the answer to `Step`, which belongs to `Asked`.
    Suspend(Asked, Step),
    /// It failed: the chain's final answer.
    Fail(ProviderError),
}

impl From<ProviderError> for Halt {
    fn from(e: ProviderError) -> Self {
        Halt::Fail(e)
    }
}

/// A configured source that failed: the message names the source, never a secret.
pub(super) fn fail(message: impl Into<String>) -> Halt {
    Halt::Fail(ProviderError::CredentialSource(message.into()))
}

/// The recorded answers of one run, consumed in order.
pub(super) struct Io<'a> {
    log: &'a [Entry],
    position: usize,
}

impl<'a> Io<'a> {
    pub fn new(log: &'a [Entry]) -> Io<'a> {
        Io { log, position: 0 }
    }

    /// The contents of `path`, `None` when missing. A path read earlier in
    /// the run is answered from that read, not asked again.
    pub fn read_file(&mut self, path: &str) -> Result<Option<&'a [u8]>, Halt> {
        let asked = Asked::File(path.to_string());
        if let Some(earlier) = self.log[..self.position].iter().find(|e| e.asked == asked) {
            return Ok(file_answer(earlier));
        }
        let step = || Step::ReadFile {
            path: path.to_string(),
        };
        self.next(asked, step).map(file_answer)
    }

    /// The answer to `request`: an HTTP answer, or the transport's error.
    pub fn send(
        &mut self,
        request: &SignedRequest,
        timeouts: Timeouts,
    ) -> Result<Result<&'a HttpAnswer, ProviderError>, Halt> {
        let asked = Asked::Http(format!("{} {}", request.method, url(request)));
        let step = || Step::Send {
            request: request.clone(),
            timeouts,
        };
        let entry = self.next(asked, step)?;
        match &entry.answer {
            Answer::Http(Ok(answer)) => Ok(Ok(answer)),
            Answer::Http(Err(e)) => Ok(Err(e.clone())),
            Answer::File(_) => Err(diverged()),
        }
    }

    fn next(&mut self, asked: Asked, step: impl FnOnce() -> Step) -> Result<&'a Entry, Halt> {
        match self.log.get(self.position) {
            None => Err(Halt::Suspend(asked, step())),
            Some(entry) if entry.asked == asked => {
                self.position += 1;
                Ok(entry)
            }
            Some(_) => Err(diverged()),
        }
    }
}

fn file_answer(entry: &Entry) -> Option<&[u8]> {
    match &entry.answer {
        Answer::File(contents) => contents.as_deref(),
        Answer::Http(_) => None,
    }
}

fn diverged() -> Halt {
    Halt::Fail(ProviderError::Protocol(
        "the credential chain asked different questions when replaying its answers (a bug in the plugin)".into(),
    ))
}

/// `scheme://authority/path?query` of a request, for messages and matching.
pub fn url(request: &SignedRequest) -> String {
    let scheme = match request.scheme {
        Scheme::Http => "http",
        Scheme::Https => "https",
    };
    format!("{scheme}://{}{}", request.authority, request.path_and_query)
}

/// Takes a built (and possibly signed) request apart into what `wasi:http`
/// needs, as `SignedRequest`'s own constructors do.
pub(super) fn wire(endpoint: &Endpoint, request: http::Request<Vec<u8>>) -> SignedRequest {
    let (parts, body) = request.into_parts();
    SignedRequest {
        method: parts.method,
        scheme: endpoint.scheme,
        authority: endpoint.authority.clone(),
        path_and_query: parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into()),
        headers: parts
            .headers
            .iter()
            .filter(|(name, _)| *name != http::header::HOST)
            .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
            .collect(),
        body,
    }
}

/// Builds a request for `path_and_query` on `endpoint` with `headers`.
pub(super) fn build(
    method: http::Method,
    endpoint: &Endpoint,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<http::Request<Vec<u8>>, ProviderError> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(endpoint.url(path_and_query));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body).map_err(|_| {
        ProviderError::InvalidRequest(format!(
            "cannot build a request to {}",
            endpoint.url(path_and_query)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(asked: Asked, answer: Answer) -> Entry {
        Entry { asked, answer }
    }

    fn request(path: &str) -> SignedRequest {
        let endpoint = Endpoint::parse("http://127.0.0.1:1").unwrap();
        wire(
            &endpoint,
            build(http::Method::GET, &endpoint, path, &[], Vec::new()).unwrap(),
        )
    }

    #[test]
    fn replays_in_order_then_suspends() {
        let log = vec![
            entry(Asked::File("/a".into()), Answer::File(Some(b"x".to_vec()))),
            entry(
                Asked::Http("GET http://127.0.0.1:1/p".into()),
                Answer::Http(Ok(HttpAnswer::new(404, ""))),
            ),
        ];
        let mut io = Io::new(&log);
        assert_eq!(io.read_file("/a").ok().flatten(), Some(&b"x"[..]));
        assert_eq!(
            io.read_file("/a").ok().flatten(),
            Some(&b"x"[..]),
            "asked once per run"
        );
        assert_eq!(
            io.send(&request("/p"), Timeouts::DEFAULT)
                .ok()
                .unwrap()
                .unwrap()
                .status,
            404
        );
        match io.read_file("/b") {
            Err(Halt::Suspend(Asked::File(p), Step::ReadFile { path })) => {
                assert_eq!((p.as_str(), path.as_str()), ("/b", "/b"))
            }
            _ => panic!("expected a suspension"),
        }
    }

    #[test]
    fn a_diverging_replay_fails_instead_of_taking_the_wrong_answer() {
        let log = vec![entry(Asked::File("/a".into()), Answer::File(None))];
        let mut io = Io::new(&log);
        assert!(matches!(
            io.send(&request("/p"), Timeouts::DEFAULT),
            Err(Halt::Fail(ProviderError::Protocol(_)))
        ));
    }

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
