//! Sending a [`SignedRequest`] over `wasi:http/outgoing-handler`, and
//! receiving its response head and body without waiting inside the guest.

use crate::upload::{Upload, UploadError};
use bedrock_core::endpoint::Scheme;
use bedrock_core::error::{Error, NetworkKind, TimeoutPhase};
use bedrock_core::platform::{self, Chunk, Response};
use bedrock_core::signing::SignedRequest;
use bedrock_core::timeouts::Timeouts;
use std::time::Duration;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingBody, IncomingResponse, Method,
    OutgoingRequest, RequestOptions, Scheme as WasiScheme,
};
use wasi::io::poll::{Pollable, poll};
use wasi::io::streams::{InputStream, StreamError};

/// Largest body read per call; events are handed out as soon as a frame is whole.
const READ_CHUNK: u64 = 64 * 1024;
/// How much later than the guest's own between-bytes deadline the host's
/// fires: the host's is a backstop, and its failure reaches the guest
/// without an `error-code` (wasmtime 48), so the guest's clearer error wins.
const HOST_TIMEOUT_MARGIN: Duration = Duration::from_secs(1);

/// A response body being read. Field order is drop order: the stream is a
/// child of the body, the body of the response.
pub struct Body {
    /// Longest wait for the next chunk. The host enforces it too (the
    /// request option); the guest checks it itself whenever it reads, for
    /// a host that does not.
    between_bytes: Duration,
    /// When the last chunk (or the head) arrived, on the monotonic clock.
    last_arrival: monotonic_clock::Instant,
    stream: InputStream,
    _body: IncomingBody,
    _response: IncomingResponse,
}

impl Body {
    /// Ready when a read makes progress: bytes, the end or a failure
    /// arrived (the first), or the between-bytes timeout is due (the
    /// second).
    pub fn subscribe(&self) -> [Pollable; 2] {
        let due = self.last_arrival.saturating_add(nanos(self.between_bytes));
        [
            self.stream.subscribe(),
            monotonic_clock::subscribe_instant(due),
        ]
    }

    /// What has arrived, without waiting: `wasi:io` answers an empty read
    /// when nothing has. Nothing for longer than the between-bytes timeout
    /// is that timeout, whoever noticed it first.
    fn read_now(&mut self) -> Result<Chunk, Error> {
        let overdue = || {
            let waited = monotonic_clock::now().saturating_sub(self.last_arrival);
            u128::from(waited) >= self.between_bytes.as_nanos()
        };
        let timed_out = || Error::timeout(TimeoutPhase::BetweenBytes, Some(self.between_bytes));
        match self.stream.read(READ_CHUNK) {
            Ok(bytes) if bytes.is_empty() => match overdue() {
                true => Err(timed_out()),
                false => Ok(Chunk::NotYet),
            },
            Ok(bytes) => {
                self.last_arrival = monotonic_clock::now();
                Ok(Chunk::Data(bytes))
            }
            Err(StreamError::Closed) => Ok(Chunk::End),
            Err(StreamError::LastOperationFailed(e)) => {
                Err(match wasi::http::types::http_error_code(&e) {
                    Some(code) => transport_error(code, Phase::Body, self.between_bytes),
                    // wasmtime 48 reports body failures without an
                    // `error-code`; its between-bytes timeout is one of them.
                    None if overdue() => timed_out(),
                    None => Error::network(NetworkKind::Other, e.to_debug_string()),
                })
            }
        }
    }
}

impl platform::Body for Body {
    fn read(&mut self) -> Result<Option<Vec<u8>>, Error> {
        let deadline = monotonic_clock::subscribe_duration(nanos(self.between_bytes));
        loop {
            let ready = self.stream.subscribe();
            if !poll(&[&ready, &deadline]).contains(&0) {
                return Err(Error::timeout(
                    TimeoutPhase::BetweenBytes,
                    Some(self.between_bytes),
                ));
            }
            match self.read_now()? {
                Chunk::Data(bytes) => return Ok(Some(bytes)),
                Chunk::End => return Ok(None),
                // Ready without bytes (a zero-length chunk): wait again.
                Chunk::NotYet => {}
            }
        }
    }

