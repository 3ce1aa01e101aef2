//! EC2's Instance Metadata Service, version 2, as the AWS credential chain uses it.
//!
//! The flow: `PUT /latest/api/token` with the token's lifetime in
//! `x-aws-ec2-metadata-token-ttl-seconds` (1 to 21600 s) returns a session token; every
//! later GET carries it in `x-aws-ec2-metadata-token`. `.../iam/security-credentials/` names
//! the instance's role, `.../iam/security-credentials/{role}` returns its credentials.
//!
//! The emulator plays an instance configured IMDSv2-only (`HttpTokens=required`): a GET
//! without a valid token gets 401, as such an instance answers IMDSv1 requests. IMDS is not
//! signed, so it is routed before the Bedrock authentication check. With
//! `EmulatorConfig::imds_disabled` every IMDS path answers 404 at once: the quick "nothing
//! here" a chain must move past, without waiting out a timeout.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, Method, StatusCode, header};
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::clock::iso8601;
use crate::ids::{self, BASE64_URL};
use crate::keyring::Issuer;

/// The instance profile's role, as `.../security-credentials/` lists it.
pub const ROLE_NAME: &str = "emulator-instance-role";
/// How the credentials it issues are listed in [`crate::Emulator::issued`].
pub const SOURCE: &str = "imds";

const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
/// The bounds IMDS puts on a token's lifetime, in seconds.
const TOKEN_TTL: std::ops::RangeInclusive<u64> = 1..=21_600;
/// Real tokens are 56 characters of base64.
const TOKEN_LEN: usize = 56;

/// The IMDS operations the router recognises under `/latest/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `PUT /latest/api/token`
    Token,
    /// `GET /latest/meta-data/iam/security-credentials/`
    RoleName,
    /// `GET /latest/meta-data/iam/security-credentials/{role}`
    RoleCredentials(String),
    /// Any other path: 404 once the token is checked, as IMDS answers.
    Other,
}

impl Request {
    /// Recognises an IMDS request from the path segments after `/latest/`.
    pub fn of(method: &Method, rest: &[&str]) -> Self {
        match (method, rest) {
            (&Method::PUT, ["api", "token"]) => Self::Token,
            (&Method::GET, ["meta-data", "iam", "security-credentials", ""]) => Self::RoleName,
            (&Method::GET, ["meta-data", "iam", "security-credentials", role]) => {
                Self::RoleCredentials((*role).to_owned())
            }
            _ => Self::Other,
        }
    }
}

/// The session tokens handed out, with their expiry.
#[derive(Default)]
pub struct Tokens(Mutex<Vec<(String, SystemTime)>>);

impl Tokens {
    fn issue(&self, now: SystemTime, ttl: Duration) -> String {
        let token = ids::random(BASE64_URL, TOKEN_LEN);
        let mut tokens = self.0.lock().unwrap_or_else(|e| e.into_inner());
        tokens.retain(|(_, expiry)| *expiry > now);
        tokens.push((token.clone(), now + ttl));
        token
    }

    fn is_valid(&self, token: &str, now: SystemTime) -> bool {
        let tokens = self.0.lock().unwrap_or_else(|e| e.into_inner());
        tokens.iter().any(|(known, expiry)| {
            *expiry > now && bool::from(known.as_bytes().ct_eq(token.as_bytes()))
        })
    }
}

/// Why IMDS refused; the `Display` text is the plain-text body it sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImdsError {
    #[error("Not Found")]
    NotFound,
    /// No token, an unknown one or an expired one.
    #[error("Unauthorized")]
    Unauthorized,
    /// A token request without a lifetime in 1..=21600.
    #[error("Bad Request")]
    BadTokenTtl,
}

impl ImdsError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::BadTokenTtl => StatusCode::BAD_REQUEST,
        }
    }

    pub fn into_response(self) -> Response {
        let mut response = text(self.to_string());
        *response.status_mut() = self.status();
        response
    }
}

/// Answers one IMDS request.
pub fn answer(
    request: &Request,
    parts: &http::request::Parts,
    tokens: &Tokens,
    issuer: &Issuer<'_>,
    disabled: bool,
) -> Result<Response, ImdsError> {
    if disabled {
        return Err(ImdsError::NotFound);
    }
    if *request == Request::Token {
        let ttl = header(parts, TTL_HEADER)
            .and_then(|value| value.trim().parse::<u64>().ok())
            .filter(|ttl| TOKEN_TTL.contains(ttl))
            .ok_or(ImdsError::BadTokenTtl)?;
        let token = tokens.issue(issuer.now, Duration::from_secs(ttl));
        let mut response = text(token);
        response
            .headers_mut()
            .insert(TTL_HEADER, HeaderValue::from(ttl));
        return Ok(response);
    }
    let token = header(parts, TOKEN_HEADER).ok_or(ImdsError::Unauthorized)?;
    if !tokens.is_valid(token, issuer.now) {
        return Err(ImdsError::Unauthorized);
    }
    match request {
        Request::RoleName => Ok(text(ROLE_NAME.to_owned())),
        Request::RoleCredentials(role) if role == ROLE_NAME => {
            let credentials = issuer.issue(SOURCE);
            // IMDS sends its JSON documents as text/plain, pretty-printed.
            let document = json!({
                "Code": "Success",
                "LastUpdated": iso8601(issuer.now),
                "Type": "AWS-HMAC",
                "AccessKeyId": credentials.access_key_id,
                "SecretAccessKey": credentials.secret_access_key,
                "Token": credentials.session_token,
                "Expiration": iso8601(credentials.expires_at),
            });
            Ok(text(
                serde_json::to_string_pretty(&document).expect("a JSON value serialises"),
            ))
        }
        Request::Token | Request::RoleCredentials(_) | Request::Other => Err(ImdsError::NotFound),
    }
}

