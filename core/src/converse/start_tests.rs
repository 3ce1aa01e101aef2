//! [`start_stream`] against a scripted platform: the failure sequences of
//! a real call, each checked natively.

use super::*;
use crate::endpoint::converse_stream_path;
use crate::error::{NetworkKind, TimeoutPhase};
use crate::platform::fake::{FakePlatform, Scripted};
use crate::types::{ContentBlock, Message, Role, StreamEvent};
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message as Frame};
use bytes::Bytes;

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

fn converse_url() -> String {
    format!(
        "POST https://bedrock-runtime.us-east-1.amazonaws.com{}",
        converse_stream_path(MODEL)
    )
}

fn env() -> Environment {
    Environment::from_vars([
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        ),
        ("AWS_REGION", "us-east-1"),
    ])
}

fn request() -> ConverseRequest {
    ConverseRequest {
        model_id: MODEL.into(),
        messages: vec![Message {
            role: Role::User,
            content: vec![ContentBlock::Text("Hi".into())],
        }],
        ..Default::default()
    }
}

fn frame(message_type: &str, kind: &str, payload: &str) -> Vec<u8> {
    let type_header = if message_type == "event" {
        ":event-type"
    } else {
        ":exception-type"
    };
    let m = Frame::new(Bytes::from(payload.to_string()))
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String(message_type.to_string().into()),
        ))
        .add_header(Header::new(
            type_header,
            HeaderValue::String(kind.to_string().into()),
        ));
    let mut out = Vec::new();
    write_message_to(&m, &mut out).unwrap();
    out
}

