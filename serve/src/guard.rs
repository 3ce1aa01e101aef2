//! Who may call `serve`: the checks every request passes before a route.
//!
//! A local endpoint is reachable from every web page the user opens: a page
//! can POST to `127.0.0.1` (the browser sends its `Origin`), and through DNS
//! rebinding a page's own name can come to point at `127.0.0.1`, so that
//! the page reads the answers too (the browser then sends the page's name in
//! `Host`). So, in order:
//!
//! 1. `Host` (or an absolute request target) must name the address the
//!    request arrived on (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`,
//!    the bound IP) or a name allowed by the operator: `403` otherwise.
//! 2. A request with an `Origin`, or that a browser marks as cross-site
//!    (`Sec-Fetch-Site`), is refused (`403`) unless the origin is one the
//!    operator allowed; those get CORS answers, preflights included.
//! 3. The API key, when one is set (`401`).
//! 4. A `POST` body must be `application/json` (`415`): a page can send
//!    `text/plain` without a preflight.

use super::anthropic::AnthropicError;
use super::error::ApiError;
use super::listener::LocalAddr;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;
use std::sync::Arc;

/// How long a browser may cache a preflight's answer.
const PREFLIGHT_MAX_AGE_SECS: u32 = 600;

/// The operator's choices the checks apply.
#[derive(Default)]
pub(super) struct Gate {
    /// Allowed browser origins, lower-cased, as `scheme://host[:port]`.
    pub cors_origins: Vec<String>,
    /// Further names `Host` may give, lower-cased: `name` (any port) or
    /// `name:port`.
    pub allowed_hosts: Vec<String>,
    pub api_key: Option<String>,
}

/// The middleware: refuses what the checks refuse, answers preflights, and
/// adds CORS headers to the answers to allowed origins.
pub(super) async fn check(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    // Anthropic's clients read refusals of its route in Anthropic's shape.
    let anthropic = request.uri().path().starts_with("/v1/messages");
    let refuse = |error: ApiError| match anthropic {
        true => AnthropicError(error).into_response(),
        false => error.into_response(),
    };
    if !host_allowed(&gate, &request) {
        return refuse(ApiError::new(
            StatusCode::FORBIDDEN,
            "permission_error",
            "host_not_allowed",
            "The Host header does not name this server's address; start serve with --allow-host-header NAME to accept another name",
        ));
    }
    let origin = match browser_origin(&gate, request.headers()) {
        Ok(origin) => origin,
        Err(refused) => return refuse(refused),
    };
    if let Some(origin) = &origin
        && request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return preflight(origin, request.headers());
    }
    if let Err(refused) = authorize(&gate, request.headers()) {
        return with_cors(refuse(refused), origin.as_ref());
    }
    if request.method() == Method::POST && !is_json(request.headers()) {
        let refused = ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request_error",
            "unsupported_media_type",
            "The request body must be JSON: send Content-Type: application/json",
        );
        return with_cors(refuse(refused), origin.as_ref());
    }
    with_cors(next.run(request).await, origin.as_ref())
}

/// Whether the request's authority names this server.
fn host_allowed(gate: &Gate, request: &Request) -> bool {
    let authority = match request.uri().authority() {
        Some(authority) => authority.as_str().to_ascii_lowercase(),
        None => match request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
        {
            Some(host) => host.trim().to_ascii_lowercase(),
            None => return false,
        },
    };
    let Ok(authority) = authority.parse::<http::uri::Authority>() else {
        return false;
    };
    let (name, port) = (authority.host(), authority.port_u16().unwrap_or(80));
    let local = request.extensions().get::<LocalAddr>().map(|l| l.0);
    let own_name = local.is_some_and(|local| {
        let ip = name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        let is_own =
            name == "localhost" || ip.is_some_and(|ip| ip.is_loopback() || ip == local.ip());
        is_own && port == local.port()
    });
    own_name
        || gate.allowed_hosts.iter().any(|allowed| {
            allowed == authority.as_str() || (!allowed.contains(':') && allowed == name)
        })
}

/// The request's browser origin when it is allowed, `None` for a request
/// no browser sent, a `403` for any other browser request.
fn browser_origin(gate: &Gate, headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let origin = headers
        .get(header::ORIGIN)
        .map(|o| o.to_str().unwrap_or("").trim().to_ascii_lowercase());
    // Browsers mark every request with Sec-Fetch-Site; a cross-site one
    // without an Origin (an <img>, a <script>, a form GET) is refused too.
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|site| !matches!(site.to_str(), Ok("same-origin" | "none")));
    match origin {
        Some(origin) if gate.cors_origins.contains(&origin) => Ok(Some(origin)),
        None if !cross_site => Ok(None),
        shown => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "permission_error",
            "origin_not_allowed",
            format!(
                "Requests from web pages are refused: the origin {} is not allowed (serve --cors-origin ORIGIN allows one)",
                shown.as_deref().unwrap_or("of this cross-site request")
            ),
        )),
    }
}

