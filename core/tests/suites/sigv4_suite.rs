//! AWS's SigV4 test suite (aws-c-auth's `v4` cases) through the plugin's
//! signing code, with the signature placed in headers and in the query.

use crate::vectors;

use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignatureLocation, SigningSettings,
    UriPathNormalizationMode,
};
use bedrock_core::credentials::AwsCredentials;
use bedrock_core::signing::{SigV4Scope, sign_sigv4};
use serde::Deserialize;
use std::path::Path;
use std::time::{Duration, SystemTime};

#[derive(Deserialize)]
struct Context {
    credentials: ContextCredentials,
    expiration_in_seconds: u64,
    normalize: bool,
    region: String,
    service: String,
    #[serde(default)]
    omit_session_token: bool,
    /// The suite's runners treat a missing flag as "sign the body".
    #[serde(default = "yes")]
    sign_body: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct ContextCredentials {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
}

/// 2015-08-30T12:36:00Z, the suite's shared timestamp.
const SUITE_TIME: u64 = 1_440_938_160;

/// Parses `request.txt`: a request line, headers (continuation lines folded
/// into the previous header with a space), a blank line, the body.
///
/// The suite's paths are raw (`/example space/`); bytes an `http::Uri` cannot
/// hold are percent-encoded as a client would on the wire, and the second
/// return value says so (the canonical path is then the wire path as is).
fn parse_request(text: &str) -> (http::Request<Vec<u8>>, bool) {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let method = request_line.split(' ').next().unwrap();
    let target = request_line[method.len() + 1..request_line.rfind(" HTTP/").unwrap()].to_string();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers
                .last_mut()
                .expect("continuation line before any header");
            last.1 = format!("{} {}", last.1, line.trim());
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_string(), value.to_string()));
        }
    }
    let host = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("host"))
        .unwrap()
        .1
        .clone();
    let wire_target = target.replace(' ', "%20");
    let pre_encoded = wire_target != target;
    let mut builder = http::Request::builder()
        .method(method)
        .uri(format!("https://{host}{wire_target}"));
    for (name, value) in headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("host"))
    {
        builder = builder.header(name.as_str(), value.as_str());
    }
    (builder.body(body.as_bytes().to_vec()).unwrap(), pre_encoded)
}

fn read(case: &Path, file: &str) -> String {
    std::fs::read_to_string(case.join(file))
        .unwrap_or_else(|e| panic!("{}/{file}: {e}", case.display()))
        .replace("\r\n", "\n")
}

fn sign_case(case: &Path, location: SignatureLocation) -> (String, http::Request<Vec<u8>>) {
    let context: Context = serde_json::from_str(&read(case, "context.json")).unwrap();
    let (mut request, pre_encoded) = parse_request(&read(case, "request.txt"));
    let mut settings = SigningSettings::default();
    settings.signature_location = location;
    settings.expires_in = Some(Duration::from_secs(context.expiration_in_seconds));
    settings.uri_path_normalization_mode = if context.normalize {
        UriPathNormalizationMode::Enabled
    } else {
        UriPathNormalizationMode::Disabled
    };
    if pre_encoded {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
    }
    settings.session_token_mode = if context.omit_session_token {
        SessionTokenMode::Exclude
    } else {
        SessionTokenMode::Include
    };
    settings.payload_checksum_kind = if context.sign_body {
        PayloadChecksumKind::XAmzSha256
    } else {
        PayloadChecksumKind::NoHeader
    };
    let credentials = AwsCredentials {
        access_key_id: context.credentials.access_key_id,
        secret_access_key: context.credentials.secret_access_key,
        session_token: context.credentials.token,
        expires_at: None,
    };
    let scope = SigV4Scope {
        region: &context.region,
        service: &context.service,
        time: SystemTime::UNIX_EPOCH + Duration::from_secs(SUITE_TIME),
    };
    let signature = sign_sigv4(&mut request, &credentials, scope, settings)
        .unwrap_or_else(|e| panic!("{}: {e}", case.display()));
    (signature, request)
}

fn cases() -> Vec<std::path::PathBuf> {
    let Some(dir) = vectors::dir("sigv4") else {
        return Vec::new();
    };
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("request.txt").is_file())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 38, "the suite has 38 cases");
    cases
}

#[test]
fn header_signatures_match_the_suite() {
    let mut failures = Vec::new();
    for case in cases() {
        let (signature, request) = sign_case(&case, SignatureLocation::Headers);
        let expected = read(&case, "header-signature.txt");
        if signature != expected.trim() {
            failures.push(format!(
                "{}: signature {signature} != {}",
                case.display(),
                expected.trim()
            ));
            continue;
        }
        let signed = read(&case, "header-signed-request.txt");
        let expected_auth = signed
            .lines()
            .find_map(|l| l.strip_prefix("Authorization:"))
            .unwrap()
            .trim();
        let auth = request.headers()["authorization"].to_str().unwrap();
        if auth != expected_auth {
            failures.push(format!(
                "{}: authorization {auth} != {expected_auth}",
                case.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn query_signatures_match_the_suite() {
    let mut failures = Vec::new();
    for case in cases() {
        let (signature, request) = sign_case(&case, SignatureLocation::QueryParams);
        let expected = read(&case, "query-signature.txt");
        if signature != expected.trim() {
            failures.push(format!(
                "{}: signature {signature} != {}",
                case.display(),
                expected.trim()
            ));
            continue;
        }
        let query = request.uri().query().unwrap_or_default();
        if !query.contains(&format!("X-Amz-Signature={signature}")) {
            failures.push(format!(
                "{}: query {query} lacks the signature",
                case.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
