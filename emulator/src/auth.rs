//! Who sent a request: a Bedrock API key (`Authorization: Bearer`) or a SigV4 signature.
//!
//! Every Bedrock request is authenticated before it is routed, as AWS does, so a client
//! with bad credentials learns that before anything about its payload. The credential
//! endpoints are routed first: AWS does not sign them, except STS, which checks SigV4 for its
//! own service through [`verify_sigv4`].

use std::time::SystemTime;

use http::header::AUTHORIZATION;
use subtle::ConstantTimeEq;

use crate::errors::{ApiError, ErrorCode};
use crate::keyring::Keyring;
use crate::sigv4::Verifier;
use crate::{AuthOutcome, EmulatorConfig};

/// The service name every SigV4 credential scope must carry.
pub const SIGNING_SERVICE: &str = "bedrock";

/// Why a request was refused. The `Display` text is the message AWS sends; none of them
/// contains a secret, a token or the signature the client sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Missing Authentication Token")]
    MissingToken,
    #[error("Authentication failed: Please make sure your API Key is valid.")]
    InvalidApiKey,
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// Temporary credentials the emulator issued, used after their expiry.
    #[error("The security token included in the request is expired")]
    ExpiredToken,
    #[error("{0}")]
    Incomplete(String),
    #[error(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope}' != '{date}', from '{amz_date}'."
    )]
    ScopeDateMismatch {
        scope: String,
        date: String,
        amz_date: String,
    },
    #[error("Credential should be scoped to a valid region. ")]
    WrongRegion,
    #[error("Credential should be scoped to correct service: '{0}'. ")]
    WrongService(String),
    #[error("Credential should be scoped with a valid terminator: 'aws4_request', not '{0}'. ")]
    WrongTerminator(String),
    #[error("Signature expired: {amz_date} is now earlier than {limit} ({now} - 5 min.)")]
    Expired {
        amz_date: String,
        limit: String,
        now: String,
    },
    #[error("Signature not yet current: {amz_date} is still later than {limit} ({now} + 5 min.)")]
    NotYetCurrent {
        amz_date: String,
        limit: String,
        now: String,
    },
    #[error(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )]
    SignatureMismatch,
}

impl AuthError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::MissingToken => ErrorCode::MissingAuthenticationToken,
            Self::InvalidApiKey => ErrorCode::AccessDenied,
            Self::UnrecognizedClient => ErrorCode::UnrecognizedClient,
            Self::ExpiredToken => ErrorCode::ExpiredToken,
            Self::Incomplete(_) => ErrorCode::IncompleteSignature,
            Self::ScopeDateMismatch { .. }
            | Self::WrongRegion
            | Self::WrongService(_)
            | Self::WrongTerminator(_)
            | Self::Expired { .. }
            | Self::NotYetCurrent { .. }
            | Self::SignatureMismatch => ErrorCode::InvalidSignature,
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        ApiError::new(error.code(), error.to_string())
    }
}

/// Checks a Bedrock request's credentials against the accepted keys and API keys.
pub fn authenticate(
    parts: &http::request::Parts,
    body: &[u8],
    config: &EmulatorConfig,
    keys: &Keyring,
    now: SystemTime,
) -> Result<AuthOutcome, AuthError> {
    if let Some(token) = strip_scheme(authorization(parts)?, "Bearer") {
        let known = config
            .bearer_tokens
            .iter()
            .any(|accepted| bool::from(accepted.as_bytes().ct_eq(token.trim().as_bytes())));
        return if known {
            Ok(AuthOutcome::Bearer)
        } else {
            Err(AuthError::InvalidApiKey)
        };
    }
    let verifier = Verifier {
        region: Some(&config.region),
        service: SIGNING_SERVICE,
        keys,
    };
    verify_sigv4(&verifier, parts, body, now)
}

/// Checks a request that only SigV4 may authenticate (no API keys), for any service.
pub fn verify_sigv4(
    verifier: &Verifier<'_>,
    parts: &http::request::Parts,
    body: &[u8],
    now: SystemTime,
) -> Result<AuthOutcome, AuthError> {
    authorization(parts)?;
    let access_key_id = verifier.verify(parts, body, now)?;
    Ok(AuthOutcome::SigV4 { access_key_id })
}

/// The `Authorization` header: missing and non-ASCII values are refused as AWS refuses them.
fn authorization(parts: &http::request::Parts) -> Result<&str, AuthError> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or(AuthError::MissingToken)?;
    value
        .to_str()
        .map_err(|_| AuthError::Incomplete("The Authorization header is not valid ASCII.".into()))
}

/// The credentials after an auth scheme name (compared case-insensitively, as HTTP does).
fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (name, rest) = value.split_once(' ')?;
    name.eq_ignore_ascii_case(scheme).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(authorization: Option<&str>) -> http::request::Parts {
        let mut builder = http::Request::builder()
            .method("POST")
            .uri("/model/a.b/converse-stream");
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn authenticate(
        parts: &http::request::Parts,
        body: &[u8],
        config: &EmulatorConfig,
        now: SystemTime,
    ) -> Result<AuthOutcome, AuthError> {
        let keys = Keyring::new(config.credentials.clone());
        super::authenticate(parts, body, config, &keys, now)
    }

    #[test]
    fn bearer_tokens() {
        let config = EmulatorConfig::default();
        let now = SystemTime::now();
        let ok = authenticate(
            &parts(Some("Bearer bedrock-api-key-EXAMPLE")),
            b"",
            &config,
            now,
        );
        assert_eq!(ok, Ok(AuthOutcome::Bearer));
        let bad = authenticate(&parts(Some("Bearer nope")), b"", &config, now).unwrap_err();
        assert_eq!(bad, AuthError::InvalidApiKey);
        assert_eq!(bad.code().name(), "AccessDeniedException");
        assert_eq!(
            bad.to_string(),
            "Authentication failed: Please make sure your API Key is valid."
        );
    }

    #[test]
    fn missing_and_unknown_schemes() {
        let config = EmulatorConfig::default();
        let now = SystemTime::now();
        let missing = authenticate(&parts(None), b"", &config, now).unwrap_err();
        assert_eq!(missing.code().name(), "MissingAuthenticationTokenException");
        assert_eq!(missing.to_string(), "Missing Authentication Token");
        let basic =
            authenticate(&parts(Some("Basic dXNlcjpwYXNz")), b"", &config, now).unwrap_err();
        assert_eq!(basic.code().name(), "IncompleteSignatureException");
    }
}