    fn try_read(&mut self) -> Result<Chunk, Error> {
        self.read_now()
    }
}

/// Sends `request` (its body included) without waiting for the response head.
pub fn start(request: &SignedRequest, timeouts: Timeouts) -> Result<InFlight, Error> {
    let refused =
        |what: &str| Error::InvalidRequest(format!("the HTTP host refused the request's {what}"));
    let headers =
        Fields::from_list(&request.headers).map_err(|e| refused(&format!("headers ({e:?})")))?;
    let outgoing = OutgoingRequest::new(headers);
    outgoing
        .set_method(&method(request.method.as_str()))
        .map_err(|()| refused("method"))?;
    let scheme = match request.scheme {
        Scheme::Http => WasiScheme::Http,
        Scheme::Https => WasiScheme::Https,
    };
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|()| refused("scheme"))?;
    outgoing
        .set_authority(Some(&request.authority))
        .map_err(|()| refused("authority"))?;
    outgoing
        .set_path_with_query(Some(&request.path_and_query))
        .map_err(|()| refused("path"))?;

    let options = RequestOptions::new();
    // A host may not support a timeout; the request still goes out.
    let _ = options.set_connect_timeout(Some(nanos(timeouts.connect)));
    let _ = options.set_first_byte_timeout(Some(nanos(timeouts.first_byte)));
    // The guest enforces between-bytes itself (its deadline is one of the
    // pollables of `event-stream.subscribe`); this is the host's backstop.
    let _ = options
        .set_between_bytes_timeout(Some(nanos(timeouts.between_bytes + HOST_TIMEOUT_MARGIN)));

    let body = outgoing.body().map_err(|()| refused("body"))?;
    let head_error = |code| transport_error(code, Phase::Head, timeouts.first_byte);
    let future = outgoing_handler::handle(outgoing, Some(options)).map_err(head_error)?;
    let upload = Upload::new(body, request.body.clone())
        .ok_or_else(|| Error::network(NetworkKind::Other, "request body unavailable"))?;
    let deadline =
        monotonic_clock::now().saturating_add(nanos(timeouts.first_byte + HOST_TIMEOUT_MARGIN));
    let mut in_flight = InFlight {
        upload: Some(upload),
        upload_failed: None,
        future,
        deadline,
        timeouts,
    };
    // What the host's stream takes now goes out at once: for a prompt of
    // the usual size, all of it, so that the request is whole when the host
    // sends it, and the caller's first wait is for the response.
    in_flight.upload()?;
    Ok(in_flight)
}

/// A request sent whose body may still be going out and whose response
/// head is still to come.
pub struct InFlight {
    /// The body still being sent; the head is awaited once it is.
    upload: Option<Upload>,
    /// Why the body could not be sent: the answer, once it comes, may say
    /// better (a host closes the body of a request that failed, an untrusted
    /// certificate or a refused connection, and answers why).
    upload_failed: Option<Error>,
    future: FutureIncomingResponse,
    /// When the guest stops waiting for the head itself. The host enforces
    /// the first-byte timeout (the request option) and its error names the
    /// phase, connect or first byte; this is the backstop for a host that
    /// does not, a margin later.
    deadline: monotonic_clock::Instant,
    timeouts: Timeouts,
}

impl InFlight {
    /// Ready when the body's stream takes more, or once it is sent, when
    /// the head (or the request's failure) arrived (the first); or when the
    /// guest's own deadline for the head is due (the second).
    pub fn subscribe(&self) -> [Pollable; 2] {
        let ready = match &self.upload {
            Some(upload) => upload.subscribe(),
            None => self.future.subscribe(),
        };
        [ready, monotonic_clock::subscribe_instant(self.deadline)]
    }

    fn head_error(&self, code: ErrorCode) -> Error {
        transport_error(code, Phase::Head, self.timeouts.first_byte)
    }

    /// Nothing yet: fine until the guest's deadline for the head.
    fn not_yet(&self) -> Result<Option<Response<Body>>, Error> {
        if monotonic_clock::now() >= self.deadline {
            return Err(Error::timeout(
                TimeoutPhase::FirstByte,
                Some(self.timeouts.first_byte),
            ));
        }
        Ok(None)
    }

