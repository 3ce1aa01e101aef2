//! Helpers shared by the unit tests: a client-side SigV4 signer and access to the shared
//! test vectors.

use std::path::PathBuf;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

use crate::StaticCredentials;

/// A ConverseStream-like POST signed the way the AWS SDK for Rust signs it.
pub fn signed_request(
    host: &str,
    path: &str,
    body: &[u8],
    credentials: &StaticCredentials,
    region: &str,
    service: &str,
    at: SystemTime,
) -> http::Request<Vec<u8>> {
    let request = http::Request::builder()
        .method("POST")
        .uri(path)
        .header("host", host)
        .header("content-type", "application/json")
        .header("accept", "application/vnd.amazon.eventstream")
        .body(body.to_vec())
        .unwrap();
    sign_request(request, credentials, region, service, at)
}

/// A control-plane GET (a list call; `path` may carry a query) signed the same way.
pub fn signed_get(
    host: &str,
    path: &str,
    credentials: &StaticCredentials,
    region: &str,
    at: SystemTime,
) -> http::Request<Vec<u8>> {
    let request = http::Request::builder()
        .method("GET")
        .uri(path)
        .header("host", host)
        .body(Vec::new())
        .unwrap();
    sign_request(request, credentials, region, "bedrock", at)
}

/// A query-protocol call as botocore sends STS's: a form body POSTed to `/`.
pub fn signed_form(
    host: &str,
    body: &str,
    credentials: &StaticCredentials,
    region: &str,
    service: &str,
    at: SystemTime,
) -> http::Request<Vec<u8>> {
    let request = http::Request::builder()
        .method("POST")
        .uri("/")
        .header("host", host)
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(body.as_bytes().to_vec())
        .unwrap();
    sign_request(request, credentials, region, service, at)
}

/// Signs `request` in place of a client, with `SigningSettings::default()`.
fn sign_request(
    mut request: http::Request<Vec<u8>>,
    credentials: &StaticCredentials,
    region: &str,
    service: &str,
    at: SystemTime,
) -> http::Request<Vec<u8>> {
    let identity: Identity = Credentials::new(
        &credentials.access_key_id,
        &credentials.secret_access_key,
        credentials.session_token.clone(),
        None,
        "test",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let headers = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str(), v.to_str().unwrap()));
    let uri = request.uri().to_string();
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        headers,
        SignableBody::Bytes(request.body()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    instructions.apply_to_request_http1x(&mut request);
    request
}

/// Sends `request` over a fresh HTTP/1.1 connection and returns the response as it starts.
pub async fn open(
    addr: std::net::SocketAddr,
    request: http::Request<Vec<u8>>,
) -> http::Response<hyper::body::Incoming> {
    use hyper_util::rt::TokioIo;
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = request.map(|b| http_body_util::Full::new(bytes::Bytes::from(b)));
    sender.send_request(request).await.unwrap()
}

/// Sends `request` and reads the whole answer.
pub async fn send(
    addr: std::net::SocketAddr,
    request: http::Request<Vec<u8>>,
) -> (http::response::Parts, bytes::Bytes) {
    use http_body_util::BodyExt;
    let (parts, body) = open(addr, request).await.into_parts();
    (parts, body.collect().await.unwrap().to_bytes())
}

/// A folder of `../shared/vectors`. Missing: a hard failure under CI, a notice otherwise.
pub fn shared_vectors(folder: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/vectors")
        .join(folder);
    if path.is_dir() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "test vectors missing: {} (required when CI is set)",
        path.display()
    );
    eprintln!("skipping: test vectors not found at {}", path.display());
    None
}

/// One case of the AWS SigV4 test suite (aws-c-auth) in `../shared/vectors/sigv4`.
pub struct SigV4Case {
    pub name: String,
    pub credentials: StaticCredentials,
    pub region: String,
    pub service: String,
    /// The header-signed request, as a server receives it.
    pub parts: http::request::Parts,
    pub body: Vec<u8>,
    /// The time it was signed, from its `X-Amz-Date`.
    pub signed_at: SystemTime,
}

/// The suite's cases a server can verify: those whose request line can travel on the wire
/// as written, signed with path normalisation (what AWS does for every service but S3).
/// `None` when the vectors are missing (see [`shared_vectors`]).
pub fn sigv4_suite() -> Option<Vec<SigV4Case>> {
    let root = shared_vectors("sigv4")?;
    let mut cases = Vec::new();
    for dir in std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
    {
        let Ok(context) = std::fs::read(dir.join("context.json")) else {
            continue;
        };
        let context: serde_json::Value = serde_json::from_slice(&context).unwrap();
        let raw = std::fs::read(dir.join("header-signed-request.txt")).unwrap();
        let Some((parts, body)) = parse_raw_request(&raw) else {
            continue;
        };
        if context["normalize"] == false {
            continue;
        }
        let text = |value: &serde_json::Value| value.as_str().unwrap().to_owned();
        let creds = &context["credentials"];
        let amz_date = parts.headers["x-amz-date"].to_str().unwrap();
        cases.push(SigV4Case {
            name: dir.file_name().unwrap().to_string_lossy().into_owned(),
            credentials: StaticCredentials {
                access_key_id: text(&creds["access_key_id"]),
                secret_access_key: text(&creds["secret_access_key"]),
                session_token: creds["token"].as_str().map(Into::into),
            },
            region: text(&context["region"]),
            service: text(&context["service"]),
            signed_at: crate::sigv4::parse_amz_date(amz_date).unwrap(),
            parts,
            body,
        });
    }
    assert!(
        cases.len() >= 20,
        "only {} usable SigV4 suite cases in {}",
        cases.len(),
        root.display()
    );
    Some(cases)
}

/// Parses a raw HTTP/1.1 request as written in the SigV4 suite. `None` when the request
/// line could not be sent on the wire as is (raw spaces or UTF-8 in the target).
pub fn parse_raw_request(raw: &[u8]) -> Option<(http::request::Parts, Vec<u8>)> {
    let text = std::str::from_utf8(raw).ok()?;
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let (request_line, _version) = lines.next()?.rsplit_once(' ')?;
    let (method, target) = request_line.split_once(' ')?;
    let uri: http::Uri = target.parse().ok()?;
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            // An obsolete folded line continues the previous header's value.
            let (_, value) = headers.last_mut()?;
            value.push(' ');
            value.push_str(line.trim());
        } else {
            let (name, value) = line.split_once(':')?;
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
    }
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in &headers {
        builder = builder.header(name, value);
    }
    let (parts, ()) = builder.body(()).ok()?.into_parts();
    Some((parts, body.as_bytes().to_vec()))
}

/// Every frame of a complete event-stream body.
pub fn decode_frames(mut body: bytes::Bytes) -> Vec<aws_smithy_types::event_stream::Message> {
    use bytes::Buf;
    let mut messages = Vec::new();
    while body.has_remaining() {
        messages.push(aws_smithy_eventstream::frame::read_message_from(&mut body).unwrap());
    }
    messages
}

/// A string header of a frame, or "" when it has none.
pub fn frame_header(message: &aws_smithy_types::event_stream::Message, name: &str) -> String {
    let header = message.headers().iter().find(|h| h.name().as_str() == name);
    header
        .map(|h| h.value().as_string().unwrap().as_str().to_owned())
        .unwrap_or_default()
}

/// The text of the first `<tag>` element of an XML answer (STS's fixed shapes).
pub fn between<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
        + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).unwrap();
    &xml[start..start + end]
}
