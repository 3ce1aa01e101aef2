//! The pure rules of the discovery cache. Storing entries, sharing one
//! request between concurrent callers and serving the last good list are the
//! host's (the cache outlives any one guest instance); when an entry may be
//! reused, and under which key, is decided here so every host agrees.

use super::options::Settings;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::types::{
    Discovery, DiscoveryStatus, InputModality, ModelCost, ModelDefinition, ModelKind,
};
use serde::{Deserialize, Serialize};

/// Whether a list fetched at `fetched_at_secs` may still be served at
/// `now_secs` (both seconds since the Unix epoch).
///
/// An interval of 0 disables caching: nothing is ever fresh. An entry stamped
/// in the future (the clock was set back) is not trusted either: refetching
/// costs one request, serving a list of unknown age could cost hours.
pub fn is_fresh(fetched_at_secs: u64, now_secs: u64, refresh_interval: u32) -> bool {
    refresh_interval > 0
        && now_secs >= fetched_at_secs
        && now_secs - fetched_at_secs < u64::from(refresh_interval)
}

/// What a cached list depends on: where it was fetched, as whom, and every
/// setting that changes its content. `principal` is a non-secret name of the
/// credentials in force (the credential source's label, or the access key id):
/// two accounts see different models.
pub fn cache_key(settings: &Settings, endpoint: &Endpoint, principal: &str) -> String {
    format!(
        "bedrock-discovery/v1|{}|{}|{}|{}|{}|{}",
        settings.region,
        endpoint.url(""),
        principal,
        settings.provider_filter.names().join(","),
        settings.default_context_window,
        settings.default_max_tokens,
    )
}

/// A cached list as stored in the host's key-value store: the models and
/// warnings of a successful refresh and when it happened. The encoding is the
/// plugin's own (JSON, versioned through the key), opaque to the host.
#[derive(Serialize, Deserialize)]
struct Entry {
    fetched_at: u64,
    warnings: Vec<String>,
    models: Vec<CachedModel>,
}

#[derive(Serialize, Deserialize)]
struct CachedModel {
    id: String,
    name: String,
    provider: String,
    reasoning: bool,
    input: Vec<String>,
    cost: [f64; 4],
    context_window: u32,
    max_tokens: u32,
    kind: String,
    base_model_id: Option<String>,
}

const MODALITIES: [(InputModality, &str); 5] = [
    (InputModality::Text, "text"),
    (InputModality::Image, "image"),
    (InputModality::Document, "document"),
    (InputModality::Video, "video"),
    (InputModality::Audio, "audio"),
];

const KINDS: [(ModelKind, &str); 3] = [
    (ModelKind::FoundationModel, "foundation-model"),
    (ModelKind::SystemProfile, "system-profile"),
    (ModelKind::ApplicationProfile, "application-profile"),
];

/// Encodes a successful discovery for the cache.
pub fn encode(discovery: &Discovery) -> Vec<u8> {
    let entry = Entry {
        fetched_at: discovery.fetched_at,
        warnings: discovery.warnings.clone(),
        models: discovery
            .models
            .iter()
            .map(|m| CachedModel {
                id: m.id.clone(),
                name: m.name.clone(),
                provider: m.provider.clone(),
                reasoning: m.reasoning,
                input: m
                    .input
                    .iter()
                    .filter_map(|i| {
                        MODALITIES
                            .iter()
                            .find(|(k, _)| k == i)
                            .map(|(_, n)| n.to_string())
                    })
                    .collect(),
                cost: [
                    m.cost.input,
                    m.cost.output,
                    m.cost.cache_read,
                    m.cost.cache_write,
                ],
                context_window: m.context_window,
                max_tokens: m.max_tokens,
                kind: KINDS
                    .iter()
                    .find(|(k, _)| *k == m.kind)
                    .map(|(_, n)| n.to_string())
                    .unwrap_or_default(),
                base_model_id: m.base_model_id.clone(),
            })
            .collect(),
    };
    serde_json::to_vec(&entry).unwrap_or_default()
}

