//! ECS task roles and EKS Pod Identity: the container credentials endpoint.
//!
//! ECS sets `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, a path on
//! `http://169.254.170.2`. Other hosts (EKS Pod Identity, ECS Anywhere,
//! Greengrass, local tools) set `AWS_CONTAINER_CREDENTIALS_FULL_URI`, which the
//! SDKs accept only over HTTPS or for hosts that cannot be someone else's:
//! loopback, the ECS address and the EKS Pod Identity agent
//! (`169.254.170.23`, `fd00:ec2::23`). A plain-HTTP URI to any other host
//! would hand the authorization token and then the credentials to whoever
//! answers, so it is refused. The relative URI wins when both are set.
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read on every resolution, as
//! EKS rotates it) beats `AWS_CONTAINER_AUTHORIZATION_TOKEN`; the token goes
//! in the `Authorization` header as is.

use super::send::build;
use crate::endpoint::{Endpoint, Scheme};
use crate::env::Environment;
use crate::error::Error;
use crate::signing::SignedRequest;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const RELATIVE_URI_VAR: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
pub const FULL_URI_VAR: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
pub const TOKEN_VAR: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
pub const TOKEN_FILE_VAR: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

/// The ECS credentials host for relative URIs.
pub const ECS_HOST: &str = "169.254.170.2";
const EKS_POD_IDENTITY_V4: Ipv4Addr = Ipv4Addr::new(169, 254, 170, 23);
const EKS_POD_IDENTITY_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x23);

/// Where to ask, and with which token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub endpoint: Endpoint,
    /// Path and query on the endpoint.
    pub path_and_query: String,
    /// The variable that configured it, for messages.
    pub origin: &'static str,
    pub token: TokenSource,
}

