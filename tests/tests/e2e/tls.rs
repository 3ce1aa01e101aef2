//! Bedrock's transport, end to end: the emulator serves HTTPS with HTTP/2 offered by ALPN
//! under a CA it made at start, and the host reaches it trusting that CA the way an
//! operator trusts a private one (`HostConfig::ca_bundle`, what `AWS_CA_BUNDLE` sets).
//! boto3, trusting it through `AWS_CA_BUNDLE`, proves the TLS emulator still speaks
//! Bedrock's wire format as AWS's own SDKs read it.

use bedrock_emulator::{Emulator, EmulatorConfig, reply_text};
use bedrock_host::types::ProviderError;
use integration_tests::*;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The emulator over TLS, and its CA written to a file of its own.
async fn tls_emulator(name: &str) -> (Emulator, PathBuf) {
    let emulator = Emulator::start(EmulatorConfig {
        tls: true,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    assert!(emulator.endpoint().starts_with("https://"));
    let ca = std::env::temp_dir().join(format!("bedrock-e2e-ca-{}-{name}.pem", std::process::id()));
    std::fs::write(&ca, emulator.ca_pem().expect("a TLS emulator has a CA")).unwrap();
    (emulator, ca)
}

/// A host of its own (its own connection pool) trusting `ca`, or only the platform.
fn host_trusting(emulator: &Emulator, ca: Option<PathBuf>) -> bedrock_host::Host {
    own_host(
        &bedrock_host::HostConfig::default_component_path(),
        &sigv4_env(emulator),
        |config| config.ca_bundle = ca,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn sequential_streams_share_one_http2_tls_connection() {
    let (emulator, ca) = tls_emulator("h2").await;
    let host = host_trusting(&emulator, Some(ca.clone()));
    for turn in 0..3 {
        let prompt = format!("turn {turn} [emulator words=12]");
        let outcome = converse(&host, &config(), &request(MODEL, &prompt))
            .await
            .unwrap_or_else(|e| panic!("turn {turn}: {e:?}"));
        assert_eq!(outcome.error, None, "turn {turn}");
        assert_eq!(outcome.text(), reply_text(12), "turn {turn}");
    }
    let requests = emulator.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(
            request.version,
            http::Version::HTTP_2,
            "{:?}",
            request.raw_path
        );
    }
    let connections: BTreeSet<_> = requests.iter().map(|r| r.client).collect();
    assert_eq!(connections.len(), 1, "three streams, one connection");
    std::fs::remove_file(ca).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_ca_the_call_fails_with_a_certificate_error() {
    let (emulator, ca) = tls_emulator("untrusted").await;
    let untrusting = host_trusting(&emulator, None);
    let error = converse(&untrusting, &config(), &request(MODEL, "hello"))
        .await
        .expect_err("an unknown CA is not trusted");
    match &error {
        ProviderError::Network(detail) => {
            assert!(detail.contains("TlsCertificateError"), "{detail}");
        }
        other => panic!("expected a network error naming the certificate, got {other:?}"),
    }
    assert!(
        emulator.requests().is_empty(),
        "nothing reached the emulator"
    );
    // The same endpoint, trusted, serves a normal call.
    let trusting = host_trusting(&emulator, Some(ca.clone()));
    let outcome = converse(&trusting, &config(), &request(MODEL, "hello"))
        .await
        .unwrap();
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.text(), reply_text(24));
    std::fs::remove_file(ca).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn with_outbound_builds_a_pool_of_its_own_from_its_config() {
    let (emulator, ca) = tls_emulator("own-pool").await;
    let untrusting = host_trusting(&emulator, None);
    let mut trusting_config =
        bedrock_host::HostConfig::new(bedrock_host::HostConfig::default_component_path());
    trusting_config.env = sigv4_env(&emulator)
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    trusting_config.ca_bundle = Some(ca.clone());

    // `with_policy` sends through its host's pool: the CA is not read.
    let sharing = untrusting.with_policy(&trusting_config);
    let error = converse(&sharing, &config(), &request(MODEL, "hello"))
        .await
        .expect_err("the shared pool does not trust the CA");
    assert!(
        matches!(&error, ProviderError::Network(detail) if detail.contains("TlsCertificateError")),
        "{error:?}"
    );

    // `with_outbound` builds its own, trusting the CA, and reuses it.
    let own = untrusting.with_outbound(&trusting_config).unwrap();
    for turn in 0..2 {
        let outcome = converse(&own, &config(), &request(MODEL, "hello"))
            .await
            .unwrap_or_else(|e| panic!("turn {turn}: {e:?}"));
        assert_eq!(outcome.text(), reply_text(24), "turn {turn}");
    }
    // Another one opens another connection.
    let other = own.with_outbound(&trusting_config).unwrap();
    let outcome = converse(&other, &config(), &request(MODEL, "hello"))
        .await
        .unwrap();
    assert_eq!(outcome.text(), reply_text(24));
    let requests = emulator.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(
        requests[0].client, requests[1].client,
        "one pool, one connection"
    );
    assert_ne!(requests[1].client, requests[2].client, "a pool of its own");

    // An unusable CA bundle fails the build, naming the file, as `Host::new` does.
    let missing = ca.with_extension("missing");
    trusting_config.ca_bundle = Some(missing.clone());
    let error = own
        .with_outbound(&trusting_config)
        .err()
        .expect("no such file");
    assert!(
        format!("{error:#}").contains(&missing.display().to_string()),
        "{error:#}"
    );
    std::fs::remove_file(ca).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_trusts_the_emulator_through_aws_ca_bundle() {
    let Some(python) = python() else { return };
    let (emulator, ca) = tls_emulator("boto3").await;
    let env = [("AWS_CA_BUNDLE", ca.display().to_string())];
    let lines = run_python(&python, "boto3_client.py", &[&emulator.endpoint()], &env).await;
    let scenarios = by_scenario(lines);
    assert_sdk_scenarios(&scenarios);
    assert_eq!(
        scenarios["in_stream_exception"]["error"],
        "modelStreamErrorException"
    );
    // botocore (urllib3) speaks HTTP/1.1 only: ALPN let it.
    let requests = emulator.requests();
    assert!(!requests.is_empty());
    assert!(requests.iter().all(|r| r.version == http::Version::HTTP_11));
    std::fs::remove_file(ca).unwrap();
}
