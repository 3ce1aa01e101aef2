//! The credential endpoints end to end over real HTTP/1.1: each source's flow as the AWS
//! credential chain runs it, then the credentials it issued signing a ConverseStream, until
//! they expire.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde_json::{Value, json};

use crate::clock::http_date;
use crate::test_support::{self, between, signed_form, signed_request};
use crate::{
    AuthOutcome, EXPIRED_WEB_IDENTITY_TOKEN, Emulator, EmulatorConfig, IMDS_ROLE_NAME,
    StaticCredentials,
};

const CLAUDE_PATH: &str = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/integration-test";

fn default_key() -> StaticCredentials {
    EmulatorConfig::default().credentials[0].clone()
}

async fn send(
    emulator: &Emulator,
    request: http::Request<Vec<u8>>,
) -> (http::response::Parts, Bytes) {
    test_support::send(emulator.addr(), request).await
}

/// An unsigned request with `headers`.
fn plain(method: &str, path: &str, headers: &[(&str, &str)]) -> http::Request<Vec<u8>> {
    let mut builder = http::Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Vec::new()).unwrap()
}

fn text(bytes: &Bytes) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// Signs a three-word ConverseStream with `key` at `at`; the status and body.
async fn converse(emulator: &Emulator, key: &StaticCredentials, at: SystemTime) -> (u16, Bytes) {
    let body = json!({ "messages": [{ "role": "user", "content": [{ "text": "hi [emulator words=3]" }] }] });
    let request = signed_request(
        &emulator.addr().to_string(),
        CLAUDE_PATH,
        body.to_string().as_bytes(),
        key,
        "us-east-1",
        "bedrock",
        at,
    );
    let (parts, bytes) = send(emulator, request).await;
    (parts.status.as_u16(), bytes)
}

/// The key pair in an IMDS or container JSON document.
fn key_of(document: &Value) -> StaticCredentials {
    StaticCredentials {
        access_key_id: document["AccessKeyId"].as_str().unwrap().into(),
        secret_access_key: document["SecretAccessKey"].as_str().unwrap().into(),
        session_token: Some(document["Token"].as_str().unwrap().into()),
    }
}

/// The key pair in an STS answer.
fn key_of_xml(xml: &str) -> StaticCredentials {
    StaticCredentials {
        access_key_id: between(xml, "AccessKeyId").into(),
        secret_access_key: between(xml, "SecretAccessKey").into(),
        session_token: Some(between(xml, "SessionToken").into()),
    }
}

async fn imds_credentials(emulator: &Emulator) -> StaticCredentials {
    let ttl = [("x-aws-ec2-metadata-token-ttl-seconds", "21600")];
    let (parts, token) = send(emulator, plain("PUT", "/latest/api/token", &ttl)).await;
    assert_eq!(parts.status, 200);
    let token = [("x-aws-ec2-metadata-token", text(&token))];
    let path = "/latest/meta-data/iam/security-credentials/";
    let (parts, role) = send(emulator, plain("GET", path, &token)).await;
    assert_eq!(parts.status, 200);
    let path = format!("{path}{}", text(&role));
    let (parts, document) = send(emulator, plain("GET", &path, &token)).await;
    assert_eq!(parts.status, 200);
    key_of(&serde_json::from_slice(&document).unwrap())
}