/// A whole short reply, frame by frame.
pub(crate) fn reply() -> Vec<Result<Vec<u8>, Error>> {
    vec![
        Ok(frame("event", "messageStart", r#"{"role":"assistant"}"#)),
        Ok(frame(
            "event",
            "contentBlockDelta",
            r#"{"contentBlockIndex":0,"delta":{"text":"Hello"}}"#,
        )),
        Ok(frame(
            "event",
            "messageStop",
            r#"{"stopReason":"end_turn"}"#,
        )),
    ]
}

/// A 200 whose body is `chunks`.
pub(crate) fn ok(chunks: Vec<Result<Vec<u8>, Error>>) -> Scripted {
    Scripted::Answer {
        status: 200,
        headers: Vec::new(),
        chunks,
    }
}

fn error(status: u16, error_type: &str, message: &str) -> Scripted {
    Scripted::Answer {
        status,
        headers: vec![("x-amzn-ErrorType".into(), error_type.into())],
        chunks: vec![Ok(format!(r#"{{"message":"{message}"}}"#).into_bytes())],
    }
}

fn events(platform: &mut FakePlatform) -> Result<Vec<StreamEvent>, Error> {
    let mut pump = start_stream(platform, env(), ProviderConfig::default(), request())?;
    let mut all = Vec::new();
    while let Some(batch) = pump.next(platform)? {
        all.extend(batch);
    }
    Ok(all)
}

#[test]
fn throttling_then_success() {
    let mut platform = FakePlatform::new()
        .then(
            &converse_url(),
            error(429, "ThrottlingException", "slow down"),
        )
        .then(&converse_url(), ok(reply()));
    assert_eq!(events(&mut platform).unwrap().len(), 3);
    assert_eq!(platform.sent.len(), 2);
    assert_eq!(platform.slept.len(), 1);
}

#[test]
fn an_exception_in_the_first_frame_is_retried() {
    let throttled = frame("exception", "throttlingException", r#"{"message":"slow"}"#);
    let mut platform = FakePlatform::new()
        .then(&converse_url(), ok(vec![Ok(throttled)]))
        .then(&converse_url(), ok(reply()));
    assert_eq!(events(&mut platform).unwrap().len(), 3);
    assert_eq!(platform.sent.len(), 2);
}

/// A reply whose first event is followed by a throttling exception, and
/// a good reply a retry would get.
fn throttled_after_one_event() -> FakePlatform {
    let mut late = reply();
    late.truncate(1);
    late.push(Ok(frame(
        "exception",
        "throttlingException",
        r#"{"message":"slow"}"#,
    )));
    FakePlatform::new()
        .then(&converse_url(), ok(late))
        .then(&converse_url(), ok(reply()))
}

#[test]
fn no_retry_once_an_event_is_delivered() {
    let mut platform = throttled_after_one_event();
    let mut pump =
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
    assert_eq!(pump.next(&mut platform).unwrap().unwrap().len(), 1);
    assert!(matches!(pump.next(&mut platform), Err(Error::Throttled(_))));
    assert_eq!(pump.next(&mut platform), Ok(None));
    assert_eq!(
        platform.sent.len(),
        1,
        "the event went out: no second request"
    );
}

#[test]
fn connect_timeouts_are_retried_host_denials_are_not() {
    let mut platform = FakePlatform::new()
        .then(
            &converse_url(),
            Scripted::Fail(Error::timeout(TimeoutPhase::Connect, None)),
        )
        .then(&converse_url(), ok(reply()));
    assert_eq!(events(&mut platform).unwrap().len(), 3);
    assert_eq!(platform.sent.len(), 2);

    let mut platform = FakePlatform::new()
        .then(
            &converse_url(),
            Scripted::Fail(Error::network(NetworkKind::Denied, "")),
        )
        .then(&converse_url(), ok(reply()));
    assert!(matches!(
        events(&mut platform),
        Err(Error::Network(n)) if n.kind == NetworkKind::Denied
    ));
    assert_eq!(platform.sent.len(), 1);
    assert!(platform.slept.is_empty());
}

#[test]
fn a_skewed_clock_is_corrected_then_the_call_succeeds() {
    let mut platform = FakePlatform::new()
        .then(
            &converse_url(),
            Scripted::Answer {
                status: 403,
                headers: vec![
                    ("x-amzn-ErrorType".into(), "InvalidSignatureException".into()),
                    ("Date".into(), "Thu, 31 Dec 2020 23:40:00 GMT".into()),
                ],
                chunks: vec![Ok(br#"{"message":"Signature expired: 20210101T000000Z is now earlier than 20201231T233500Z"}"#.to_vec())],
            },
        )
        .then(&converse_url(), ok(reply()));
    assert_eq!(events(&mut platform).unwrap().len(), 3);
    let date = |i: usize| {
        platform.sent[i]
            .headers
            .iter()
            .find(|(n, _)| n == "x-amz-date")
            .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
    };
    assert_eq!(date(0).as_deref(), Some("20210101T000000Z"));
    assert_eq!(date(1).as_deref(), Some("20201231T234000Z"));
    assert!(platform.slept.is_empty());
}

#[test]
fn expired_credentials_are_fetched_again_once() {
    const CREDS: &str = "GET http://127.0.0.1:9/creds";
    let creds = |key: &str| {
        format!(
            r#"{{"AccessKeyId":"{key}","SecretAccessKey":"s","Token":"t","Expiration":"2021-01-01T06:00:00Z"}}"#
        )
    };
    let env = Environment::from_vars([
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://127.0.0.1:9/creds",
        ),
        ("AWS_REGION", "us-east-1"),
    ]);
    let mut platform = FakePlatform::new()
        .answer(CREDS, 200, &creds("ASIAOLD"))
        .then(
            &converse_url(),
            error(
                403,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ),
        )
        .answer(CREDS, 200, &creds("ASIANEW"))
        .then(&converse_url(), ok(reply()));
    let mut pump = start_stream(
        &mut platform,
        env.clone(),
        ProviderConfig::default(),
        request(),
    )
    .unwrap();
    assert!(pump.next(&mut platform).unwrap().is_some());
    let lines = platform.sent_lines();
    assert_eq!(lines, [CREDS, &converse_url(), CREDS, &converse_url()]);
    let signed_with = |i: usize| {
        let (_, auth) = platform.sent[i]
            .headers
            .iter()
            .find(|(n, _)| n == "authorization")
            .unwrap();
        String::from_utf8(auth.clone()).unwrap()
    };
    assert!(signed_with(1).contains("Credential=ASIAOLD/"));
    assert!(signed_with(3).contains("Credential=ASIANEW/"));
    assert!(platform.slept.is_empty(), "a correction, not a retry");
}

#[test]
fn a_misspelt_region_is_named_before_anything_is_sent() {
    let env = Environment::from_vars([
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ]);
    let config = ProviderConfig {
        region: Some("us-east1".into()),
        ..Default::default()
    };
    let mut platform = FakePlatform::new();
    let Err(Error::InvalidRegion(bad)) =
        start_stream(&mut platform, env.clone(), config.clone(), request())
    else {
        panic!("expected an invalid region")
    };
    assert_eq!(bad.region, "us-east1");
    assert!(platform.sent.is_empty());
    let shown = crate::types::ProviderError::from(Error::InvalidRegion(bad));
    assert!(
        matches!(&shown, crate::types::ProviderError::InvalidRequest(m) if m.contains("not a valid AWS region")),
        "{shown:?}"
    );
}

#[test]
fn a_regional_base_url_sets_the_region_and_a_disagreeing_one_is_refused() {
    let keys = [
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
    ];
    let config = ProviderConfig {
        base_url: Some("https://bedrock-runtime.eu-west-3.amazonaws.com".into()),
        ..Default::default()
    };
    let url = format!(
        "POST https://bedrock-runtime.eu-west-3.amazonaws.com{}",
        converse_stream_path(MODEL)
    );
    // No region configured: the call is signed for the URL's region.
    let mut platform = FakePlatform::new().then(&url, ok(reply()));
    start_stream(
        &mut platform,
        Environment::from_vars(keys),
        config.clone(),
        request(),
    )
    .unwrap();
    let auth = platform.sent[0]
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .unwrap();
    assert!(auth.contains("/eu-west-3/bedrock/aws4_request"), "{auth}");

    // AWS_REGION says otherwise: a typed error, nothing sent.
    let env = Environment::from_vars(keys.into_iter().chain([("AWS_REGION", "us-east-1")]));
    let mut platform = FakePlatform::new();
    let Err(error @ Error::RegionConflict(_)) =
        start_stream(&mut platform, env.clone(), config.clone(), request())
    else {
        panic!("expected a region conflict")
    };
    assert!(platform.sent.is_empty());
    let crate::types::ProviderError::InvalidRequest(message) = error.into() else {
        panic!("a conflict is an invalid request")
    };
    assert!(
        message.starts_with(
            "base-url https://bedrock-runtime.eu-west-3.amazonaws.com is in eu-west-3 but the \
             region is us-east-1"
        ),
        "{message}"
    );

    // An ARN of another region than the URL's is refused the same way.
    let mut arn_request = request();
    arn_request.model_id =
        "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0".into();
    let Err(Error::RegionConflict(conflict)) = start_stream(
        &mut FakePlatform::new(),
        Environment::from_vars(keys),
        config.clone(),
        arn_request.clone(),
    ) else {
        panic!("expected a region conflict")
    };
    assert_eq!(conflict.source, "the model ARN");
}

/// Steps `stream` with `try_next` as a host would: each empty batch is one
/// wait, on what `waiting_on` named (`Response`, `Until` or `Body`).
fn pull_without_waiting(
    platform: &mut FakePlatform,
    stream: &mut ConverseStream<FakePlatform>,
) -> (Result<Vec<StreamEvent>, Error>, Vec<&'static str>) {
    let (mut all, mut waits) = (Vec::new(), Vec::new());
    loop {
        match stream.try_next(platform) {
            Ok(Some(batch)) if batch.is_empty() => {}
            Ok(Some(batch)) => {
                all.extend(batch);
                continue;
            }
            Ok(None) => return (Ok(all), waits),
            Err(error) => return (Err(error), waits),
        }
        waits.push(match stream.waiting_on() {
            Wait::Response(_) => "response",
            Wait::Until(until) => {
                // The caller's clock runs on to the end of the backoff.
                platform.now = platform.now.max(until);
                "backoff"
            }
            Wait::Body(_) => "body",
            Wait::Nothing => "nothing",
        });
    }
}

#[test]
fn the_call_returns_before_the_response_head() {
    let mut platform = FakePlatform::new().then(&converse_url(), ok(reply()));
    platform.head_polls = 3;
    let mut stream =
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).expect("started");
    assert_eq!(platform.sent.len(), 1, "the request is out");
    assert!(matches!(stream.waiting_on(), Wait::Response(_)));
    let (events, waits) = pull_without_waiting(&mut platform, &mut stream);
    assert_eq!(events.unwrap().len(), 3);
    assert_eq!(waits, ["response"; 3]);
    assert!(platform.slept.is_empty(), "the platform never slept");
    assert_eq!(stream.try_next(&mut platform), Ok(None));
}

#[test]
fn retries_wait_outside_with_the_same_rules() {
    let throttled = frame("exception", "throttlingException", r#"{"message":"slow"}"#);
    let mut platform = FakePlatform::new()
        .then(
            &converse_url(),
            error(429, "ThrottlingException", "slow down"),
        )
        .then(&converse_url(), ok(vec![Ok(throttled)]))
        .then(&converse_url(), ok(reply()));
    platform.head_polls = 1;
    let started = platform.now;
    let mut stream =
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
    let (events, waits) = pull_without_waiting(&mut platform, &mut stream);
    assert_eq!(events.unwrap().len(), 3);
    assert_eq!(
        waits,
        ["response", "backoff", "response", "backoff", "response"]
    );
    assert_eq!(platform.sent.len(), 3);
    assert!(platform.slept.is_empty());
    // Full jitter at 0.5: half of 1 s, then half of 2 s.
    assert_eq!(
        platform.now.duration_since(started).unwrap(),
        std::time::Duration::from_millis(1500)
    );
}

#[test]
fn a_given_up_call_fails_in_next_once() {
    let unavailable = || error(503, "ServiceUnavailableException", "busy");
    let mut platform = FakePlatform::new()
        .then(&converse_url(), unavailable())
        .then(&converse_url(), unavailable())
        .then(&converse_url(), unavailable());
    let mut stream =
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
    let (events, waits) = pull_without_waiting(&mut platform, &mut stream);
    assert!(matches!(events, Err(Error::ServiceUnavailable(_))));
    assert_eq!(waits, ["backoff"; 2]);
    assert_eq!(platform.sent.len(), 3);
    assert!(matches!(stream.waiting_on(), Wait::Nothing));
    assert_eq!(stream.try_next(&mut platform), Ok(None), "terminal");

    // A first-byte timeout means the request was taken: never sent again.
    let mut platform = FakePlatform::new().then(
        &converse_url(),
        Scripted::Fail(Error::timeout(TimeoutPhase::FirstByte, None)),
    );
    platform.head_polls = 2;
    let mut stream =
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
    let (events, waits) = pull_without_waiting(&mut platform, &mut stream);
    assert!(matches!(events, Err(Error::Timeout(_))));
    assert_eq!((waits, platform.sent.len()), (vec!["response"; 2], 1));
}

#[test]
fn no_retry_once_an_event_is_handed_out_without_waiting() {
    let mut platform = throttled_after_one_event();
    let mut stream =
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
    assert_eq!(stream.try_next(&mut platform).unwrap().unwrap().len(), 1);
    assert!(matches!(
        stream.try_next(&mut platform),
        Err(Error::Throttled(_))
    ));
    assert_eq!(stream.try_next(&mut platform), Ok(None));
    assert_eq!(platform.sent.len(), 1);
}

#[test]
fn an_error_body_is_read_without_waiting() {
    let throttled = || Scripted::Answer {
        status: 429,
        headers: vec![("x-amzn-ErrorType".into(), "ThrottlingException".into())],
        chunks: vec![
            Ok(Vec::new()),
            Ok(br#"{"message":"slow"#.to_vec()),
            Ok(Vec::new()),
            Ok(br#" down"}"#.to_vec()),
        ],
    };
    let mut platform = FakePlatform::new()
        .then(&converse_url(), throttled())
        .then(&converse_url(), ok(reply()));
    let mut stream =
        start_stream(&mut platform, env(), ProviderConfig::default(), request()).unwrap();
    let (events, waits) = pull_without_waiting(&mut platform, &mut stream);
    assert_eq!(events.unwrap().len(), 3);
    assert_eq!(waits, ["body", "body", "backoff"]);

    // Given up, the answer is classified from the whole body read.
    let once = ProviderConfig {
        max_attempts: Some(1),
        ..Default::default()
    };
    let mut platform = FakePlatform::new().then(&converse_url(), throttled());
    let mut stream = start_stream(&mut platform, env(), once, request()).unwrap();
    let (events, waits) = pull_without_waiting(&mut platform, &mut stream);
    assert!(
        matches!(&events, Err(Error::Throttled(d)) if d.message == "slow down"),
        "{events:?}"
    );
    assert_eq!(waits, ["body", "body"]);
}
