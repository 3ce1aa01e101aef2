//! ConverseStream end to end: the component in the host, against the emulator.

use bedrock_emulator::{AuthOutcome, Emulator, StreamEnd, reply_text};
use bedrock_host::EventStream;
use bedrock_host::types::{
    ImageFormat, ImageFragment, ProviderError, Role, StopReason, StreamEvent, ToolResultContent,
    ToolResultDelta, ToolResultStart,
};
use integration_tests::*;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn sigv4_streams_a_text_reply() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let outcome = converse(&host, &config(), &request(MODEL, "Hello there"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
    assert_eq!(
        outcome.events.first(),
        Some(&StreamEvent::MessageStart(Role::Assistant))
    );
    assert_eq!(outcome.text(), reply_text(24));
    let stops = outcome.stops();
    assert_eq!(stops.len(), 1);
    assert_eq!(
        (stops[0].reason, stops[0].raw_reason.as_str()),
        (StopReason::Stop, "end_turn")
    );
    let Some(StreamEvent::Metadata(meta)) = outcome.events.last() else {
        panic!("metadata comes last")
    };
    let usage = meta.usage.as_ref().unwrap();
    assert_eq!(usage.output_tokens, 24);
    assert_eq!(usage.total_tokens, usage.input_tokens + usage.output_tokens);
    assert!(meta.latency_ms.is_some());
    let recorded = emulator.requests();
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].auth,
        AuthOutcome::SigV4 {
            access_key_id: ACCESS_KEY_ID.into()
        }
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn temporary_keys_send_the_session_token() {
    let emulator = emulator().await;
    let host = host(&[
        ("AWS_ENDPOINT_URL", emulator.endpoint()),
        ("AWS_ACCESS_KEY_ID", "ASIDEXAMPLESESSION".into()),
        (
            "AWS_SECRET_ACCESS_KEY",
            "sessionSecretEXAMPLEKEY/sessionSecret0000".into(),
        ),
        ("AWS_SESSION_TOKEN", "session-token-EXAMPLE".into()),
    ]);
    let outcome = converse(&host, &config(), &request(MODEL, "Hi"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
    let headers = &emulator.requests()[0].headers;
    assert!(headers.iter().any(
        |(k, v)| k.eq_ignore_ascii_case("x-amz-security-token") && v == "session-token-EXAMPLE"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_token_streams_a_text_reply() {
    let emulator = emulator().await;
    let host = host(&bearer_env(&emulator));
    let outcome = converse(&host, &config(), &request(MODEL, "Hello"))
        .await
        .unwrap();
    assert_eq!(outcome.text(), reply_text(24));
    assert_eq!(emulator.requests()[0].auth, AuthOutcome::Bearer);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_is_a_typed_auth_error_without_the_secret() {
    let emulator = emulator().await;
    let wrong = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYWRONGEXAMPLE";
    let mut env = sigv4_env(&emulator);
    env.retain(|(k, _)| *k != "AWS_SECRET_ACCESS_KEY");
    env.push(("AWS_SECRET_ACCESS_KEY", wrong.into()));
    let error = converse(&host(&env), &config(), &request(MODEL, "Hi"))
        .await
        .unwrap_err();
    let ProviderError::Auth(detail) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(detail.status, Some(403));
    assert_eq!(detail.code.as_deref(), Some("InvalidSignatureException"));
    assert!(
        detail
            .message
            .contains("signature we calculated does not match"),
        "{}",
        detail.message
    );
    let shown = format!("{error:?}");
    assert!(
        !shown.contains(wrong) && !shown.contains(SECRET_ACCESS_KEY),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_api_key_is_refused() {
    let emulator = emulator().await;
    let mut env = bearer_env(&emulator);
    env.retain(|(k, _)| *k != "AWS_BEARER_TOKEN_BEDROCK");
    env.push(("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-WRONG".into()));
    let error = converse(&host(&env), &config(), &request(MODEL, "Hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ProviderError::AccessDenied(d) if d.status == Some(403)),
        "{error:?}"
    );
    assert!(!format!("{error:?}").contains("bedrock-api-key-WRONG"));
}

#[tokio::test(flavor = "multi_thread")]
async fn model_ids_with_colons_are_percent_encoded() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let outcome = converse(&host, &config(), &request("amazon.nova-lite-v1:0", "Hi"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
    let recorded = &emulator.requests()[0];
    assert_eq!(
        recorded.raw_path,
        "/model/amazon.nova-lite-v1%3A0/converse-stream"
    );
    assert_eq!(recorded.model_id.as_deref(), Some("amazon.nova-lite-v1:0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn inference_profile_arns_work_and_carry_their_region() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0";
    let outcome = converse(&host, &config(), &request(arn, "Hi"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
    let recorded = &emulator.requests()[0];
    assert_eq!(
        recorded.raw_path,
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-20250514-v1%3A0/converse-stream"
    );
    assert_eq!(recorded.model_id.as_deref(), Some(arn));

    // The ARN's region beats AWS_REGION: the signature is scoped to
    // eu-west-1, which this us-east-1 endpoint refuses as AWS would.
    let arn = "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0";
    let error = converse(&host, &config(), &request(arn, "Hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ProviderError::Auth(d) if d.message.contains("region")),
        "{error:?}"
    );
    let auth = emulator.requests()[1]
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .unwrap()
        .1
        .clone();
    assert!(auth.contains("/eu-west-1/bedrock/aws4_request"), "{auth}");
}

#[tokio::test(flavor = "multi_thread")]
async fn max_tokens_and_stop_sequences_end_the_reply() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let mut req = request(MODEL, "Hi");
    req.max_tokens = Some(5);
    let outcome = converse(&host, &config(), &req).await.unwrap();
    assert_eq!(outcome.text(), reply_text(5));
    let stop = outcome.stops()[0];
    assert_eq!(
        (stop.reason, stop.raw_reason.as_str()),
        (StopReason::Length, "max_tokens")
    );

    let words: Vec<String> = reply_text(24).split(' ').map(str::to_string).collect();
    let mut req = request(MODEL, "Hi");
    req.stop_sequences = vec![words[3].clone()];
    let outcome = converse(&host, &config(), &req).await.unwrap();
    let stop = outcome.stops()[0];
    assert_eq!(
        (stop.reason, stop.raw_reason.as_str()),
        (StopReason::Stop, "stop_sequence")
    );
    assert!(!outcome.text().contains(&words[3]));
}

/// Whether an error is the one a case expects.
type ErrorCheck = fn(&ProviderError) -> bool;

#[tokio::test(flavor = "multi_thread")]
async fn in_stream_exceptions_are_typed_errors_after_the_events_before_them() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let cases: [(&str, ErrorCheck); 5] = [
        ("internalServerException", |e| {
            matches!(e, ProviderError::InternalServer(_))
        }),
        ("modelStreamErrorException", |e| {
            matches!(e, ProviderError::ModelStreamError(_))
        }),
        ("validationException", |e| {
            matches!(e, ProviderError::Validation(_))
        }),
        ("throttlingException", |e| {
            matches!(e, ProviderError::Throttled(_))
        }),
        ("serviceUnavailableException", |e| {
            matches!(e, ProviderError::ServiceUnavailable(_))
        }),
    ];
    for (exception, expected) in cases {
        let prompt = format!("[emulator exception={exception}]");
        let outcome = converse(&host, &config(), &request(MODEL, &prompt))
            .await
            .unwrap();
        let error = outcome
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{exception}: no error"));
        assert!(expected(error), "{exception}: {error:?}");
        assert_eq!(
            outcome.events.len(),
            3,
            "{exception}: messageStart and two deltas come first"
        );
        assert!(outcome.stops().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn http_errors_are_typed() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let cases: [(u16, ErrorCheck); 6] = [
        (400, |e| matches!(e, ProviderError::Validation(_))),
        (403, |e| matches!(e, ProviderError::AccessDenied(_))),
        (404, |e| matches!(e, ProviderError::ModelNotFound(_))),
        (
            429,
            |e| matches!(e, ProviderError::Throttled(d) if d.message.contains("Too many requests")),
        ),
        (500, |e| matches!(e, ProviderError::InternalServer(_))),
        (503, |e| matches!(e, ProviderError::ServiceUnavailable(_))),
    ];
    for (status, expected) in cases {
        let prompt = format!("[emulator status={status}]");
        let error = converse(&host, &config(), &request(MODEL, &prompt))
            .await
            .unwrap_err();
        assert!(expected(&error), "{status}: {error:?}");
    }
    let error = converse(&host, &config(), &request("emulator.missing-model", "Hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::ModelNotFound(_)),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn broken_streams_end_in_a_protocol_error_never_a_clean_stop() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    for (directive, needle) in [
        ("corrupt-crc", "checksum"),
        ("truncate", "ended"),
        ("huge-frame", "limit"),
        ("non-json", "malformed"),
    ] {
        let prompt = format!("[emulator {directive}]");
        let outcome = converse(&host, &config(), &request(MODEL, &prompt))
            .await
            .unwrap();
        let Some(ProviderError::Protocol(message)) = &outcome.error else {
            panic!("{directive}: {:?}", outcome.error)
        };
        assert!(
            message.to_lowercase().contains(needle),
            "{directive}: {message}"
        );
        assert!(
            outcome.stops().is_empty(),
            "{directive}: no stop event before the error"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_stream_times_out() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let mut cfg = config();
    cfg.between_bytes_timeout_ms = Some(300);
    let started = std::time::Instant::now();
    let outcome = converse(&host, &cfg, &request(MODEL, "[emulator stall]"))
        .await
        .unwrap();
    assert!(
        matches!(outcome.error, Some(ProviderError::Timeout(_))),
        "{:?}",
        outcome.error
    );
    assert_eq!(
        outcome.events,
        vec![StreamEvent::MessageStart(Role::Assistant)]
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_streams_replay_through_the_component() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let outcome = converse(
        &host,
        &config(),
        &request(MODEL, "[emulator replay=amazon-bedrock-reasoning]"),
    )
    .await
    .unwrap();
    assert_eq!(outcome.error, None);
    assert!(
        outcome
            .events
            .iter()
            .any(|e| matches!(e, StreamEvent::ReasoningDelta(_)))
    );
    assert!(
        outcome
            .events
            .iter()
            .any(|e| matches!(e, StreamEvent::ReasoningSignature(_)))
    );
    let outcome = converse(
        &host,
        &config(),
        &request(MODEL, "[emulator replay=amazon-bedrock-tool-call.1]"),
    )
    .await
    .unwrap();
    assert!(
        outcome
            .events
            .iter()
            .any(|e| matches!(e, StreamEvent::ToolUseStart(_)))
    );
    assert!(
        outcome
            .events
            .iter()
            .any(|e| matches!(e, StreamEvent::ToolInputDelta(_)))
    );
    assert_eq!(outcome.stops()[0].reason, StopReason::ToolUse);
}

#[tokio::test(flavor = "multi_thread")]
async fn many_concurrent_streams_each_get_their_whole_reply() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let tasks: Vec<_> = (1..=40)
        .map(|i| {
            let host = host.clone();
            tokio::spawn(async move {
                let mut req = request(MODEL, &format!("[emulator words={i}]"));
                req.max_tokens = Some(1000);
                (i, converse(&host, &config(), &req).await.unwrap())
            })
        })
        .collect();
    for task in tasks {
        let (i, outcome) = task.await.unwrap();
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.text(), reply_text(i), "stream {i}");
        assert_eq!(outcome.stops().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn server_tool_results_and_generated_images_are_typed_events() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let outcome = converse(
        &host,
        &config(),
        &request(MODEL, "[emulator tool-result-image words=3]"),
    )
    .await
    .unwrap();
    assert_eq!(outcome.error, None);
    let e = &outcome.events;
    assert!(
        matches!(&e[1], StreamEvent::ToolUseStart(s) if s.index == 0 && s.name == "web_search"),
        "{:?}",
        e[1]
    );
    let StreamEvent::ToolUseStart(call) = &e[1] else {
        unreachable!()
    };
    assert!(e.contains(&StreamEvent::ToolResultStart(ToolResultStart {
        index: 1,
        tool_use_id: call.id.clone(),
        tool_type: None,
        is_error: false,
    })));
    assert!(e.contains(&StreamEvent::ToolResultDelta(ToolResultDelta {
        index: 1,
        content: vec![
            ToolResultContent::Text("sunny".into()),
            ToolResultContent::Json(r#"{"celsius":21}"#.into())
        ],
    })));
    assert!(e.iter().any(
        |e| matches!(e, StreamEvent::ImageStart(s) if s.index == 2 && s.format == ImageFormat::Png)
    ));
    let image: Vec<u8> = e
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ImageDelta(d) if d.index == 2 => match &d.fragment {
                ImageFragment::Bytes(bytes) => Some(bytes.clone()),
                other => panic!("{other:?}"),
            },
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        image, b"\x89PNG\r\n\x1a\n",
        "the fragments concatenate to the image"
    );
    let stops: Vec<u32> = e
        .iter()
        .filter_map(|e| {
            if let StreamEvent::BlockStop(i) = e {
                Some(*i)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(stops, [0, 1, 2, 3]);
    assert_eq!(outcome.text(), reply_text(3));
    assert_eq!(outcome.stops().len(), 1);
}

/// Starts a long, slow reply and reads its first batch.
async fn a_slow_stream(emulator: &Emulator) -> EventStream {
    let host = host(&sigv4_env(emulator));
    let mut stream = host
        .converse_stream(&config(), &request(MODEL, "[emulator words=1000 slow=20]"))
        .await
        .unwrap()
        .unwrap();
    let batch = stream.next().await.unwrap().unwrap().unwrap();
    assert!(!batch.is_empty());
    assert_eq!(
        emulator.streams()[0].end,
        StreamEnd::Open,
        "still streaming while the client holds it"
    );
    stream
}

/// How long after `since` the emulator saw the client of its only stream go
/// away; fails after 5 s.
async fn disconnect_seen(emulator: &Emulator, since: Instant) -> Duration {
    while since.elapsed() < Duration::from_secs(5) {
        let streams = emulator.streams();
        assert_eq!(streams.len(), 1);
        match streams[0].end {
            StreamEnd::Open => tokio::time::sleep(Duration::from_millis(5)).await,
            StreamEnd::ClientGone => {
                let ended = streams[0].ended_at.unwrap();
                let seen = ended
                    .checked_duration_since(since)
                    .expect("the stream ended after the client let go");
                assert!(
                    streams[0].chunks_sent < 1000,
                    "the reply was cut short: {:?}",
                    streams[0]
                );
                return seen;
            }
            other => panic!("the stream ended as {other:?}, not by the client going away"),
        }
    }
    panic!(
        "the emulator did not see the client go away within 5 s: {:?}",
        emulator.streams()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dropping_a_stream_closes_the_connection_promptly() {
    let emulator = emulator().await;
    let stream = a_slow_stream(&emulator).await;
    let dropped = Instant::now();
    drop(stream);
    let seen = disconnect_seen(&emulator, dropped).await;
    eprintln!("drop: the emulator saw the disconnect {seen:?} later");
}

#[tokio::test(flavor = "multi_thread")]
async fn closing_a_stream_closes_the_connection_promptly() {
    let emulator = emulator().await;
    let stream = a_slow_stream(&emulator).await;
    let closed = Instant::now();
    stream.close().await.unwrap();
    let seen = disconnect_seen(&emulator, closed).await;
    eprintln!("close: the emulator saw the disconnect {seen:?} later");
}

/// Every request feature at once, so the botocore check of recorded bodies
/// (`scripts/test.sh`) sees each mapping: two models, as Claude and Nova take
/// reasoning and cache points differently.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_using_every_feature_is_accepted() {
    use bedrock_host::types::*;
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let image = ImageBlock {
        format: ImageFormat::Png,
        data: b"\x89PNG\r\n\x1a\n".to_vec(),
    };
    let document = DocumentBlock {
        format: DocumentFormat::Pdf,
        name: "Report (v2)".into(),
        data: b"%PDF-1.4".to_vec(),
    };
    // Thinking the emulator issued: with thinking on, it refuses any other.
    let mut issued = Vec::new();
    for directives in [
        "tool-use=get_weather",
        "tool-use=get_weather redacted-thinking",
    ] {
        let mut turn = request(
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            &format!("Weather? [emulator {directives}]"),
        );
        turn.temperature = None;
        turn.reasoning = Some(ReasoningLevel::Low);
        let outcome = converse(&host, &config(), &turn).await.unwrap();
        issued.push(outcome.assistant_message().content.remove(0));
    }
    let [signed, redacted] = <[ContentBlock; 2]>::try_from(issued).unwrap();
    assert!(matches!(signed, ContentBlock::Reasoning(_)), "{signed:?}");
    assert!(
        matches!(redacted, ContentBlock::RedactedReasoning(_)),
        "{redacted:?}"
    );
    let messages = vec![
        Message {
            role: Role::User,
            content: vec![
                ContentBlock::Text("Look at these.".into()),
                ContentBlock::Image(image.clone()),
                ContentBlock::Document(document.clone()),
            ],
        },
        Message {
            role: Role::Assistant,
            content: vec![
                signed,
                redacted,
                ContentBlock::Text("Let me check.".into()),
                ContentBlock::ToolUse(ToolUseBlock {
                    id: "call_1|x".into(),
                    name: "get_weather".into(),
                    input_json: r#"{"city":"Paris"}"#.into(),
                }),
            ],
        },
        Message {
            role: Role::User,
            content: vec![
                ContentBlock::ToolResult(ToolResultBlock {
                    tool_use_id: "call_1|x".into(),
                    content: vec![
                        ToolResultContent::Text("sunny".into()),
                        ToolResultContent::Json(r#"{"celsius":21}"#.into()),
                        ToolResultContent::Image(image),
                        ToolResultContent::Document(document),
                    ],
                    is_error: false,
                }),
                ContentBlock::Text("And tomorrow?".into()),
            ],
        },
    ];
    // Claude cannot think while forced to call a tool.
    let cases = [
        (
            MODEL,
            ReasoningLevel::Medium,
            ToolChoice::Tool("get_weather".into()),
        ),
        (
            "us.anthropic.claude-sonnet-4-20250514-v1:0",
            ReasoningLevel::High,
            ToolChoice::Auto,
        ),
        ("amazon.nova-pro-v1:0", ReasoningLevel::Low, ToolChoice::Any),
    ];
    for (model, reasoning, tool_choice) in cases {
        let mut req = request(model, "unused");
        req.messages = messages.clone();
        req.tools = vec![ToolSpec {
            name: "get_weather".into(),
            description: Some("The weather in a city.".into()),
            input_schema_json:
                r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#
                    .into(),
        }];
        req.tool_choice = Some(tool_choice);
        req.max_tokens = Some(2000);
        req.temperature = None;
        req.top_p = Some(0.9);
        req.stop_sequences = vec!["END".into()];
        req.reasoning = Some(reasoning);
        req.cache_retention = Some(CacheRetention::Short);
        req.bedrock = Some(BedrockRequestOptions {
            guardrail: Some(GuardrailConfig {
                identifier: "gr-123".into(),
                version: "1".into(),
                trace: Some("enabled".into()),
                stream_processing_mode: Some("async".into()),
            }),
            latency: Some("optimized".into()),
            service_tier: Some("priority".into()),
            request_metadata: vec![("team".into(), "search".into())],
            additional_model_request_fields: Some(r#"{"top_k":5}"#.into()),
            additional_model_response_field_paths: vec!["/stop_sequence".into()],
        });
        let outcome = converse(&host, &config(), &req)
            .await
            .unwrap_or_else(|e| panic!("{model}: {e:?}"));
        assert_eq!(outcome.error, None, "{model}");
    }
}
