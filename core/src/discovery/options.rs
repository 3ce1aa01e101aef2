//! The gateway's `models.bedrockDiscovery` block, with its defaults applied.

use crate::env::Environment;
use crate::error::Error;
use crate::region;
use crate::types::{DiscoveryOptions, ProviderConfig};

/// Seconds a discovery result is reused when the options leave it unset.
pub const DEFAULT_REFRESH_INTERVAL_SECS: u32 = 3600;
/// Context window of a model the plugin knows nothing about.
pub const DEFAULT_CONTEXT_WINDOW: u32 = 32_000;
/// Output limit of a model the plugin knows nothing about.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;

/// Discovery options with every default applied: what the rest of the module
/// reads, so that no rule looks at an `Option` twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Where ListFoundationModels / ListInferenceProfiles are called.
    pub region: String,
    pub provider_filter: ProviderFilter,
    /// Seconds a result is reused; 0 disables caching.
    pub refresh_interval: u32,
    pub default_context_window: u32,
    pub default_max_tokens: u32,
}

impl Settings {
    /// Applies the defaults. The region is the discovery block's own, else the
    /// region calls go to: the provider config's, else what
    /// [`region::resolve_for_base_url`] finds in the environment, a regional
    /// base URL and the profile (`profile_region`).
    ///
    /// A zero context window or output limit means nothing for a model, so it
    /// is taken as unset (the gateway does the same with non-positive values);
    /// a zero refresh interval is meaningful (no caching) and is kept.
    pub fn resolve(
        config: &ProviderConfig,
        options: &DiscoveryOptions,
        env: &Environment,
        profile_region: Option<&str>,
    ) -> Result<Settings, Error> {
        let own = options
            .region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        let region = match own {
            Some(own) => region::resolve(Some(own), env, profile_region)?,
            // The region calls go to, a regional base URL's included.
            None => region::resolve_for_base_url(
                config.region.as_deref(),
                env,
                profile_region,
                config.base_url.as_deref(),
            )?,
        };
        Ok(Settings {
            region,
            provider_filter: ProviderFilter::new(&options.provider_filter),
            refresh_interval: options
                .refresh_interval
                .unwrap_or(DEFAULT_REFRESH_INTERVAL_SECS),
            default_context_window: positive_or(
                options.default_context_window,
                DEFAULT_CONTEXT_WINDOW,
            ),
            default_max_tokens: positive_or(options.default_max_tokens, DEFAULT_MAX_TOKENS),
        })
    }
}

fn positive_or(value: Option<u32>, default: u32) -> u32 {
    value.filter(|v| *v > 0).unwrap_or(default)
}

/// Which providers to keep. Empty keeps all.
///
/// Bedrock names providers two ways: `providerName` (`Anthropic`,
/// `Mistral AI`, `AI21 Labs`) and the first segment of the model id
/// (`anthropic`, `mistral`, `ai21`). An entry matching either, ignoring case
/// and surrounding blanks, keeps the model, so `mistral` and `Mistral AI` both
/// work, as users write them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderFilter {
    /// Lower-case, trimmed, sorted, without duplicates or blanks.
    names: Vec<String>,
}

