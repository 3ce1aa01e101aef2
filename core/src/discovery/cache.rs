//! The pure rules of the discovery cache. Storing entries, sharing one
//! request between concurrent callers and serving the last good list are the
//! host's (the cache outlives any one guest instance); when an entry may be
//! reused, and under which key, is decided here so every host agrees.

use super::options::Settings;
use crate::endpoint::Endpoint;

/// Whether a list fetched at `fetched_at_secs` may still be served at
/// `now_secs` (both seconds since the Unix epoch).
///
/// An interval of 0 disables caching: nothing is ever fresh. An entry stamped
/// in the future (the clock was set back) is not trusted either: refetching
/// costs one request, serving a list of unknown age could cost hours.
pub fn is_fresh(fetched_at_secs: u64, now_secs: u64, refresh_interval: u32) -> bool {
    refresh_interval > 0 && now_secs >= fetched_at_secs && now_secs - fetched_at_secs < u64::from(refresh_interval)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::options::ProviderFilter;

    #[test]
    fn freshness() {
        assert!(is_fresh(1000, 1000, 3600));
        assert!(is_fresh(1000, 4599, 3600));
        assert!(!is_fresh(1000, 4600, 3600), "exactly one interval old is stale");
        assert!(!is_fresh(1000, 1000, 0), "0 disables caching");
        assert!(!is_fresh(5000, 1000, 3600), "an entry from the future is not trusted");
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
            cache_key(&settings(&["meta"], "us-east-1"), &endpoint, "env: AWS_ACCESS_KEY_ID")
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