#[tokio::test]
async fn imds_token_flow_and_refusals() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let path = "/latest/meta-data/iam/security-credentials/";

    let (parts, _) = send(&emulator, plain("GET", path, &[])).await;
    assert_eq!(parts.status, 401, "IMDSv1 is refused");
    let forged = [("x-aws-ec2-metadata-token", "forged")];
    let (parts, _) = send(&emulator, plain("GET", path, &forged)).await;
    assert_eq!(parts.status, 401);
    let (parts, _) = send(&emulator, plain("PUT", "/latest/api/token", &[])).await;
    assert_eq!(parts.status, 400, "a token needs a lifetime");

    let ttl = [("x-aws-ec2-metadata-token-ttl-seconds", "300")];
    let (parts, token) = send(&emulator, plain("PUT", "/latest/api/token", &ttl)).await;
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["x-aws-ec2-metadata-token-ttl-seconds"], "300");
    let token = [("x-aws-ec2-metadata-token", text(&token))];
    let (_, role) = send(&emulator, plain("GET", path, &token)).await;
    assert_eq!(text(&role), IMDS_ROLE_NAME);
    let elsewhere = "/latest/meta-data/iam/security-credentials/other-role";
    let (parts, _) = send(&emulator, plain("GET", elsewhere, &token)).await;
    assert_eq!(parts.status, 404);
    let role_path = format!("{path}{IMDS_ROLE_NAME}");
    let (parts, document) = send(&emulator, plain("GET", &role_path, &token)).await;
    assert_eq!(parts.status, 200);
    let document: Value = serde_json::from_slice(&document).unwrap();
    assert_eq!(document["Code"], "Success");
    assert_eq!(document["Type"], "AWS-HMAC");
    assert!(document["LastUpdated"].as_str().unwrap().ends_with('Z'));

    let key = key_of(&document);
    let (status, bytes) = converse(&emulator, &key, SystemTime::now()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    let issued = emulator.issued();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].source, "imds");
    assert_eq!(issued[0].access_key_id, key.access_key_id);
    let last = emulator.requests().pop().unwrap();
    assert_eq!(
        last.auth,
        AuthOutcome::SigV4 {
            access_key_id: key.access_key_id
        }
    );
    assert!(
        emulator.requests()[..7]
            .iter()
            .all(|r| r.auth == AuthOutcome::Unsigned)
    );
}