/// The answer to an allowed origin's preflight: the methods and headers the
/// routes take.
fn preflight(origin: &str, headers: &HeaderMap) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let out = response.headers_mut();
    out.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    // The headers an OpenAI SDK sends vary by version (x-stainless-*):
    // an allowed origin may send any.
    if let Some(asked) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    out.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(PREFLIGHT_MAX_AGE_SECS),
    );
    // Chrome's Private Network Access asks before a public page reaches a
    // loopback address; the operator allowed this origin.
    if headers.contains_key("access-control-request-private-network") {
        out.insert(
            "access-control-allow-private-network",
            HeaderValue::from_static("true"),
        );
    }
    with_cors(response, Some(&origin.to_string()))
}

fn with_cors(mut response: Response, origin: Option<&String>) -> Response {
    let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) else {
        return response;
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after, retry-after-ms"),
    );
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    response
}

fn authorize(gate: &Gate, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(key) = &gate.api_key else {
        return Ok(());
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        // The scheme is case-insensitive (RFC 9110).
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    // What Anthropic's SDKs send.
    let api_key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    if [bearer, api_key]
        .into_iter()
        .flatten()
        .any(|given| constant_time_eq(given.as_bytes(), key.as_bytes()))
    {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect or missing API key: send Authorization: Bearer <the key serve was started with>, or x-api-key: <the key>",
    ))
}

/// `application/json`, with no parameter but a UTF-8 charset.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("");
    essence.eq_ignore_ascii_case("application/json")
        && parts.filter(|p| !p.is_empty()).all(|param| {
            param.split_once('=').is_some_and(|(name, value)| {
                name.trim().eq_ignore_ascii_case("charset")
                    && matches!(
                        value.trim().trim_matches('"').to_ascii_lowercase().as_str(),
                        "utf-8" | "utf8"
                    )
            })
        })
}

/// Equality whose time depends on the lengths only, not on where the bytes
/// first differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// An origin as browsers send it: `scheme://host[:port]`, lower-cased, no
/// path. For `--cors-origin`.
pub(super) fn normalize_origin(origin: &str) -> Result<String, String> {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    let uri: http::Uri = origin
        .parse()
        .map_err(|_| format!("'{origin}' is not an origin such as http://localhost:3000"))?;
    match (uri.scheme_str(), uri.authority(), uri.path()) {
        (Some("http" | "https"), Some(_), "" | "/") if uri.query().is_none() => Ok(origin),
        _ => Err(format!(
            "'{origin}' is not an origin such as http://localhost:3000 (a scheme and a host, no path)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn serve_compares_keys_exactly() {
        assert!(constant_time_eq(b"sk-local", b"sk-local"));
        assert!(!constant_time_eq(b"sk-local", b"sk-locaL"));
        assert!(!constant_time_eq(b"sk-local", b"sk-local-longer"));
        assert!(!constant_time_eq(b"", b"sk-local"));
    }

    #[test]
    fn serve_takes_json_bodies_only() {
        for json in [
            "application/json",
            "Application/JSON; charset=UTF-8",
            "application/json;charset=\"utf-8\"",
        ] {
            assert!(is_json(&headers(&[("content-type", json)])), "{json}");
        }
        for other in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin1",
            "application/jsonp",
        ] {
            assert!(!is_json(&headers(&[("content-type", other)])), "{other}");
        }
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn serve_refuses_browser_origins_not_allowed() {
        let gate = Gate {
            cors_origins: vec!["http://localhost:3000".into()],
            ..Gate::default()
        };
        let allowed = headers(&[("origin", "http://LOCALHOST:3000")]);
        assert_eq!(
            browser_origin(&gate, &allowed).unwrap().as_deref(),
            Some("http://localhost:3000")
        );
        for refused in [
            headers(&[("origin", "https://evil.example")]),
            headers(&[("origin", "null")]),
            headers(&[("sec-fetch-site", "cross-site")]),
        ] {
            let error = browser_origin(&gate, &refused).unwrap_err();
            assert_eq!(error.status, StatusCode::FORBIDDEN);
        }
        assert_eq!(browser_origin(&gate, &HeaderMap::new()).unwrap(), None);
        assert_eq!(
            browser_origin(&gate, &headers(&[("sec-fetch-site", "none")])).unwrap(),
            None
        );
    }

    #[test]
    fn serve_normalizes_cors_origins() {
        assert_eq!(
            normalize_origin("HTTP://Localhost:3000/").unwrap(),
            "http://localhost:3000"
        );
        for bad in ["localhost:3000", "http://x/path", "ftp://x", "*"] {
            assert!(normalize_origin(bad).is_err(), "{bad}");
        }
    }
}
