//! EC2 instance metadata (IMDSv2): where it is and what to ask it.
//!
//! Three requests: `PUT /latest/api/token` (with
//! `x-aws-ec2-metadata-token-ttl-seconds`) for a session token, then with
//! that token in `x-aws-ec2-metadata-token`,
//! `GET /latest/meta-data/iam/security-credentials/` for the role name and
//! `GET .../security-credentials/<role>` for its credentials. Only IMDSv2:
//! instances that still allow v1 also serve v2, and v1 is what SSRF attacks use.
//!
//! The endpoint, as in the SDKs: `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else
//! the profile's `ec2_metadata_service_endpoint`, else the address of the
//! endpoint mode (`AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE`, else the
//! profile's `ec2_metadata_service_endpoint_mode`: `IPv4`, the default, or
//! `IPv6`). IMDS is tried last in the chain, on every machine, so its
//! timeouts are short: off EC2, nothing answers and the chain must give up
//! fast ([`TIMEOUTS`]; the token request is not retried when nothing
//! answers, so an absent IMDS costs one connect timeout).

use super::send::build;
use crate::endpoint::Endpoint;
use crate::env::Environment;
use crate::error::Error;
use crate::profile::Profile;
use crate::retry::RetryPolicy;
use crate::signing::SignedRequest;
use crate::timeouts::Timeouts;
use std::time::Duration;

pub const DISABLED_VAR: &str = "AWS_EC2_METADATA_DISABLED";
pub const ENDPOINT_VAR: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
pub const ENDPOINT_MODE_VAR: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
/// Profile keys (the shared parser's `keys` module has no IMDS entries).
pub const ENDPOINT_KEY: &str = "ec2_metadata_service_endpoint";
pub const ENDPOINT_MODE_KEY: &str = "ec2_metadata_service_endpoint_mode";

const IPV4_ENDPOINT: &str = "http://169.254.169.254";
const IPV6_ENDPOINT: &str = "http://[fd00:ec2::254]";

pub const TOKEN_PATH: &str = "/latest/api/token";
pub const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";
pub const TOKEN_TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
pub const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
/// Six hours, the SDKs' token lifetime; one resolution uses it for seconds.
const TOKEN_TTL_SECONDS: &str = "21600";

/// One second to connect and one to answer: IMDS is a local hop.
pub const TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(1),
    first_byte: Duration::from_secs(1),
    between_bytes: Duration::from_secs(1),
};

/// Two attempts per IMDS request when it answers 5xx, none more when it
/// does not answer at all (off EC2, nothing ever will).
pub const POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 2,
    transport: false,
    ..RetryPolicy::DEFAULT
};

/// The IMDS endpoint; the error names the setting that is wrong.
pub fn endpoint(env: &Environment, profile: Option<&Profile>) -> Result<Endpoint, Error> {
    let configured = env
        .get(ENDPOINT_VAR)
        .map(|url| (url, ENDPOINT_VAR.to_string()))
        .or_else(|| {
            profile.and_then(|p| {
                p.value(ENDPOINT_KEY).map(|url| {
                    (
                        url.trim(),
                        format!("{ENDPOINT_KEY} of profile `{}`", p.name()),
                    )
                })
            })
        });
    if let Some((url, origin)) = configured {
        return Endpoint::parse(url).map_err(|e| {
            let why = match e {
                Error::InvalidRequest(m) => m,
                other => other.to_string(),
            };
            Error::CredentialSource(format!("{why} (set by {origin})"))
        });
    }
    let mode = env
        .get(ENDPOINT_MODE_VAR)
        .map(|m| (m, ENDPOINT_MODE_VAR.to_string()))
        .or_else(|| {
            profile.and_then(|p| {
                p.value(ENDPOINT_MODE_KEY).map(|m| {
                    (
                        m.trim(),
                        format!("{ENDPOINT_MODE_KEY} of profile `{}`", p.name()),
                    )
                })
            })
        });
    let url = match mode {
        None => IPV4_ENDPOINT,
        Some((m, _)) if m.eq_ignore_ascii_case("ipv4") => IPV4_ENDPOINT,
        Some((m, _)) if m.eq_ignore_ascii_case("ipv6") => IPV6_ENDPOINT,
        Some((m, origin)) => {
            return Err(Error::CredentialSource(format!(
                "`{m}` is not a valid endpoint mode (set by {origin}): use IPv4 or IPv6"
            )));
        }
    };
    Endpoint::parse(url)
}

