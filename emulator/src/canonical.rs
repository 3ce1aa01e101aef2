//! SigV4 for requests that sign the HTTP/2 `:authority` pseudo-header.
//!
//! The AWS SDK for JavaScript talks to Bedrock Runtime over HTTP/2 and signs `:authority`
//! where HTTP/1.1 clients sign `host`; AWS accepts both. aws-sigv4 cannot express the first
//! kind (an `http::HeaderName` cannot contain a colon, and it always signs `host`), so for
//! these requests alone the canonical request is assembled here, from the pieces aws-sigv4
//! itself uses: aws-smithy-http's percent-encoding sets, and aws-sigv4's key derivation and
//! HMAC. Every other request is verified by aws-sigv4 directly. Tests pin this module to
//! aws-sigv4: for every request both can sign, the signatures must be equal.

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use aws_smithy_http::{label, query};
use sha2::{Digest, Sha256};

use crate::sigv4::format_amz_date;

/// The credential scope and key a signature is computed with.
pub struct SigningKey<'a> {
    pub secret_access_key: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    pub time: SystemTime,
}

/// The signature of a request and its SignedHeaders list. `headers` are every signed
/// header with its value, `x-amz-date` and `:authority` included, in any order and case.
pub fn sign(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    key: &SigningKey<'_>,
) -> (String, String) {
    let (canonical, signed_headers) = canonical_request(method, path_and_query, headers, body);
    let amz_date = format_amz_date(key.time);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{}/{}/{}/aws4_request\n{}",
        &amz_date[..8],
        key.region,
        key.service,
        hex::encode(Sha256::digest(canonical.as_bytes())),
    );
    let signing_key =
        generate_signing_key(key.secret_access_key, key.time, key.region, key.service);
    (
        calculate_signature(signing_key, string_to_sign.as_bytes()),
        signed_headers,
    )
}

/// The canonical request, with aws-sigv4's default settings: path normalised, then
/// percent-encoded again (double encoding).
fn canonical_request(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (String, String) {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let path = label::fmt_string(normalize_path(path), label::EncodingStrategy::Greedy);
    let mut params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (query::fmt_string(k), query::fmt_string(v)))
        .collect();
    params.sort();
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();

    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        grouped
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(trim_all(value));
    }
    let mut canonical = format!("{method}\n{path}\n{}\n", query.join("&"));
    for (name, values) in &grouped {
        canonical.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let signed_headers = grouped.keys().cloned().collect::<Vec<_>>().join(";");
    canonical.push_str(&format!(
        "\n{signed_headers}\n{}",
        hex::encode(Sha256::digest(body))
    ));
    (canonical, signed_headers)
}

/// RFC 3986 dot-segment removal, with empty segments dropped, as SigV4 specifies (and
/// as aws-sigv4 does it, trailing slash included).
fn normalize_path(path: &str) -> String {
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    if !(path.contains('.') || path.contains("//")) {
        return path;
    }
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut normalized = format!("/{}", segments.join("/"));
    let ends_with_slash = ["/", "/.", "/./", "/..", "/../"]
        .iter()
        .any(|end| path.ends_with(end));
    if ends_with_slash && !normalized.ends_with('/') {
        normalized.push('/');
    }
    normalized
}