/// Where the `Authorization` header comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum TokenSource {
    None,
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    Value(String),
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`: a path to read.
    File(String),
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::None => f.write_str("None"),
            TokenSource::Value(_) => f.write_str("Value(** redacted **)"),
            TokenSource::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// The configuration from the environment: `Ok(None)` when neither URI
/// variable is set, an error (naming the variable) when one is unusable.
pub fn config(env: &Environment) -> Result<Option<Config>, Error> {
    let token = match (env.get(TOKEN_FILE_VAR), env.get(TOKEN_VAR)) {
        (Some(path), _) => TokenSource::File(path.to_string()),
        (None, Some(token)) => TokenSource::Value(token.to_string()),
        (None, None) => TokenSource::None,
    };
    if let Some(relative) = env.get(RELATIVE_URI_VAR) {
        let path = if relative.starts_with('/') {
            relative.to_string()
        } else {
            format!("/{relative}")
        };
        let endpoint = Endpoint {
            scheme: Scheme::Http,
            authority: ECS_HOST.into(),
            base_path: String::new(),
        };
        return Ok(Some(Config {
            endpoint,
            path_and_query: path,
            origin: RELATIVE_URI_VAR,
            token,
        }));
    }
    let Some(full) = env.get(FULL_URI_VAR) else {
        return Ok(None);
    };
    let invalid = |why: String| Error::CredentialSource(format!("{FULL_URI_VAR} `{full}` {why}"));
    let uri: http::Uri = full
        .parse()
        .map_err(|_| invalid("is not a valid URI".into()))?;
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| invalid("did not specify a host".into()))?;
    let scheme = match uri.scheme_str() {
        Some("https") => Scheme::Https,
        Some("http") if is_allowed_http_host(host) => Scheme::Http,
        Some("http") => {
            return Err(invalid(format!(
                "uses plain HTTP to `{host}`, which could hand the credentials to another machine: over http only \
                 loopback, the ECS host ({ECS_HOST}) and the EKS Pod Identity agent ({EKS_POD_IDENTITY_V4}, \
                 [{EKS_POD_IDENTITY_V6}]) are allowed; use https"
            )));
        }
        _ => return Err(invalid("must start with http:// or https://".into())),
    };
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or_default();
    if authority.contains('@') {
        return Err(invalid("must not carry user information".into()));
    }
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let endpoint = Endpoint {
        scheme,
        authority,
        base_path: String::new(),
    };
    Ok(Some(Config {
        endpoint,
        path_and_query,
        origin: FULL_URI_VAR,
        token,
    }))
}

/// Hosts plain HTTP may reach: loopback, ECS, EKS Pod Identity. Names other
/// than `localhost` are refused: the sandbox cannot resolve them to check.
fn is_allowed_http_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => {
            ip.is_loopback() || ip == Ipv4Addr::new(169, 254, 170, 2) || ip == EKS_POD_IDENTITY_V4
        }
        Ok(IpAddr::V6(ip)) => ip.is_loopback() || ip == EKS_POD_IDENTITY_V6,
        Err(_) => false,
    }
}

/// The credentials request; `token` is the resolved authorization token.
pub fn request(config: &Config, token: Option<&str>) -> Result<SignedRequest, Error> {
    let mut request = build(
        http::Method::GET,
        &config.endpoint,
        &config.path_and_query,
        &[("accept", "application/json")],
        Vec::new(),
    )?;
    if let Some(token) = token {
        let value = http::HeaderValue::from_str(token).map_err(|_| {
            Error::CredentialSource(format!(
                "the container authorization token ({}) holds characters that cannot be sent in an HTTP header",
                match config.token {
                    TokenSource::File(_) => TOKEN_FILE_VAR,
                    _ => TOKEN_VAR,
                }
            ))
        })?;
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, value);
    }
    Ok(SignedRequest::from_request(&config.endpoint, request))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(vars: &[(&str, &str)]) -> Result<Option<String>, Error> {
        config(&Environment::from_vars(vars.iter().copied()))
            .map(|c| c.map(|c| c.endpoint.url(&c.path_and_query)))
    }

    #[test]
    fn allowed_hosts() {
        for ok in [
            "http://127.0.0.1/c",
            "http://127.1.2.3:8080/c",
            "http://localhost/c",
            "http://[::1]/c",
            "http://169.254.170.2/c",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "https://anything.example/c",
        ] {
            assert_eq!(
                url(&[(FULL_URI_VAR, ok)]).unwrap().as_deref(),
                Some(ok),
                "{ok}"
            );
        }
        for bad in [
            "http://169.254.169.254/c",
            "http://example.com/c",
            "http://10.0.0.1/c",
            "ftp://127.0.0.1/c",
            "http://u:p@127.0.0.1/c",
        ] {
            let Err(Error::CredentialSource(why)) = url(&[(FULL_URI_VAR, bad)]) else {
                panic!("{bad}")
            };
            assert!(why.contains(FULL_URI_VAR), "{why}");
        }
    }

    #[test]
    fn relative_wins_and_tokens_come_from_the_file_first() {
        let vars = [
            (FULL_URI_VAR, "http://localhost/x"),
            (RELATIVE_URI_VAR, "v2/c?a=1"),
            (TOKEN_VAR, "t"),
            (TOKEN_FILE_VAR, "/f"),
        ];
        let c = config(&Environment::from_vars(vars)).unwrap().unwrap();
        assert_eq!(
            c.endpoint.url(&c.path_and_query),
            "http://169.254.170.2/v2/c?a=1"
        );
        assert_eq!(c.token, TokenSource::File("/f".into()));
        assert_eq!(url(&[]).unwrap(), None);
    }

    #[test]
    fn the_token_goes_in_authorization_and_stays_out_of_debug() {
        let vars = [(RELATIVE_URI_VAR, "/c"), (TOKEN_VAR, "secret-token")];
        let c = config(&Environment::from_vars(vars)).unwrap().unwrap();
        assert!(!format!("{c:?}").contains("secret-token"));
        let request = request(&c, Some("secret-token")).unwrap();
        assert!(
            request
                .headers
                .contains(&("authorization".into(), b"secret-token".to_vec()))
        );
        assert!(
            request
                .headers
                .contains(&("accept".into(), b"application/json".to_vec()))
        );
        assert!(super::request(&c, Some("a\r\nb")).is_err());
    }
}
