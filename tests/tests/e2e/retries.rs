//! What happens before the first event: retries of transient failures, the
//! one-off clock-skew correction, and never a retry once events flowed.

use bedrock_emulator::reply_text;
use bedrock_emulator::{Emulator, EmulatorConfig};
use bedrock_host::types::{ProviderError, Role, StreamEvent};
use integration_tests::*;

fn converse_calls(emulator: &Emulator) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.raw_path.ends_with("/converse-stream"))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_failures_are_retried_up_to_max_attempts() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let error = converse(&host, &config(), &request(MODEL, "[emulator status=503]"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::ServiceUnavailable(_)),
        "{error:?}"
    );
    assert_eq!(
        converse_calls(&emulator),
        3,
        "the default is three attempts"
    );

    let mut cfg = config();
    cfg.max_attempts = Some(1);
    converse(&host, &cfg, &request(MODEL, "[emulator status=429]"))
        .await
        .unwrap_err();
    assert_eq!(converse_calls(&emulator), 4, "max-attempts 1 never retries");
}

#[tokio::test(flavor = "multi_thread")]
async fn client_errors_are_not_retried() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    for status in [400, 403, 404] {
        converse(
            &host,
            &config(),
            &request(MODEL, &format!("[emulator status={status}]")),
        )
        .await
        .unwrap_err();
    }
    assert_eq!(converse_calls(&emulator), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_retried_once_events_were_handed_out() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let outcome = converse(
        &host,
        &config(),
        &request(MODEL, "[emulator exception=throttlingException]"),
    )
    .await
    .unwrap();
    assert!(matches!(outcome.error, Some(ProviderError::Throttled(_))));
    assert_eq!(converse_calls(&emulator), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exception_as_the_first_frame_is_retried_like_an_http_error() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let mut calls = 0;
    for exception in [
        "throttlingException",
        "serviceUnavailableException",
        "modelNotReadyException",
    ] {
        // 200, then the exception before any event, twice; the third attempt streams.
        let prompt = format!("[emulator exception={exception} exception-after=0 fail-first=2]");
        let outcome = converse(&host, &config(), &request(MODEL, &prompt))
            .await
            .unwrap();
        assert_eq!(outcome.error, None, "{exception}");
        calls += 3;
        assert_eq!(
            converse_calls(&emulator),
            calls,
            "{exception}: two refusals, one reply"
        );
        assert_eq!(
            outcome.text(),
            reply_text(24),
            "{exception}: every word once"
        );
        let starts = outcome
            .events
            .iter()
            .filter(|e| **e == StreamEvent::MessageStart(Role::Assistant))
            .count();
        assert_eq!(
            (starts, outcome.stops().len()),
            (1, 1),
            "{exception}: nothing duplicated"
        );
    }
    // Out of attempts: the exception comes back from converse-stream itself.
    let prompt = "[emulator exception=throttlingException exception-after=0]";
    let error = converse(&host, &config(), &request(MODEL, prompt))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ProviderError::Throttled(d) if d.code.as_deref() == Some("ThrottlingException")),
        "{error:?}"
    );
    assert_eq!(converse_calls(&emulator), calls + 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exception_after_a_delivered_event_is_not_retried() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    // A retry would succeed (only the first attempt fails), but messageStart
    // already reached the host: sending again could duplicate it.
    let prompt = "[emulator exception=throttlingException exception-after=1 fail-first=1]";
    let outcome = converse(&host, &config(), &request(MODEL, prompt))
        .await
        .unwrap();
    assert!(
        matches!(outcome.error, Some(ProviderError::Throttled(_))),
        "{:?}",
        outcome.error
    );
    assert_eq!(
        outcome.events,
        vec![StreamEvent::MessageStart(Role::Assistant)]
    );
    assert_eq!(converse_calls(&emulator), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_skewed_clock_is_corrected_from_the_server_date_once() {
    // The emulator's clock runs 20 minutes ahead: AWS refuses a signature more
    // than 5 minutes off, and says what time it is in `Date`.
    let emulator = Emulator::start(EmulatorConfig {
        clock_skew: Some(1200),
        ..Default::default()
    })
    .await
    .unwrap();
    let host = host(&sigv4_env(&emulator));
    let outcome = converse(&host, &config(), &request(MODEL, "Hi"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
    assert_eq!(
        converse_calls(&emulator),
        2,
        "one refusal, one corrected signature"
    );

    // The correction is in the host's cache: the next call (a fresh instance)
    // signs with it from the start.
    let outcome = converse(&host, &config(), &request(MODEL, "Hi again"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
    assert_eq!(
        converse_calls(&emulator),
        3,
        "the second call needs one attempt"
    );
}
