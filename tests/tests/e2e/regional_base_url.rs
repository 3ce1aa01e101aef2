//! A standard regional `base-url` sets the region when none is configured, and a
//! configured region that disagrees fails the call with a typed error before anything is
//! signed or sent; the same host then serves a normal call.

use bedrock_host::types::{ProviderConfig, ProviderError};
use integration_tests::*;

const PARIS: &str = "https://bedrock-runtime.eu-west-3.amazonaws.com";

fn regional() -> ProviderConfig {
    ProviderConfig {
        base_url: Some(PARIS.into()),
        ..config()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_region_follows_a_regional_base_url() {
    let emulator = emulator().await;
    let env: Vec<_> = sigv4_env(&emulator)
        .into_iter()
        .filter(|(name, _)| *name != "AWS_REGION")
        .collect();
    let host = host(&env);
    let info = host.credential_source(&regional()).await.unwrap().unwrap();
    assert_eq!(info.region, "eu-west-3");
    let info = host.credential_source(&config()).await.unwrap().unwrap();
    assert_eq!(info.region, "us-east-1", "no base-url: the default");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disagreeing_region_is_a_typed_error_and_nothing_is_sent() {
    let emulator = emulator().await;
    // AWS_REGION=us-east-1, as sigv4_env sets it.
    let host = host(&sigv4_env(&emulator));
    let error = converse(&host, &regional(), &request(MODEL, "Hi"))
        .await
        .unwrap_err();
    let ProviderError::InvalidRequest(message) = &error else {
        panic!("{error:?}")
    };
    assert!(
        message.contains(&format!(
            "base-url {PARIS} is in eu-west-3 but the region is us-east-1 (from AWS_REGION)"
        )),
        "{message}"
    );
    assert!(emulator.requests().is_empty(), "nothing was sent");

    // The same host then serves a normal call.
    let outcome = converse(&host, &config(), &request(MODEL, "Hi"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
    assert!(!outcome.text().is_empty());
}