#[tokio::test]
async fn imds_disabled_answers_404_quickly() {
    let config = EmulatorConfig {
        imds_disabled: true,
        ..Default::default()
    };
    let emulator = Emulator::start(config).await.unwrap();
    let ttl = [("x-aws-ec2-metadata-token-ttl-seconds", "21600")];
    let started = std::time::Instant::now();
    let (parts, _) = send(&emulator, plain("PUT", "/latest/api/token", &ttl)).await;
    assert_eq!(parts.status, 404);
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn container_credentials_with_and_without_a_token() {
    let open = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let (parts, document) = send(&open, plain("GET", "/v2/credentials/task-1", &[])).await;
    assert_eq!(parts.status, 200);
    assert_eq!(parts.headers["content-type"], "application/json");
    let document: Value = serde_json::from_slice(&document).unwrap();
    assert_eq!(
        document["RoleArn"],
        "arn:aws:iam::123456789012:role/emulator-task-role"
    );
    assert!(document["Expiration"].as_str().unwrap().ends_with('Z'));
    let (status, _) = converse(&open, &key_of(&document), SystemTime::now()).await;
    assert_eq!(status, 200);

    let guarded = Emulator::start(EmulatorConfig {
        container_authorization_token: Some("Basic c2VjcmV0".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    for sent in [&[][..], &[("authorization", "Basic other")][..]] {
        let (parts, _) = send(&guarded, plain("GET", "/container-credentials", sent)).await;
        assert_eq!(parts.status, 403);
    }
    let token = [("authorization", "Basic c2VjcmV0")];
    let (parts, document) = send(&guarded, plain("GET", "/container-credentials", &token)).await;
    assert_eq!(parts.status, 200);
    let document: Value = serde_json::from_slice(&document).unwrap();
    let (status, _) = converse(&guarded, &key_of(&document), SystemTime::now()).await;
    assert_eq!(status, 200);
    let sources: Vec<&str> = guarded.issued().iter().map(|i| i.source).collect();
    assert_eq!(sources, ["container"]);
}

#[tokio::test]
async fn sts_assume_role_keys_sign_converse_stream() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let body = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=e2e",
        ROLE_ARN.replace(':', "%3A").replace('/', "%2F")
    );
    // Signed for another region than Bedrock's: STS is reached in the profile's region.
    let host = emulator.addr().to_string();
    let request = signed_form(
        &host,
        &body,
        &default_key(),
        "eu-west-1",
        "sts",
        SystemTime::now(),
    );
    let (parts, xml) = send(&emulator, request).await;
    let xml = text(&xml).to_owned();
    assert_eq!(parts.status, 200, "{xml}");
    assert_eq!(parts.headers["content-type"], "text/xml");
    assert_eq!(
        between(&xml, "RequestId"),
        parts.headers["x-amzn-requestid"].to_str().unwrap()
    );
    assert_eq!(
        between(&xml, "Arn"),
        "arn:aws:sts::123456789012:assumed-role/integration-test/e2e"
    );
    assert_eq!(
        emulator.requests()[0].auth,
        AuthOutcome::SigV4 {
            access_key_id: "AKIDEXAMPLE".into()
        }
    );

    let assumed = key_of_xml(&xml);
    let (status, bytes) = converse(&emulator, &assumed, SystemTime::now()).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert_eq!(test_support::decode_frames(bytes).len(), 7);

    // Role chaining: the assumed role's keys can assume another role.
    let request = signed_form(
        &host,
        &body,
        &assumed,
        "us-east-1",
        "sts",
        SystemTime::now(),
    );
    let (parts, xml) = send(&emulator, request).await;
    assert_eq!(parts.status, 200, "{}", text(&xml));
    let sources: Vec<&str> = emulator.issued().iter().map(|i| i.source).collect();
    assert_eq!(sources, ["sts", "sts"]);

    // A Bedrock-scoped signature is no STS signature.
    let request = signed_form(
        &host,
        &body,
        &default_key(),
        "us-east-1",
        "bedrock",
        SystemTime::now(),
    );
    let (parts, xml) = send(&emulator, request).await;
    assert_eq!(parts.status, 403);
    assert_eq!(between(text(&xml), "Code"), "SignatureDoesNotMatch");
}

#[tokio::test]
async fn sts_web_identity_and_its_refusals() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let body = |token: &str| {
        format!(
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn={}&RoleSessionName=web&WebIdentityToken={token}",
            ROLE_ARN.replace(':', "%3A").replace('/', "%2F")
        )
    };
    let form = |token: &str| {
        let mut request = plain(
            "POST",
            "/",
            &[("content-type", "application/x-www-form-urlencoded")],
        );
        *request.body_mut() = body(token).into_bytes();
        request
    };
    let (parts, xml) = send(&emulator, form("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")).await;
    let xml = text(&xml).to_owned();
    assert_eq!(parts.status, 200, "{xml}");
    assert!(xml.starts_with(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    ));
    let (status, _) = converse(&emulator, &key_of_xml(&xml), SystemTime::now()).await;
    assert_eq!(status, 200);
    assert_eq!(emulator.issued()[0].source, "sts-web-identity");

    let (parts, xml) = send(&emulator, form(EXPIRED_WEB_IDENTITY_TOKEN)).await;
    assert_eq!(parts.status, 400);
    assert_eq!(between(text(&xml), "Code"), "ExpiredTokenException");
    assert!(text(&xml).starts_with("<ErrorResponse"));
}

#[tokio::test]
async fn sso_role_credentials() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let path = "/federation/credentials?role_name=SampleRole&account_id=012345678901";
    let token = [("x-amz-sso_bearer_token", "sso-access-token-EXAMPLE")];
    let (parts, bytes) = send(&emulator, plain("GET", path, &token)).await;
    assert_eq!(parts.status, 200, "{}", text(&bytes));
    let answer: Value = serde_json::from_slice(&bytes).unwrap();
    let role = &answer["roleCredentials"];
    let key = StaticCredentials {
        access_key_id: role["accessKeyId"].as_str().unwrap().into(),
        secret_access_key: role["secretAccessKey"].as_str().unwrap().into(),
        session_token: Some(role["sessionToken"].as_str().unwrap().into()),
    };
    let expires = emulator.issued()[0].expires_at;
    let millis = expires
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    assert_eq!(role["expiration"].as_u64(), Some(millis as u64));
    let (status, _) = converse(&emulator, &key, SystemTime::now()).await;
    assert_eq!(status, 200);

    for headers in [
        &[][..],
        &[("x-amz-sso_bearer_token", "expired-or-unknown")][..],
    ] {
        let (parts, bytes) = send(&emulator, plain("GET", path, headers)).await;
        assert_eq!(parts.status, 401);
        assert!(
            parts.headers["x-amzn-errortype"]
                .to_str()
                .unwrap()
                .starts_with("UnauthorizedException:")
        );
        let error: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(error["message"], "Session token not found or invalid");
    }
}