/// Trims spaces and collapses runs of them, as SigV4 does with header values.
fn trim_all(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for piece in value
        .trim_matches(' ')
        .split(' ')
        .filter(|piece| !piece.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::Keyring;
    use crate::sigv4::parse_amz_date;
    use crate::test_support::{self, signed_request};
    use crate::{EmulatorConfig, StaticCredentials};

    fn headers_of(parts: &http::request::Parts) -> Vec<(&str, &str)> {
        let signed = parts.headers["authorization"].to_str().unwrap();
        let list = signed
            .split("SignedHeaders=")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap();
        list.split(';')
            .flat_map(|name| {
                parts
                    .headers
                    .get_all(name)
                    .iter()
                    .map(move |v| (name, v.to_str().unwrap()))
            })
            .collect()
    }

    fn signature_in(parts: &http::request::Parts) -> String {
        let auth = parts.headers["authorization"].to_str().unwrap();
        auth.rsplit("Signature=").next().unwrap().to_owned()
    }

    #[test]
    fn normalises_paths_like_aws_sigv4() {
        for (path, normal) in [
            ("/", "/"),
            ("", "/"),
            ("/model/a.b/converse-stream", "/model/a.b/converse-stream"),
            ("/example/..", "/"),
            ("/example/../..", "/"),
            ("/./", "/"),
            ("//example//", "/example/"),
            ("/a/./b/../c", "/a/c"),
            ("/a/b/.", "/a/b/"),
        ] {
            assert_eq!(normalize_path(path), normal, "{path:?}");
        }
        assert_eq!(trim_all("  a   b c  "), "a b c");
    }

    /// Same request, same signature as aws-sigv4 (which signs `host`).
    #[test]
    fn agrees_with_aws_sigv4() {
        let config = EmulatorConfig::default();
        let now = SystemTime::now();
        let paths = [
            "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream",
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream",
            "/a/./b/../c%20d?z=1&a=%E1%88%B4&a=0&empty=",
        ];
        for credentials in &config.credentials {
            for path in paths {
                let body = "{\"text\": \"héllo  there\"}".as_bytes();
                let request = signed_request(
                    "localhost:1",
                    path,
                    body,
                    credentials,
                    "us-east-1",
                    "bedrock",
                    now,
                );
                let (parts, body) = request.into_parts();
                let key = SigningKey {
                    secret_access_key: &credentials.secret_access_key,
                    region: "us-east-1",
                    service: "bedrock",
                    time: parse_amz_date(parts.headers["x-amz-date"].to_str().unwrap()).unwrap(),
                };
                let (signature, _) = sign("POST", path, &headers_of(&parts), &body, &key);
                assert_eq!(signature, signature_in(&parts), "{path}");
            }
        }
    }

    /// The AWS SigV4 suite's expected signatures, for every wire-valid normalised case.
    #[test]
    fn matches_the_aws_signing_test_suite() {
        let Some(cases) = test_support::sigv4_suite() else {
            return;
        };
        for case in cases {
            let key = SigningKey {
                secret_access_key: &case.credentials.secret_access_key,
                region: &case.region,
                service: &case.service,
                time: case.signed_at,
            };
            let parts = &case.parts;
            let path = parts.uri.path_and_query().unwrap().as_str();
            let headers = headers_of(parts);
            let (signature, _) = sign(parts.method.as_str(), path, &headers, &case.body, &key);
            assert_eq!(signature, signature_in(parts), "{}", case.name);
        }
    }

    /// A request captured from `@aws-sdk/client-bedrock-runtime` 3.1162.0 over HTTP/2,
    /// signed with the session example key.
    #[test]
    fn verifies_a_javascript_sdk_http2_request() {
        let body = r#"{"messages":[{"role":"user","content":[{"text":"Héllo  there [emulator words=3]"}]}],"system":[{"text":"Be brief."}],"inferenceConfig":{"maxTokens":50}}"#;
        let path = "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream";
        let request = http::Request::builder()
            .method("POST")
            .uri(format!("http://127.0.0.1:9{path}"))
            .header("content-type", "application/json")
            .header("content-length", "153")
            .header("x-amz-user-agent", "aws-sdk-js/3.1162.0")
            .header("user-agent", "aws-sdk-js/3.1162.0 ua/2.1 os/linux#6.18.44-fc-v669 lang/js md/nodejs#20.20.2 api/bedrock-runtime#3.1162.0 m/N,E,e")
            .header("amz-sdk-invocation-id", "b74ca518-f829-4841-9fe7-8a0e6d5447d3")
            .header("amz-sdk-request", "attempt=1; max=1")
            .header("x-amz-date", "20261122T030552Z")
            .header("x-amz-security-token", "session-token-EXAMPLE")
            .header("x-amz-content-sha256", "6a5f1843510832dc1a6925098aa46ed6fde50157c45166d10e6a573af23c5d1e")
            .header("authorization", "AWS4-HMAC-SHA256 Credential=ASIDEXAMPLESESSION/20261122/us-east-1/bedrock/aws4_request, SignedHeaders=:authority;amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-user-agent, Signature=782ae6baa9b574dd94e96f25499450b3df2c949e30868b98cdf72f26ab973513")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        let config = EmulatorConfig::default();
        let keys = Keyring::new(config.credentials.clone());
        let verifier = crate::sigv4::Verifier {
            region: Some("us-east-1"),
            service: "bedrock",
            keys: &keys,
        };
        let now = parse_amz_date("20261122T030600Z").unwrap();
        assert_eq!(
            verifier.verify(&parts, body.as_bytes(), now),
            Ok("ASIDEXAMPLESESSION".into())
        );
        let tampered = body.replace("words=3", "words=4");
        assert!(verifier.verify(&parts, tampered.as_bytes(), now).is_err());
        let stranger = Keyring::new(vec![StaticCredentials {
            secret_access_key: "other".into(),
            ..config.credentials[1].clone()
        }]);
        let wrong_key = crate::sigv4::Verifier {
            keys: &stranger,
            ..verifier
        };
        assert!(wrong_key.verify(&parts, body.as_bytes(), now).is_err());
    }
}
