//! Model discovery end to end: the component in the host, against the
//! emulator's catalogue, with the host's cache.

use bedrock_emulator::{Emulator, EmulatorConfig};
use bedrock_host::types::{DiscoveryOptions, DiscoveryStatus, ModelKind, ProviderError};
use integration_tests::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn options() -> DiscoveryOptions {
    DiscoveryOptions::default()
}

fn list_calls(emulator: &Emulator) -> usize {
    emulator
        .requests()
        .iter()
        .filter(|r| r.raw_path.starts_with("/foundation-models"))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn models_and_profiles_in_the_gateway_shape() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let found = host.discover(&config(), &options()).await.unwrap().unwrap();
    assert_eq!(found.status, DiscoveryStatus::Fresh);
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let ids: Vec<&str> = found.models.iter().map(|m| m.id.as_str()).collect();
    let unique: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no duplicates");
    let first_non_global = ids
        .iter()
        .position(|id| !id.starts_with("global."))
        .unwrap();
    assert!(
        ids[first_non_global..]
            .iter()
            .all(|id| !id.starts_with("global.")),
        "global profiles first"
    );
    assert!(
        found
            .models
            .iter()
            .any(|m| m.kind == ModelKind::SystemProfile && m.id.starts_with("eu."))
    );
    let app = found
        .models
        .iter()
        .find(|m| m.kind == ModelKind::ApplicationProfile)
        .expect("the application profile");
    assert!(
        app.id
            .starts_with("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/")
    );
    let base = app
        .base_model_id
        .as_deref()
        .expect("profiles name their base model");
    assert!(base.starts_with("anthropic."), "{base}");
    for m in &found.models {
        assert!(
            !m.id.contains("embed") && !m.id.contains("claude-v2"),
            "{} should have been filtered",
            m.id
        );
        assert!(
            m.context_window > 0 && m.max_tokens > 0 && m.max_tokens <= m.context_window,
            "{m:?}"
        );
    }
    // Known families get their real limits, not the flat 32000 default.
    assert!(
        found
            .models
            .iter()
            .any(|m| m.id.contains("claude") && m.context_window >= 200_000)
    );
    assert!(found.models.iter().any(|m| m.reasoning));
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_filter_is_case_insensitive() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let mut opts = options();
    opts.provider_filter = vec!["ANTHROPIC".into()];
    let found = host.discover(&config(), &opts).await.unwrap().unwrap();
    assert!(!found.models.is_empty());
    assert!(
        found
            .models
            .iter()
            .all(|m| m.provider.eq_ignore_ascii_case("anthropic")),
        "{:?}",
        found.models
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn denied_inference_profiles_are_a_warning_not_a_failure() {
    let emulator = Emulator::start(EmulatorConfig {
        deny_inference_profiles: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let found = host(&sigv4_env(&emulator))
        .discover(&config(), &options())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, DiscoveryStatus::Fresh);
    assert!(
        found
            .warnings
            .iter()
            .any(|w| w.contains("ListInferenceProfiles")),
        "{:?}",
        found.warnings
    );
    assert!(!found.models.is_empty());
    assert!(
        found
            .models
            .iter()
            .all(|m| m.kind == ModelKind::FoundationModel)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn results_are_cached_across_instances_then_served_stale_on_failure() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let first = host.discover(&config(), &options()).await.unwrap().unwrap();
    assert_eq!(first.status, DiscoveryStatus::Fresh);
    let second = host.discover(&config(), &options()).await.unwrap().unwrap();
    assert_eq!(
        second.status,
        DiscoveryStatus::Cached,
        "a fresh instance reads the host's cache"
    );
    assert_eq!(second.models, first.models);
    assert_eq!(list_calls(&emulator), 1);

    let mut no_cache = options();
    no_cache.refresh_interval = Some(0);
    let third = host.discover(&config(), &no_cache).await.unwrap().unwrap();
    assert_eq!(third.status, DiscoveryStatus::Fresh);
    assert_eq!(list_calls(&emulator), 2, "refresh-interval 0 always asks");

    // Expire the entry, then lose the endpoint: the last good list is served,
    // marked stale, with the failure beside it.
    let mut short = options();
    short.refresh_interval = Some(1);
    host.discover(&config(), &short).await.unwrap().unwrap();
    drop(emulator);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let stale = host.discover(&config(), &short).await.unwrap().unwrap();
    assert_eq!(stale.status, DiscoveryStatus::Stale);
    assert_eq!(stale.models, first.models);
    assert!(
        matches!(stale.refresh_error, Some(ProviderError::Network(_))),
        "{:?}",
        stale.refresh_error
    );

    // With nothing cached, the failure is an error, never an empty list.
    let error = host
        .discover(&config(), &no_cache)
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(error, ProviderError::Network(_)), "{error:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_callers_share_one_request() {
    let emulator = emulator().await;
    let host = host(&sigv4_env(&emulator));
    let calls: Vec<_> = (0..12)
        .map(|_| {
            let host = host.clone();
            tokio::spawn(
                async move { host.discover(&config(), &options()).await.unwrap().unwrap() },
            )
        })
        .collect();
    let mut lists = Vec::new();
    for call in calls {
        lists.push(call.await.unwrap().models);
    }
    assert!(lists.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(list_calls(&emulator), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn enabled_follows_the_credential_chain() {
    let emulator = emulator().await;
    let mut off = options();
    off.enabled = Some(false);
    let found = host(&sigv4_env(&emulator))
        .discover(&config(), &off)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, DiscoveryStatus::Disabled);
    assert!(found.models.is_empty());

    let nothing = host(&[
        ("AWS_ENDPOINT_URL", emulator.endpoint()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]);
    let found = nothing
        .discover(&config(), &options())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.status,
        DiscoveryStatus::Disabled,
        "no credentials: off unless asked for"
    );
    let mut on = options();
    on.enabled = Some(true);
    let error = nothing.discover(&config(), &on).await.unwrap().unwrap_err();
    assert!(
        matches!(error, ProviderError::NoCredentials(_)),
        "{error:?}"
    );
    assert_eq!(list_calls(&emulator), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_tokens_discover_too() {
    let emulator = emulator().await;
    // `bearer_env` overrides the runtime endpoint only; discovery calls the control plane.
    let mut env = bearer_env(&emulator);
    env.push(("AWS_ENDPOINT_URL_BEDROCK", emulator.endpoint()));
    let found = host(&env)
        .discover(&config(), &options())
        .await
        .unwrap()
        .unwrap();
    assert!(!found.models.is_empty());
}

/// boto3 parses the same catalogue; the discovery rules applied here to its
/// view must give the component's list.
#[tokio::test(flavor = "multi_thread")]
async fn boto3_sees_the_catalogue_the_component_filters() {
    let Some(python) = python() else { return };
    let emulator = emulator().await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/boto3_discovery.py");
    let endpoint = emulator.endpoint();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .arg(endpoint)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let view: Value = serde_json::from_slice(&output.stdout).unwrap();
    let has =
        |list: &Value, item: &str| list.as_array().is_some_and(|l| l.iter().any(|v| v == item));
    let streams_text = |m: &Value| {
        m["responseStreamingSupported"] == true
            && has(&m["outputModalities"], "TEXT")
            && m["modelLifecycle"]["status"].as_str().unwrap_or("ACTIVE") == "ACTIVE"
    };
    let models = view["models"].as_array().unwrap();
    let usable: BTreeSet<&str> = models
        .iter()
        .filter(|m| streams_text(m))
        .map(|m| m["modelId"].as_str().unwrap())
        .collect();
    let mut expected: BTreeSet<String> = models
        .iter()
        .filter(|m| streams_text(m))
        .filter(|m| {
            m.get("inferenceTypesSupported").is_none()
                || has(&m["inferenceTypesSupported"], "ON_DEMAND")
        })
        .map(|m| m["modelId"].as_str().unwrap().to_string())
        .collect();
    for p in view["profiles"].as_array().unwrap() {
        let base = p["models"][0]["modelArn"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap();
        if p["status"] == "ACTIVE" && usable.contains(base) {
            let id = if p["type"] == "APPLICATION" {
                &p["inferenceProfileArn"]
            } else {
                &p["inferenceProfileId"]
            };
            expected.insert(id.as_str().unwrap().to_string());
        }
    }
    let found = host(&sigv4_env(&emulator))
        .discover(&config(), &options())
        .await
        .unwrap()
        .unwrap();
    let got: BTreeSet<String> = found.models.iter().map(|m| m.id.clone()).collect();
    assert!(
        view["profiles"].as_array().unwrap().len() > 10,
        "boto3 followed the pages"
    );
    assert_eq!(got, expected);
}
