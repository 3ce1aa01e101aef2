//! The container credentials endpoint: ECS task roles and EKS Pod Identity.
//!
//! The AWS chain reaches it two ways: ECS's `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
//! (`/v2/credentials/{id}` on 169.254.170.2) and `AWS_CONTAINER_CREDENTIALS_FULL_URI`, which
//! EKS Pod Identity points at its agent; here the full-URI shape is `/container-credentials`.
//! A full URI usually comes with `AWS_CONTAINER_AUTHORIZATION_TOKEN` (or `_TOKEN_FILE`),
//! sent verbatim as `Authorization`; when the emulator is configured with a token it
//! refuses requests that do not carry exactly that one. The endpoint is not SigV4-signed, so
//! it is routed before the Bedrock authentication check.

use axum::body::Body;
use axum::response::Response;
use http::header::AUTHORIZATION;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;

use crate::catalogue::ACCOUNT_ID;
use crate::clock::iso8601;
use crate::keyring::Issuer;

/// How the credentials it issues are listed in [`crate::Emulator::issued`].
pub const SOURCE: &str = "container";
/// The task (or pod) role the credentials belong to.
pub const ROLE_NAME: &str = "emulator-task-role";

/// Why the endpoint refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContainerError {
    #[error("Authorization token is missing or does not match")]
    Unauthorized,
}

impl ContainerError {
    pub fn into_response(self) -> Response {
        let body = json!({ "code": "AccessDenied", "message": self.to_string() });
        let mut response = Response::new(Body::from(body.to_string()));
        *response.status_mut() = StatusCode::FORBIDDEN;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// Answers `GET /v2/credentials/{id}` and `GET /container-credentials`.
pub fn answer(
    parts: &http::request::Parts,
    authorization_token: Option<&str>,
    issuer: &Issuer<'_>,
) -> Result<Value, ContainerError> {
    if let Some(expected) = authorization_token {
        let sent = parts
            .headers
            .get(AUTHORIZATION)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if !bool::from(expected.as_bytes().ct_eq(sent)) {
            return Err(ContainerError::Unauthorized);
        }
    }
    let credentials = issuer.issue(SOURCE);
    Ok(json!({
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
        "Token": credentials.session_token,
        "Expiration": iso8601(credentials.expires_at),
        "RoleArn": format!("arn:aws:iam::{ACCOUNT_ID}:role/{ROLE_NAME}"),
    }))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::keyring::Keyring;

    fn parts(authorization: Option<&str>) -> http::request::Parts {
        let mut builder = http::Request::builder().uri("/v2/credentials/abc");
        if let Some(value) = authorization {
            builder = builder.header("authorization", value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn token_checked_only_when_configured() {
        let keyring = Keyring::new(Vec::new());
        let issuer = Issuer {
            keyring: &keyring,
            now: SystemTime::now(),
            lifetime: Duration::from_secs(3600),
        };
        let open = answer(&parts(None), None, &issuer).unwrap();
        assert_eq!(
            open["RoleArn"],
            "arn:aws:iam::123456789012:role/emulator-task-role"
        );
        assert!(open["Expiration"].as_str().unwrap().ends_with('Z'));
        let ok = answer(&parts(Some("Bearer t0ken")), Some("Bearer t0ken"), &issuer).unwrap();
        assert_eq!(
            keyring.issued()[1].access_key_id,
            ok["AccessKeyId"].as_str().unwrap()
        );

        for sent in [None, Some("Bearer other"), Some("t0ken")] {
            let refused = answer(&parts(sent), Some("Bearer t0ken"), &issuer);
            assert_eq!(
                refused.unwrap_err(),
                ContainerError::Unauthorized,
                "{sent:?}"
            );
        }
        assert_eq!(keyring.issued().len(), 2, "refusals issue nothing");
        let response = ContainerError::Unauthorized.into_response();
        assert_eq!(response.status(), 403);
    }
}
