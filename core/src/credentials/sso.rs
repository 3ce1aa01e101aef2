//! IAM Identity Center (SSO): the cached token and `GetRoleCredentials`.
//!
//! `aws sso login` leaves an access token in
//! `~/.aws/sso/cache/<sha1 of the sso_session name, or of the legacy sso_start_url>.json`.
//! The plugin reads that token (it cannot log in: that needs a browser) and
//! trades it at the SSO portal for role credentials:
//! `GET /federation/credentials?role_name=..&account_id=..` with the token in
//! `x-amz-sso_bearer_token`. An expired token is not refreshed through the
//! SSO OIDC service: that would mean writing the cache file back, and the
//! sandbox only reads it. The error says to run `aws sso login` instead.

use super::AwsCredentials;
use super::json_credentials::clip;
use super::send::build;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::signing::SignedRequest;
use crate::time::parse_rfc3339;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use std::time::{Duration, SystemTime};

const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The header the portal reads the token from.
pub const TOKEN_HEADER: &str = "x-amz-sso_bearer_token";

/// The cache file for a session name (or legacy start URL), under `home`.
pub fn cache_path(home: &str, session_or_start_url: &str) -> String {
    use sha1::Digest as _;
    let home = home.trim_end_matches('/');
    let digest = sha1::Sha1::digest(session_or_start_url.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{home}/.aws/sso/cache/{hex}.json")
}

/// The cached token. Only the access token and its expiry matter here; the
/// refresh token and client registration stay in the file.
pub struct CachedToken {
    pub access_token: String,
    pub expires_at: SystemTime,
}

/// The access token is a bearer credential: only its expiry is shown.
impl std::fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedToken")
            .field("access_token", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CacheFile {
    access_token: Option<String>,
    expires_at: Option<String>,
}

/// Reads a cache file; the error names the missing or malformed field.
pub fn parse_cached_token(contents: &[u8]) -> Result<CachedToken, String> {
    let file: CacheFile = serde_json::from_slice(contents)
        .map_err(|_| "it is not the JSON `aws sso login` writes".to_string())?;
    let access_token = file
        .access_token
        .filter(|t| !t.trim().is_empty())
        .ok_or("it has no accessToken")?;
    let expires_at = file
        .expires_at
        .as_deref()
        .and_then(parse_rfc3339)
        .ok_or("its expiresAt is missing or not an RFC 3339 timestamp")?;
    Ok(CachedToken {
        access_token,
        expires_at,
    })
}

/// The `GetRoleCredentials` request.
pub fn role_credentials_request(
    endpoint: &Endpoint,
    account_id: &str,
    role_name: &str,
    token: &str,
) -> Result<SignedRequest, Error> {
    let path = format!(
        "/federation/credentials?role_name={}&account_id={}",
        utf8_percent_encode(role_name, QUERY_VALUE),
        utf8_percent_encode(account_id, QUERY_VALUE)
    );
    let header = http::HeaderValue::from_str(token).map_err(|_| {
        Error::CredentialSource(
            "the cached SSO access token holds characters that cannot be sent in an HTTP header"
                .into(),
        )
    })?;
    let mut request = build(http::Method::GET, endpoint, &path, &[], Vec::new())?;
    request.headers_mut().insert(TOKEN_HEADER, header);
    Ok(SignedRequest::from_request(endpoint, request))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleCredentialsAnswer {
    role_credentials: Option<RoleCredentials>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleCredentials {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
    /// Milliseconds since the epoch.
    expiration: Option<u64>,
}

/// The credentials of a successful answer.
pub fn parse_role_credentials(body: &[u8]) -> Result<AwsCredentials, String> {
    let answer: RoleCredentialsAnswer = serde_json::from_slice(body)
        .map_err(|_| "the answer is not GetRoleCredentials JSON".to_string())?;
    let creds = answer
        .role_credentials
        .ok_or("the answer has no roleCredentials")?;
    let field = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| format!("the answer has no roleCredentials.{name}"))
    };
    Ok(AwsCredentials {
        access_key_id: field(creds.access_key_id, "accessKeyId")?,
        secret_access_key: field(creds.secret_access_key, "secretAccessKey")?,
        session_token: Some(field(creds.session_token, "sessionToken")?),
        expires_at: Some(
            SystemTime::UNIX_EPOCH
                + Duration::from_millis(
                    creds
                        .expiration
                        .ok_or("the answer has no roleCredentials.expiration")?,
                ),
        ),
    })
}

#[derive(Deserialize, Default)]
struct ErrorAnswer {
    #[serde(alias = "Message")]
    message: Option<String>,
    #[serde(rename = "__type")]
    error_type: Option<String>,
}

/// `Code: message` of an error answer (code from `x-amzn-ErrorType` or `__type`).
pub fn describe_error(status: u16, error_type_header: Option<&str>, body: &[u8]) -> String {
    let answer: ErrorAnswer = serde_json::from_slice(body).unwrap_or_default();
    let code = error_type_header.or(answer.error_type.as_deref()).map(|c| {
        c.split([':', '#'])
            .find(|p| !p.is_empty() && !p.contains('.'))
            .unwrap_or(c)
    });
    let mut out = match (code, answer.message) {
        (Some(code), Some(message)) => format!("{}: {}", clip(code), clip(&message)),
        (Some(code), None) => clip(code),
        (None, Some(message)) => clip(&message),
        (None, None) => "no error details".to_string(),
    };
    out.push_str(&format!(" (HTTP {status})"));
    if status == 401 || status == 403 || code.is_some_and(|c| c.starts_with("Unauthorized")) {
        out.push_str("; the SSO session is no longer valid");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::unix_seconds;

    #[test]
    fn cache_file_names_and_contents() {
        assert_eq!(
            cache_path("/home/", "dev"),
            "/home/.aws/sso/cache/34c6fceca75e456f25e7e99531e2425c6c1de443.json"
        );
        let token = parse_cached_token(
            br#"{"accessToken":"a-token","expiresAt":"2080-10-16T03:56:45Z","startUrl":"x"}"#,
        )
        .unwrap();
        assert_eq!(token.access_token, "a-token");
        assert_eq!(unix_seconds(token.expires_at), 3_496_276_605);
    }

    #[test]
    fn request_carries_the_token_in_its_header() {
        let endpoint = Endpoint::parse("https://portal.sso.us-east-2.amazonaws.com").unwrap();
        let request =
            role_credentials_request(&endpoint, "123456789", "My Role", "a-token").unwrap();
        assert_eq!(
            request.path_and_query,
            "/federation/credentials?role_name=My%20Role&account_id=123456789"
        );
        assert!(
            request
                .headers
                .contains(&(TOKEN_HEADER.to_string(), b"a-token".to_vec()))
        );
        assert!(role_credentials_request(&endpoint, "1", "r", "bad\ntoken").is_err());
    }

    #[test]
    fn answers_and_errors() {
        let body = br#"{"roleCredentials":{"accessKeyId":"ASIA","secretAccessKey":"S","sessionToken":"T","expiration":1234567890000}}"#;
        let creds = parse_role_credentials(body).unwrap();
        assert_eq!(creds.expires_at.map(unix_seconds), Some(1_234_567_890));
        assert!(
            parse_role_credentials(b"{}")
                .unwrap_err()
                .contains("roleCredentials")
        );
        let unauthorized = describe_error(401, None, br#"{"message":"Session token not found or invalid","__type":"com.amazonaws.switchboard.portal#UnauthorizedException"}"#);
        assert_eq!(
            unauthorized,
            "UnauthorizedException: Session token not found or invalid (HTTP 401); the SSO session is no longer valid"
        );
        assert_eq!(
            describe_error(503, None, b""),
            "no error details (HTTP 503)"
        );
    }

    #[test]
    fn malformed_cache_files_say_what_is_wrong() {
        assert!(
            parse_cached_token(b"{}")
                .unwrap_err()
                .contains("accessToken")
        );
        assert!(
            parse_cached_token(br#"{"accessToken":"t"}"#)
                .unwrap_err()
                .contains("expiresAt")
        );
        assert!(parse_cached_token(b"not json").is_err());
    }
}