/// `PUT /latest/api/token`.
pub fn token_request(endpoint: &Endpoint) -> Result<SignedRequest, Error> {
    let request = build(
        http::Method::PUT,
        endpoint,
        TOKEN_PATH,
        &[(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS)],
        Vec::new(),
    )?;
    Ok(SignedRequest::from_request(endpoint, request))
}

/// A `GET` of `path` with the session token.
pub fn get(endpoint: &Endpoint, path: &str, token: &str) -> Result<SignedRequest, Error> {
    let value = http::HeaderValue::from_str(token).map_err(|_| {
        Error::CredentialSource(
            "IMDS answered a session token that is not a valid HTTP header value".into(),
        )
    })?;
    let mut request = build(http::Method::GET, endpoint, path, &[], Vec::new())?;
    request.headers_mut().insert(TOKEN_HEADER, value);
    Ok(SignedRequest::from_request(endpoint, request))
}

/// The path of a role's credentials, or `None` when `listing` (the answer
/// to [`ROLE_PATH`]) names no usable role.
pub fn role_credentials_path(listing: &str) -> Option<(String, String)> {
    let role = listing.lines().map(str::trim).find(|l| !l.is_empty())?;
    let safe = role
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    safe.then(|| (role.to_string(), format!("{ROLE_PATH}{role}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::ProfileSet;

    fn token_url(vars: &[(&str, &str)], config: &str) -> Result<String, String> {
        let env = Environment::from_vars(vars.iter().copied());
        let set = ProfileSet::parse(Some(config), None).unwrap();
        endpoint(&env, set.get("default"))
            .map(|e| e.url(TOKEN_PATH))
            .map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn endpoint_order() {
        assert_eq!(
            token_url(&[], "").unwrap(),
            "http://169.254.169.254/latest/api/token"
        );
        assert_eq!(
            token_url(&[(ENDPOINT_MODE_VAR, "ipV6")], "").unwrap(),
            "http://[fd00:ec2::254]/latest/api/token"
        );
        let config = "[default]\nec2_metadata_service_endpoint = http://wrong:456\nec2_metadata_service_endpoint_mode = IPv6\n";
        assert_eq!(
            token_url(&[], config).unwrap(),
            "http://wrong:456/latest/api/token"
        );
        assert_eq!(
            token_url(&[(ENDPOINT_VAR, "http://override:456")], config).unwrap(),
            "http://override:456/latest/api/token"
        );
        let bad = token_url(&[(ENDPOINT_MODE_VAR, "IPv7")], "").unwrap_err();
        assert!(
            bad.contains("`IPv7` is not a valid endpoint mode") && bad.contains(ENDPOINT_MODE_VAR),
            "{bad}"
        );
        let bad = token_url(&[(ENDPOINT_VAR, "not a uri")], "").unwrap_err();
        assert!(bad.contains(ENDPOINT_VAR), "{bad}");
    }

    #[test]
    fn requests() {
        let endpoint = endpoint(&Environment::default(), None).unwrap();
        let token = token_request(&endpoint).unwrap();
        assert_eq!(
            (token.method.as_str(), token.path_and_query.as_str()),
            ("PUT", TOKEN_PATH)
        );
        assert!(
            token
                .headers
                .contains(&(TOKEN_TTL_HEADER.into(), b"21600".to_vec()))
        );
        let get = get(&endpoint, ROLE_PATH, "tok").unwrap();
        assert!(
            get.headers
                .contains(&(TOKEN_HEADER.into(), b"tok".to_vec()))
        );
    }

    #[test]
    fn role_names() {
        assert_eq!(
            role_credentials_path("my-role\n").unwrap().1,
            "/latest/meta-data/iam/security-credentials/my-role"
        );
        assert_eq!(role_credentials_path(""), None);
        assert_eq!(role_credentials_path("../../x"), None);
    }
}