impl ProviderFilter {
    pub fn new<S: AsRef<str>>(names: &[S]) -> ProviderFilter {
        let mut names: Vec<String> = names
            .iter()
            .map(|n| n.as_ref().trim().to_lowercase())
            .filter(|n| !n.is_empty())
            .collect();
        names.sort();
        names.dedup();
        ProviderFilter { names }
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The normalised entries, for cache keys.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether a model of `provider_name` (as Bedrock reports it, if it does)
    /// with id `model_id` passes.
    pub fn allows(&self, provider_name: Option<&str>, model_id: &str) -> bool {
        if self.names.is_empty() {
            return true;
        }
        let by_name = provider_name
            .map(|n| n.trim().to_lowercase())
            .filter(|n| !n.is_empty());
        let by_id = model_id
            .split('.')
            .next()
            .map(str::to_lowercase)
            .filter(|n| !n.is_empty());
        [by_name, by_id]
            .into_iter()
            .flatten()
            .any(|candidate| self.names.contains(&candidate))
    }
}

/// Whether discovery runs: the explicit `enabled`, else "a credential source
/// was found" (the caller resolves the chain, which may need I/O).
pub fn is_enabled(options: &DiscoveryOptions, credentials_found: bool) -> bool {
    options.enabled.unwrap_or(credentials_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> DiscoveryOptions {
        DiscoveryOptions::default()
    }

    fn config(region: Option<&str>) -> ProviderConfig {
        ProviderConfig {
            region: region.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_are_the_gateways() {
        let s =
            Settings::resolve(&config(None), &options(), &Environment::default(), None).unwrap();
        assert_eq!(s.region, "us-east-1");
        assert_eq!(s.refresh_interval, 3600);
        assert_eq!(s.default_context_window, 32_000);
        assert_eq!(s.default_max_tokens, 4096);
        assert!(s.provider_filter.is_empty());
    }

    #[test]
    fn explicit_values_win_and_zero_means_what_it_can() {
        let opts = DiscoveryOptions {
            refresh_interval: Some(0),
            default_context_window: Some(0),
            default_max_tokens: Some(8192),
            ..options()
        };
        let s = Settings::resolve(&config(None), &opts, &Environment::default(), None).unwrap();
        assert_eq!(s.refresh_interval, 0, "0 disables caching");
        assert_eq!(
            s.default_context_window, 32_000,
            "a zero window is no window"
        );
        assert_eq!(s.default_max_tokens, 8192);
    }

    #[test]
    fn region_order() {
        let env = Environment::from_vars([("AWS_REGION", "eu-west-1")]);
        let opts = DiscoveryOptions {
            region: Some("ap-northeast-1".into()),
            ..options()
        };
        assert_eq!(
            Settings::resolve(&config(Some("us-west-2")), &opts, &env, None)
                .unwrap()
                .region,
            "ap-northeast-1"
        );
        let blank = DiscoveryOptions {
            region: Some("  ".into()),
            ..options()
        };
        assert_eq!(
            Settings::resolve(&config(Some("us-west-2")), &blank, &env, None)
                .unwrap()
                .region,
            "us-west-2"
        );
        assert_eq!(
            Settings::resolve(&config(None), &blank, &env, None)
                .unwrap()
                .region,
            "eu-west-1"
        );
    }

    #[test]
    fn discovery_lists_the_region_a_regional_base_url_calls() {
        let regional = ProviderConfig {
            base_url: Some("https://bedrock-runtime.eu-west-3.amazonaws.com".into()),
            ..config(None)
        };
        let none = Environment::default();
        let region = |config: &ProviderConfig, opts: &DiscoveryOptions, env: &Environment| {
            Settings::resolve(config, opts, env, Some("us-west-2")).map(|s| s.region)
        };
        assert_eq!(region(&regional, &options(), &none).unwrap(), "eu-west-3");
        // The discovery block's own region is its own business.
        let own = DiscoveryOptions {
            region: Some("ap-south-1".into()),
            ..options()
        };
        assert_eq!(region(&regional, &own, &none).unwrap(), "ap-south-1");
        let env = Environment::from_vars([("AWS_REGION", "us-east-1")]);
        assert!(matches!(
            region(&regional, &options(), &env),
            Err(Error::RegionConflict(_))
        ));
    }

    #[test]
    fn provider_filter_ignores_case_and_matches_name_or_id() {
        let f = ProviderFilter::new(&[" Anthropic ", "mistral", "", "ANTHROPIC", "ai21 labs"]);
        assert_eq!(f.names(), ["ai21 labs", "anthropic", "mistral"]);
        assert!(f.allows(Some("Anthropic"), "anthropic.claude-3-haiku-20240307-v1:0"));
        assert!(
            f.allows(Some("Mistral AI"), "mistral.mistral-large-2402-v1:0"),
            "by id segment"
        );
        assert!(
            f.allows(Some("AI21 Labs"), "ai21.jamba-1-5-mini-v1:0"),
            "by provider name"
        );
        assert!(f.allows(None, "anthropic.claude-v2:1"));
        assert!(!f.allows(Some("Meta"), "meta.llama3-8b-instruct-v1:0"));
        assert!(ProviderFilter::new::<&str>(&[]).allows(Some("Meta"), "meta.x"));
        assert!(
            ProviderFilter::new(&[" "]).is_empty(),
            "blank entries keep everything"
        );
    }

    #[test]
    fn enabled_defaults_to_credentials_being_found() {
        assert!(is_enabled(&options(), true));
        assert!(!is_enabled(&options(), false));
        assert!(!is_enabled(
            &DiscoveryOptions {
                enabled: Some(false),
                ..options()
            },
            true
        ));
        assert!(is_enabled(
            &DiscoveryOptions {
                enabled: Some(true),
                ..options()
            },
            false
        ));
    }
}