    /// Sends what the body's stream takes now; `Ok(false)` while some is left.
    fn upload(&mut self) -> Result<bool, Error> {
        let Some(upload) = self.upload.as_mut() else {
            return Ok(true);
        };
        let sent = match upload.step() {
            Ok(false) => return Ok(false),
            Ok(true) => self.upload.take().map_or(Ok(()), Upload::finish),
            Err(error) => Err(error),
        };
        self.upload = None;
        match sent {
            Ok(()) => {}
            Err(UploadError::Finish(code)) => return Err(self.head_error(code)),
            Err(UploadError::Stream(error)) => {
                self.upload_failed = Some(Error::network(
                    NetworkKind::Reset,
                    format!("sending the request body failed: {error:?}"),
                ));
            }
        }
        Ok(true)
    }
}

impl platform::PendingResponse for InFlight {
    type Body = Body;

    fn try_response(&mut self) -> Result<Option<Response<Body>>, Error> {
        if !self.upload()? {
            return self.not_yet();
        }
        let outcome = self.future.get();
        if let Some(closed) = self.upload_failed.take() {
            return match outcome {
                Some(Ok(Err(code))) => Err(self.head_error(code)),
                Some(_) => Err(closed),
                None => {
                    self.upload_failed = Some(closed);
                    self.not_yet()
                }
            };
        }
        let incoming = match outcome {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(self.head_error(code)),
            Some(Err(())) => {
                return Err(Error::network(
                    NetworkKind::Other,
                    "the response was already taken",
                ));
            }
            None => return self.not_yet(),
        };
        let status = incoming.status();
        let headers = incoming.headers().entries();
        let unavailable = |()| Error::network(NetworkKind::Other, "response body unavailable");
        let body = incoming.consume().map_err(unavailable)?;
        let stream = body.stream().map_err(unavailable)?;
        Ok(Some(Response {
            status,
            headers,
            body: Body {
                between_bytes: self.timeouts.between_bytes,
                last_arrival: monotonic_clock::now(),
                stream,
                _body: body,
                _response: incoming,
            },
        }))
    }

    fn wait(&mut self) -> Result<Response<Body>, Error> {
        loop {
            let [ready, deadline] = self.subscribe();
            poll(&[&ready, &deadline]);
            drop((ready, deadline));
            if let Some(response) = self.try_response()? {
                return Ok(response);
            }
        }
    }
}

fn nanos(duration: Duration) -> u64 {
    duration.as_nanos().min(u64::MAX as u128) as u64
}

fn method(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        other => Method::Other(other.to_string()),
    }
}

/// Where in the exchange a transport failure happened: a read timeout while
/// waiting for the head is the first-byte deadline, during the body the
/// between-bytes one.
#[derive(Clone, Copy)]
enum Phase {
    Head,
    Body,
}

/// `wasi:http` error codes, as the core's typed transport errors. `limit` is
/// the deadline of `phase`, for a read timeout's message.
fn transport_error(code: ErrorCode, phase: Phase, limit: Duration) -> Error {
    let network = |kind| Error::network(kind, format!("{code:?}"));
    match &code {
        ErrorCode::ConnectionTimeout => Error::timeout(TimeoutPhase::Connect, None),
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => match phase {
            Phase::Head => Error::timeout(TimeoutPhase::FirstByte, Some(limit)),
            Phase::Body => Error::timeout(TimeoutPhase::BetweenBytes, Some(limit)),
        },
        ErrorCode::HttpRequestDenied | ErrorCode::DestinationIpProhibited => {
            Error::network(NetworkKind::Denied, "")
        }
        ErrorCode::ConnectionRefused
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::DnsTimeout
        | ErrorCode::DnsError(_) => network(NetworkKind::Refused),
        ErrorCode::ConnectionTerminated | ErrorCode::HttpResponseIncomplete => {
            network(NetworkKind::Reset)
        }
        _ => network(NetworkKind::Other),
    }
}
