//! How the credential sources send their requests: through the plugin's
//! blocking retry loop ([`send_with_retries`]), with each source's own patience.

use super::sts::StsError;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::platform::{HttpAnswer, Platform};
use crate::retry::{self, Attempt, Failure, RetryPolicy, send_with_retries};
use crate::signing::SignedRequest;
use crate::timeouts::Timeouts;
use crate::types::ErrorDetail;
use std::time::SystemTime;

/// Largest response body a credential source reads. Credential answers are
/// a few kilobytes.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Largest file the chain reads (shared config files, tokens, SSO cache).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// STS and the SSO portal: three attempts, like the SDKs' standard mode.
pub const SERVICE_POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    ..RetryPolicy::DEFAULT
};

/// The container endpoint: one more try, local and quick.
pub const CONTAINER_POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 2,
    ..RetryPolicy::DEFAULT
};

/// A configured source that failed: the message names the source, never a secret.
pub(super) fn fail(message: impl Into<String>) -> Error {
    Error::CredentialSource(message.into())
}

/// One credential request: built (and signed, for STS) per attempt, so that
/// a clock-skew correction re-signs it.
pub(super) struct CredentialRequest<'a> {
    build: &'a dyn Fn(SystemTime) -> Result<SignedRequest, Error>,
    timeouts: Timeouts,
    /// The request could not be built: not a transport failure.
    unbuildable: Option<Error>,
}

impl<'a> CredentialRequest<'a> {
    pub fn new(
        build: &'a dyn Fn(SystemTime) -> Result<SignedRequest, Error>,
        timeouts: Timeouts,
    ) -> Self {
        CredentialRequest {
            build,
            timeouts,
            unbuildable: None,
        }
    }

    /// The answer, whatever its status, once transient answers (5xx, 429,
    /// throttling) have been retried under `policy`. The inner `Err` is the
    /// transport's: there was no answer. The outer one: the request could
    /// not be built.
    pub fn send<P: Platform>(
        mut self,
        platform: &mut P,
        policy: &RetryPolicy,
    ) -> Result<Result<HttpAnswer, Error>, Error> {
        let outcome = send_with_retries(platform, policy, &mut self);
        if let Some(error) = self.unbuildable {
            return Err(error);
        }
        Ok(match outcome {
            Ok(answer) => Ok(answer),
            Err(Failure {
                answer: Some(answer),
                ..
            }) => Ok(answer),
            Err(failure) => Err(failure.error),
        })
    }
}

impl<P: Platform> Attempt<P> for CredentialRequest<'_> {
    type Output = HttpAnswer;

    fn send(&mut self, platform: &mut P, signing_time: SystemTime) -> Result<HttpAnswer, Failure> {
        let request = (self.build)(signing_time)
            .inspect_err(|error| self.unbuildable = Some(error.clone()))?;
        let answer = platform
            .send(&request, self.timeouts)?
            .into_answer(MAX_RESPONSE_BYTES)?;
        match transient(&answer) {
            None => Ok(answer),
            Some(error) => Err(Failure {
                error,
                server_date: answer.header("date").map(str::to_string),
                answer: Some(answer),
            }),
        }
    }
}

/// The answers worth another attempt, typed for the retry loop: 5xx, 429,
/// STS throttling codes, and a signature refused for clock skew.
fn transient(answer: &HttpAnswer) -> Option<Error> {
    if answer.is_success() {
        return None;
    }
    let sts = StsError::parse(answer.body_text());
    let detail = ErrorDetail {
        message: sts
            .message
            .clone()
            .unwrap_or_else(|| format!("HTTP {}", answer.status)),
        status: Some(answer.status),
        code: sts.code.clone(),
        request_id: sts.request_id.clone(),
        retry_after_ms: None,
    };
    let error = match answer.status {
        429 => Error::Throttled(detail),
        503 => Error::ServiceUnavailable(detail),
        500.. => Error::InternalServer(detail),
        400 if sts.is_throttling() => Error::Throttled(detail),
        _ => Error::Auth(detail),
    };
    (retry::is_retryable(&error) || retry::is_clock_skew_error(&error)).then_some(error)
}

/// Builds a request for `path_and_query` on `endpoint` with `headers`.
pub(super) fn build(
    method: http::Method,
    endpoint: &Endpoint,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<http::Request<Vec<u8>>, Error> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(endpoint.url(path_and_query));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body).map_err(|_| {
        Error::InvalidRequest(format!(
            "cannot build a request to {}",
            endpoint.url(path_and_query)
        ))
    })
}