/// Decodes a cache entry; `None` for anything unreadable (an entry written by
/// another build, say), which then counts as no entry.
pub fn decode(bytes: &[u8]) -> Option<Discovery> {
    let entry: Entry = serde_json::from_slice(bytes).ok()?;
    let models = entry
        .models
        .into_iter()
        .map(|m| {
            Some(ModelDefinition {
                input: m
                    .input
                    .iter()
                    .map(|n| {
                        MODALITIES
                            .iter()
                            .find(|(_, name)| name == n)
                            .map(|(k, _)| *k)
                    })
                    .collect::<Option<_>>()?,
                kind: KINDS
                    .iter()
                    .find(|(_, name)| *name == m.kind)
                    .map(|(k, _)| *k)?,
                cost: ModelCost {
                    input: m.cost[0],
                    output: m.cost[1],
                    cache_read: m.cost[2],
                    cache_write: m.cost[3],
                },
                id: m.id,
                name: m.name,
                provider: m.provider,
                reasoning: m.reasoning,
                context_window: m.context_window,
                max_tokens: m.max_tokens,
                base_model_id: m.base_model_id,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Discovery {
        status: DiscoveryStatus::Cached,
        models,
        warnings: entry.warnings,
        refresh_error: None,
        fetched_at: entry.fetched_at,
    })
}

/// The cached list, if it may be served as is at `now_secs`.
pub fn serve_cached(
    previous: Option<&Discovery>,
    now_secs: u64,
    refresh_interval: u32,
) -> Option<Discovery> {
    previous
        .filter(|p| is_fresh(p.fetched_at, now_secs, refresh_interval))
        .map(|p| Discovery {
            status: DiscoveryStatus::Cached,
            ..p.clone()
        })
}

/// What a refresh comes to: the new list, or, when it failed, the last good
/// list marked stale with the failure beside it. With nothing to fall back on
/// the failure is the answer: an empty list would pass for "no models".
pub fn after_refresh(
    refreshed: Result<Discovery, Error>,
    previous: Option<Discovery>,
) -> Result<Discovery, Error> {
    match (refreshed, previous) {
        (Ok(fresh), _) => Ok(Discovery {
            status: DiscoveryStatus::Fresh,
            ..fresh
        }),
        (Err(error), Some(last_good)) => Ok(Discovery {
            status: DiscoveryStatus::Stale,
            refresh_error: Some(error.into()),
            ..last_good
        }),
        (Err(error), None) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::options::ProviderFilter;

    fn sample() -> Discovery {
        Discovery {
            status: DiscoveryStatus::Fresh,
            models: vec![ModelDefinition {
                id: "us.anthropic.claude-sonnet-4-20250514-v1:0".into(),
                name: "Claude Sonnet 4 (US)".into(),
                provider: "Anthropic".into(),
                reasoning: true,
                input: vec![InputModality::Text, InputModality::Image],
                cost: ModelCost {
                    input: 3.0,
                    output: 15.0,
                    cache_read: 0.3,
                    cache_write: 3.75,
                },
                context_window: 200_000,
                max_tokens: 64_000,
                kind: ModelKind::SystemProfile,
                base_model_id: Some("anthropic.claude-sonnet-4-20250514-v1:0".into()),
            }],
            warnings: vec!["w".into()],
            refresh_error: None,
            fetched_at: 1000,
        }
    }

    #[test]
    fn entries_round_trip() {
        let decoded = decode(&encode(&sample())).unwrap();
        assert_eq!(
            decoded,
            Discovery {
                status: DiscoveryStatus::Cached,
                ..sample()
            }
        );
        assert_eq!(decode(b"garbage"), None);
    }

    #[test]
    fn cached_stale_and_failed() {
        assert_eq!(
            serve_cached(Some(&sample()), 1500, 3600).map(|d| d.status),
            Some(DiscoveryStatus::Cached)
        );
        assert_eq!(serve_cached(Some(&sample()), 9000, 3600), None);
        let error = Error::network(crate::error::NetworkKind::Refused, "down");
        let stale = after_refresh(Err(error.clone()), Some(sample())).unwrap();
        assert_eq!(stale.status, DiscoveryStatus::Stale);
        assert_eq!(stale.refresh_error, Some(error.clone().into()));
        assert_eq!(stale.models, sample().models);
        assert_eq!(after_refresh(Err(error.clone()), None), Err(error));
        assert_eq!(
            after_refresh(Ok(sample()), None).unwrap().status,
            DiscoveryStatus::Fresh
        );
    }

    #[test]
    fn freshness() {
        assert!(is_fresh(1000, 1000, 3600));
        assert!(is_fresh(1000, 4599, 3600));
        assert!(
            !is_fresh(1000, 4600, 3600),
            "exactly one interval old is stale"
        );
        assert!(!is_fresh(1000, 1000, 0), "0 disables caching");
        assert!(
            !is_fresh(5000, 1000, 3600),
            "an entry from the future is not trusted"
        );
        assert!(is_fresh(u64::MAX - 1, u64::MAX, u32::MAX));
    }

    #[test]
    fn keys_change_with_what_changes_the_list() {
        let settings = |filter: &[&str], region: &str| Settings {
            region: region.into(),
            provider_filter: ProviderFilter::new(filter),
            refresh_interval: 3600,
            default_context_window: 32_000,
            default_max_tokens: 4096,
        };
        let endpoint = Endpoint::parse("https://bedrock.us-east-1.amazonaws.com").unwrap();
        let a = cache_key(
            &settings(&["Anthropic", "meta"], "us-east-1"),
            &endpoint,
            "env: AWS_ACCESS_KEY_ID",
        );
        let same = cache_key(
            &settings(&["META", "anthropic"], "us-east-1"),
            &endpoint,
            "env: AWS_ACCESS_KEY_ID",
        );
        assert_eq!(a, same, "filter order and case do not matter");
        assert_ne!(
            a,
            cache_key(
                &settings(&["meta"], "us-east-1"),
                &endpoint,
                "env: AWS_ACCESS_KEY_ID"
            )
        );
        assert_ne!(
            a,
            cache_key(
                &settings(&["Anthropic", "meta"], "eu-west-1"),
                &endpoint,
                "env: AWS_ACCESS_KEY_ID"
            )
        );
        assert_ne!(
            a,
            cache_key(
                &settings(&["Anthropic", "meta"], "us-east-1"),
                &endpoint,
                "profile: dev"
            )
        );
        let refresh = Settings {
            refresh_interval: 60,
            ..settings(&["Anthropic", "meta"], "us-east-1")
        };
        assert_eq!(
            a,
            cache_key(&refresh, &endpoint, "env: AWS_ACCESS_KEY_ID"),
            "how long to keep is not what"
        );
    }
}
