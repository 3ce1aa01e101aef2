//! What happens before the first event: retries of transient failures, the
//! one-off clock-skew correction, and never a retry once events flowed.

use bedrock_emulator::{Emulator, EmulatorConfig};
use bedrock_host::types::ProviderError;
use integration_tests::*;

fn converse_calls(emulator: &Emulator) -> usize {
    emulator.requests().iter().filter(|r| r.raw_path.ends_with("/converse-stream")).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_failures_are_retried_up_to_max_attempts() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let error = converse(&host, &config(), &request(MODEL, "[emulator status=503]")).await.unwrap_err();
    assert!(matches!(error, ProviderError::ServiceUnavailable(_)), "{error:?}");
    assert_eq!(converse_calls(&emulator), 3, "the default is three attempts");

    let mut cfg = config();
    cfg.max_attempts = Some(1);
    converse(&host, &cfg, &request(MODEL, "[emulator status=429]")).await.unwrap_err();
    assert_eq!(converse_calls(&emulator), 4, "max-attempts 1 never retries");
}

#[tokio::test(flavor = "multi_thread")]
async fn client_errors_are_not_retried() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    for status in [400, 403, 404] {
        converse(&host, &config(), &request(MODEL, &format!("[emulator status={status}]"))).await.unwrap_err();
    }
    assert_eq!(converse_calls(&emulator), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_is_retried_once_events_were_handed_out() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let outcome = converse(&host, &config(), &request(MODEL, "[emulator exception=throttlingException]")).await.unwrap();
    assert!(matches!(outcome.error, Some(ProviderError::Throttled(_))));
    assert_eq!(converse_calls(&emulator), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_skewed_clock_is_corrected_from_the_server_date_once() {
    // The emulator's clock runs 20 minutes ahead: AWS refuses a signature more
    // than 5 minutes off, and says what time it is in `Date`.
    let emulator = Emulator::start(EmulatorConfig { clock_skew: Some(1200), ..Default::default() }).await.unwrap();
    let host = host(&sigv4_env(&emulator));
    let outcome = converse(&host, &config(), &request(MODEL, "Hi")).await.unwrap();
    assert_eq!(outcome.error, None);
    assert_eq!(converse_calls(&emulator), 2, "one refusal, one corrected signature");
}