#[tokio::test]
async fn issued_credentials_expire() {
    let config = EmulatorConfig {
        issued_credentials_ttl: Duration::from_secs(2),
        ..Default::default()
    };
    let emulator = Emulator::start(config).await.unwrap();
    let key = imds_credentials(&emulator).await;
    let (status, _) = converse(&emulator, &key, SystemTime::now()).await;
    assert_eq!(status, 200);

    let expires_at = emulator.issued()[0].expires_at;
    let wait = expires_at
        .duration_since(SystemTime::now())
        .unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(50)).await;
    let request = json!({ "messages": [{ "role": "user", "content": [{ "text": "hi" }] }] });
    let signed = signed_request(
        &emulator.addr().to_string(),
        CLAUDE_PATH,
        request.to_string().as_bytes(),
        &key,
        "us-east-1",
        "bedrock",
        SystemTime::now(),
    );
    let (parts, bytes) = send(&emulator, signed).await;
    assert_eq!(parts.status, 403);
    assert_eq!(
        parts.headers["x-amzn-errortype"],
        "ExpiredTokenException:http://internal.amazon.com/coral/com.amazon.coral.service/"
    );
    let error: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        error["message"],
        "The security token included in the request is expired"
    );
    assert_eq!(
        emulator.requests().last().unwrap().auth,
        AuthOutcome::Rejected("ExpiredTokenException".into())
    );

    // A refreshed set works again.
    let fresh = imds_credentials(&emulator).await;
    assert_ne!(fresh.access_key_id, key.access_key_id);
    let (status, _) = converse(&emulator, &fresh, SystemTime::now()).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn clock_skew_moves_the_signature_window_and_the_date_header() {
    let skew = 600;
    let emulator = Emulator::start(EmulatorConfig {
        clock_skew: Some(skew),
        ..Default::default()
    })
    .await
    .unwrap();
    let now = SystemTime::now();
    let (status, bytes) = converse(&emulator, &default_key(), now).await;
    assert_eq!(status, 403);
    let error: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired: "),
        "{error}"
    );

    // A client that takes its time from the emulator's `Date`, as the AWS SDKs do after a
    // skew error, gets through.
    let (parts, _) = send(&emulator, plain("GET", "/no-such-thing", &[])).await;
    let date = parts.headers["date"].to_str().unwrap().to_owned();
    let ahead = now + Duration::from_secs(skew as u64);
    let expected = [
        ahead,
        ahead + Duration::from_secs(1),
        ahead + Duration::from_secs(2),
    ]
    .map(http_date);
    assert!(expected.contains(&date), "{date} not near {}", expected[0]);
    let (status, _) = converse(&emulator, &default_key(), ahead).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn every_answer_has_a_date() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let requests = [
        plain("GET", "/latest/meta-data/iam/security-credentials/", &[]),
        plain("GET", "/v2/credentials/x", &[]),
        plain("GET", "/federation/credentials", &[]),
        plain("POST", "/", &[]),
        plain("POST", CLAUDE_PATH, &[]),
    ];
    for request in requests {
        let (parts, _) = send(&emulator, request).await;
        let date = parts.headers["date"].to_str().unwrap();
        assert!(date.ends_with(" GMT"), "{date}");
        assert_eq!(parts.headers["x-amzn-requestid"].len(), 36);
    }
}