fn header<'a>(parts: &'a http::request::Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

fn text(body: String) -> Response {
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::Keyring;
    use http_body_util::BodyExt;

    fn parts(method: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut builder = http::Request::builder().method(method).uri("/latest/x");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    async fn body(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn issuer(keyring: &Keyring) -> Issuer<'_> {
        Issuer {
            keyring,
            now: SystemTime::now(),
            lifetime: Duration::from_secs(3600),
        }
    }

    #[test]
    fn token_lifetimes_are_bounded() {
        let keyring = Keyring::new(Vec::new());
        let tokens = Tokens::default();
        for bad in [None, Some("0"), Some("21601"), Some("-1"), Some("soon")] {
            let headers: Vec<(&str, &str)> = bad.map(|v| (TTL_HEADER, v)).into_iter().collect();
            let refused = answer(
                &Request::Token,
                &parts("PUT", &headers),
                &tokens,
                &issuer(&keyring),
                false,
            );
            assert_eq!(refused.unwrap_err(), ImdsError::BadTokenTtl, "{bad:?}");
        }
        for good in ["1", "21600"] {
            let response = answer(
                &Request::Token,
                &parts("PUT", &[(TTL_HEADER, good)]),
                &tokens,
                &issuer(&keyring),
                false,
            )
            .unwrap();
            assert_eq!(response.headers()[TTL_HEADER], good);
        }
    }

    #[tokio::test]
    async fn credentials_need_a_live_token() {
        let keyring = Keyring::new(Vec::new());
        let tokens = Tokens::default();
        let now = SystemTime::now();
        let token = tokens.issue(now, Duration::from_secs(10));
        assert_eq!(token.len(), TOKEN_LEN);
        let issuer = issuer(&keyring);
        let role = Request::RoleCredentials(ROLE_NAME.into());

        for headers in [vec![], vec![(TOKEN_HEADER, "forged")]] {
            let refused = answer(&role, &parts("GET", &headers), &tokens, &issuer, false);
            assert_eq!(refused.unwrap_err(), ImdsError::Unauthorized);
        }
        let later = Issuer {
            now: now + Duration::from_secs(11),
            ..issuer
        };
        let with_token = parts("GET", &[(TOKEN_HEADER, &token)]);
        let expired = answer(&role, &with_token, &tokens, &later, false);
        assert_eq!(expired.unwrap_err(), ImdsError::Unauthorized);

        let name = answer(&Request::RoleName, &with_token, &tokens, &issuer, false).unwrap();
        assert_eq!(body(name).await, ROLE_NAME);
        let other = Request::RoleCredentials("someone-else".into());
        let missing = answer(&other, &with_token, &tokens, &issuer, false);
        assert_eq!(missing.unwrap_err(), ImdsError::NotFound);

        let response = answer(&role, &with_token, &tokens, &issuer, false).unwrap();
        assert_eq!(response.headers()["content-type"], "text/plain");
        let document: serde_json::Value = serde_json::from_str(&body(response).await).unwrap();
        assert_eq!(document["Code"], "Success");
        assert_eq!(document["Type"], "AWS-HMAC");
        let issued = keyring.issued();
        assert_eq!(issued.len(), 1);
        assert_eq!(issued[0].source, "imds");
        assert_eq!(document["AccessKeyId"], issued[0].access_key_id.as_str());
        assert_eq!(
            document["Expiration"],
            iso8601(issued[0].expires_at).as_str()
        );
        assert!(document["Expiration"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn paths() {
        let of = |method: &Method, path: &str| {
            let segments: Vec<&str> = path.split('/').collect();
            Request::of(method, &segments)
        };
        assert_eq!(of(&Method::PUT, "api/token"), Request::Token);
        assert_eq!(of(&Method::GET, "api/token"), Request::Other);
        let list = "meta-data/iam/security-credentials/";
        assert_eq!(of(&Method::GET, list), Request::RoleName);
        assert_eq!(
            of(&Method::GET, &format!("{list}{ROLE_NAME}")),
            Request::RoleCredentials(ROLE_NAME.into())
        );
        assert_eq!(of(&Method::GET, "meta-data/instance-id"), Request::Other);
    }

    #[test]
    fn disabled_answers_404_to_everything() {
        let keyring = Keyring::new(Vec::new());
        let tokens = Tokens::default();
        let ttl = parts("PUT", &[(TTL_HEADER, "60")]);
        let refused = answer(&Request::Token, &ttl, &tokens, &issuer(&keyring), true);
        assert_eq!(refused.unwrap_err(), ImdsError::NotFound);
        assert_eq!(ImdsError::NotFound.status(), 404);
    }
}
