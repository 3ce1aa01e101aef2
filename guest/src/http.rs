//! Sending a [`SignedRequest`] over `wasi:http/outgoing-handler`.

use bedrock_core::converse::stream::BodySource;
use bedrock_core::credentials::HttpAnswer;
use bedrock_core::endpoint::Scheme;
use bedrock_core::error::{self, HttpErrorResponse};
use bedrock_core::signing::SignedRequest;
use bedrock_core::timeouts::Timeouts;
use bedrock_core::types::ProviderError;
use std::time::Duration;
use wasi::clocks::monotonic_clock;
use wasi::http::outgoing_handler;
use wasi::http::types::{
    ErrorCode, Fields, IncomingBody, IncomingResponse, Method, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme as WasiScheme,
};
use wasi::io::poll::poll;
use wasi::io::streams::{InputStream, StreamError};

/// `wasi:io` accepts at most 4096 bytes per blocking write.
const WRITE_CHUNK: usize = 4096;
/// Largest body read per call; events are handed out as soon as a frame is whole.
const READ_CHUNK: u64 = 64 * 1024;
/// How much later than the guest's own between-bytes deadline the host's fires.
const HOST_TIMEOUT_MARGIN: Duration = Duration::from_secs(1);
/// How much of an error body is kept: enough for any AWS error message.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The head of a response, with its body still to be read.
pub struct Response {
    pub status: u16,
    headers: Vec<(String, Vec<u8>)>,
    pub body: Body,
}

/// A response body being read. Field order is drop order: the stream is a
/// child of the body, the body of the response.
pub struct Body {
    /// Longest wait for the next chunk; enforced here rather than trusted to
    /// the host, which may not implement `between-bytes-timeout`.
    between_bytes: Duration,
    stream: InputStream,
    _body: IncomingBody,
    _response: IncomingResponse,
}

impl BodySource for Body {
    fn read(&mut self) -> Result<Option<Vec<u8>>, ProviderError> {
        let nanos = self.between_bytes.as_nanos().min(u64::MAX as u128) as u64;
        let ready = self.stream.subscribe();
        let deadline = monotonic_clock::subscribe_duration(nanos);
        if !poll(&[&ready, &deadline]).contains(&0) {
            return Err(ProviderError::Timeout(format!(
                "no data from the server for {} ms (between-bytes timeout)",
                self.between_bytes.as_millis()
            )));
        }
        match self.stream.read(READ_CHUNK) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(StreamError::Closed) => Ok(None),
            Err(StreamError::LastOperationFailed(e)) => {
                Err(match wasi::http::types::http_error_code(&e) {
                    Some(code) => transport_error(code),
                    // Some hosts (wasmtime 48) report body errors without an
                    // `error-code`; their text still tells a timeout apart.
                    None if e.to_debug_string().contains("timeout") => {
                        ProviderError::Timeout(e.to_debug_string())
                    }
                    None => ProviderError::Network(e.to_debug_string()),
                })
            }
        }
    }
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The whole body of a successful answer, up to `limit` bytes.
    pub fn read_to_end(mut self, limit: usize) -> Result<Vec<u8>, ProviderError> {
        let mut body = Vec::new();
        while let Some(chunk) = self.body.read()? {
            body.extend_from_slice(&chunk);
            if body.len() > limit {
                return Err(ProviderError::Protocol(format!(
                    "response body larger than {limit} bytes"
                )));
            }
        }
        Ok(body)
    }

    /// Status, headers and body (up to `limit` bytes), whatever the status:
    /// for callers that interpret error answers themselves.
    pub fn into_answer(self, limit: usize) -> Result<HttpAnswer, ProviderError> {
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

    /// Reads (the start of) an error body and classifies the answer.
    pub fn into_error(mut self) -> ProviderError {
        let mut body = Vec::new();
        while body.len() < MAX_ERROR_BODY {
            match self.body.read() {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        error::from_http(&HttpErrorResponse {
            status: self.status,
            error_type: self.header("x-amzn-errortype"),
            request_id: self.header("x-amzn-requestid"),
            retry_after: self.header("retry-after"),
            date: self.header("date"),
            received_at: std::time::SystemTime::now(),
            body: &body,
        })
    }
}

/// Sends `request` and waits for the response head.
pub fn send(request: &SignedRequest, timeouts: Timeouts) -> Result<Response, ProviderError> {
    let refused = |what: &str| {
        ProviderError::InvalidRequest(format!("the HTTP host refused the request's {what}"))
    };
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
    let nanos = |d: Duration| d.as_nanos().min(u64::MAX as u128) as u64;
    // A host may not support a timeout; the request still goes out.
    let _ = options.set_connect_timeout(Some(nanos(timeouts.connect)));
    let _ = options.set_first_byte_timeout(Some(nanos(timeouts.first_byte)));
    // The guest enforces between-bytes itself (see `Body::read`); the host's
    // limit is a backstop set a little later so the guest's clearer error wins.
    let _ = options
        .set_between_bytes_timeout(Some(nanos(timeouts.between_bytes + HOST_TIMEOUT_MARGIN)));

    let body = outgoing.body().map_err(|()| refused("body"))?;
    let future = outgoing_handler::handle(outgoing, Some(options)).map_err(transport_error)?;
    write_body(body, &request.body)?;

    future.subscribe().block();
    let incoming = match future.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(transport_error(code)),
        Some(Err(())) | None => {
            return Err(ProviderError::Network(
                "the response was already taken".into(),
            ));
        }
    };
    let status = incoming.status();
    let headers = incoming.headers().entries();
    let body = incoming
        .consume()
        .map_err(|()| ProviderError::Network("response body unavailable".into()))?;
    let stream = body
        .stream()
        .map_err(|()| ProviderError::Network("response body unavailable".into()))?;
    Ok(Response {
        status,
        headers,
        body: Body {
            between_bytes: timeouts.between_bytes,
            stream,
            _body: body,
            _response: incoming,
        },
    })
}

fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), ProviderError> {
    {
        let stream = body
            .write()
            .map_err(|()| ProviderError::Network("request body unavailable".into()))?;
        for chunk in bytes.chunks(WRITE_CHUNK) {
            stream.blocking_write_and_flush(chunk).map_err(|e| {
                ProviderError::Network(format!("sending the request body failed: {e:?}"))
            })?;
        }
    }
    OutgoingBody::finish(body, None).map_err(transport_error)
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

/// `wasi:http` transport failures, as the contract's timeout / network errors.
fn transport_error(code: ErrorCode) -> ProviderError {
    match code {
        ErrorCode::ConnectionTimeout => error::connect_timeout(),
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            ProviderError::Timeout(
                "the response stalled past the between-bytes or first-byte timeout".into(),
            )
        }
        ErrorCode::HttpRequestDenied => error::host_denied(),
        other => ProviderError::Network(format!("{other:?}")),
    }
}
