//! How much one caller of `serve` can make the server hold, and for how long.
//!
//! `serve` treats every caller as hostile: a socket that never finishes its
//! headers, a body that never ends, a client that stops reading a stream, or
//! a thousand idle connections must each cost a bounded amount and release
//! it on time, so that the next honest client is served.

use std::time::Duration;

/// The bounds of one [`Server`](super::Server). The defaults suit a local
/// endpoint used by SDKs, editors and agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Open connections at once. A connection past the cap gets a `503` and
    /// is closed at once, so that sockets cannot exhaust the process's file
    /// descriptors. Default 256.
    pub max_connections: usize,
    /// Requests that call the plugin at once (chat completions and model
    /// listings). Checked *before* a body is read, so that a busy server
    /// reads nothing: a caller past the cap gets a `429`. Default 64.
    pub max_requests: usize,
    /// The largest request body. Images travel base64-encoded in the JSON
    /// (Bedrock takes images of up to 3.75 MB, 5 MB encoded), so the default,
    /// 16 MiB, fits three of the largest images or many ordinary ones. A
    /// declared `Content-Length` above it is refused (`413`) before any of
    /// the body is read.
    pub max_body_bytes: usize,
    /// The bytes all request bodies being read or handled may hold
    /// together: a body that would pass it is refused (`429`) before more of
    /// it is read. Never less than `max_body_bytes`. Default 64 MiB (four of
    /// the largest bodies at once).
    pub body_budget_bytes: usize,
    /// From the moment a connection waits for a request (a new connection,
    /// or an idle keep-alive one) until the request's headers are complete.
    /// This one timer also closes idle keep-alive connections. Default 10 s.
    pub header_read_timeout: Duration,
    /// Reading the whole request body, once admitted. Default 30 s.
    pub body_read_timeout: Duration,
    /// How long a write to a client may make no progress (a client that
    /// stopped reading a stream): the connection is then closed, which drops
    /// the stream, cancels the Bedrock request and releases its place under
    /// `max_requests`. Default 30 s.
    pub send_timeout: Duration,
    /// A whole reply, streamed or not: the stream then ends with an error
    /// event (or a `504` before any byte was sent). Default 30 min, longer
    /// than the longest reply a model writes at its slowest.
    pub stream_timeout: Duration,
    /// After the shutdown signal, how long requests in flight may still run
    /// before their connections are dropped. Default 10 s.
    pub shutdown_deadline: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            max_connections: 256,
            max_requests: 64,
            max_body_bytes: 16 * 1024 * 1024,
            body_budget_bytes: 64 * 1024 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            send_timeout: Duration::from_secs(30),
            stream_timeout: Duration::from_secs(30 * 60),
            shutdown_deadline: Duration::from_secs(10),
        }
    }
}
