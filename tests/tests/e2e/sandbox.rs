//! The sandbox around the component: outbound allow-list, traps, secrets.

use bedrock_host::types::{CredentialKind, ProviderError};
use integration_tests::*;

#[tokio::test(flavor = "multi_thread")]
async fn hosts_outside_the_allow_list_are_refused() {
    // No endpoint override: the guest goes to bedrock-runtime.{region}.amazonaws.com.
    let host = host(&[
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.into()),
    ]);
    let mut cfg = config();
    cfg.region = Some("attacker.example.com#".into());
    let error = converse(&host, &cfg, &request(MODEL, "Hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ProviderError::InvalidRequest(m) if m.contains("not a valid AWS region")),
        "{error:?}"
    );
    // A hostname label that is no AWS region name is refused as such, by
    // name, before anything is sent.
    cfg.region = Some("us-east1".into());
    let error = converse(&host, &cfg, &request(MODEL, "Hi"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ProviderError::InvalidRequest(m) if m.contains("`us-east1` is not a valid AWS region")),
        "{error:?}"
    );
    // A destination off the allow-list gets as far as the host, which
    // refuses it: see the credentials tests (an STS endpoint only a profile names).
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trapping_call_fails_alone_and_the_host_keeps_serving() {
    let emulator = emulator().await;
    let host = host_with(&sigv4_env(&emulator), |c| c.memory_limit = 8 * 1024 * 1024);
    // A prompt larger than the instance may hold: the guest cannot allocate
    // it and traps.
    let huge = "x".repeat(16 * 1024 * 1024);
    let failure = host
        .converse_stream(&config(), &request(MODEL, &huge))
        .await;
    assert!(
        failure.is_err(),
        "the call must fail as a host error (trap)"
    );
    let outcome = converse(&host, &config(), &request(MODEL, "Hi"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.stops().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn credential_source_names_the_source_never_the_secret() {
    let emulator = emulator().await;
    let info = host(&sigv4_env(&emulator))
        .credential_source(&config())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.kind, CredentialKind::Environment);
    assert_eq!(info.label, "env: AWS_ACCESS_KEY_ID");
    assert_eq!(info.region, "us-east-1");
    assert!(!format!("{info:?}").contains(SECRET_ACCESS_KEY));

    let info = host(&bearer_env(&emulator))
        .credential_source(&config())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (info.kind, info.label.as_str()),
        (CredentialKind::BearerToken, "env: AWS_BEARER_TOKEN_BEDROCK")
    );
    assert!(!format!("{info:?}").contains(BEARER_TOKEN));

    let mut cfg = config();
    cfg.region = Some("eu-west-3".into());
    let info = host(&sigv4_env(&emulator))
        .credential_source(&cfg)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.region, "eu-west-3");

    let nothing = [
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ];
    let error = host(&nothing)
        .credential_source(&config())
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(&error, ProviderError::NoCredentials(m) if m.contains("AWS_BEARER_TOKEN_BEDROCK")),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guest_sees_only_allow_listed_variables() {
    // Keys under names outside the allow-list never reach the guest.
    let host = host_with(
        &[
            ("MY_ACCESS_KEY_ID", ACCESS_KEY_ID.into()),
            ("BEDROCK_SECRET", SECRET_ACCESS_KEY.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ],
        |_| {},
    );
    let error = host
        .credential_source(&config())
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        matches!(error, ProviderError::NoCredentials(_)),
        "{error:?}"
    );
}
