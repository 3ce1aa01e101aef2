//! Where STS and the SSO portal are: configured overrides, then AWS's hostnames.
//!
//! The overrides follow the SDKs' "service-specific endpoints" rules, most
//! specific first:
//!
//! 1. `AWS_ENDPOINT_URL_STS` / `AWS_ENDPOINT_URL_SSO`;
//! 2. the profile's `services` section (`sts =` / `sso =` with `endpoint_url`);
//! 3. `AWS_ENDPOINT_URL`;
//! 4. the profile's own `endpoint_url`;
//!
//! all skipped when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (or the profile's
//! `ignore_configured_endpoint_urls`) is true. They are how tests point the
//! chain at a local emulator. Without one, the regional endpoint
//! (`sts.{region}.amazonaws.com`, `portal.sso.{region}.amazonaws.com`), with
//! FIPS and dual-stack variants when `AWS_USE_FIPS_ENDPOINT` /
//! `AWS_USE_DUALSTACK_ENDPOINT` (or the profile's `use_fips_endpoint` /
//! `use_dualstack_endpoint`) ask for them, as AWS's endpoint rules build them
//! for the `aws`, `aws-cn` and `aws-us-gov` partitions.

use crate::endpoint::{Endpoint, Scheme};
use crate::env::Environment;
use crate::error::Error;
use crate::profile::{Profile, ProfileSet, keys};
use crate::region;

/// The credential services the chain calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialService {
    /// `AssumeRole`, `AssumeRoleWithWebIdentity`.
    Sts,
    /// The IAM Identity Center portal's `GetRoleCredentials`.
    Sso,
}

impl CredentialService {
    fn env_var(self) -> &'static str {
        match self {
            CredentialService::Sts => "AWS_ENDPOINT_URL_STS",
            CredentialService::Sso => "AWS_ENDPOINT_URL_SSO",
        }
    }

    /// The SDK service id, as [`ProfileSet::service_property`] takes it.
    fn service_id(self) -> &'static str {
        match self {
            CredentialService::Sts => "STS",
            CredentialService::Sso => "SSO",
        }
    }
}

/// The profile whose settings apply (the selected one), if the files define it.
#[derive(Clone, Copy)]
pub struct ProfileSettings<'a> {
    pub set: &'a ProfileSet,
    pub profile: &'a Profile,
}

/// The endpoint of `service` for `region`.
pub fn resolve(
    service: CredentialService,
    region_name: &str,
    env: &Environment,
    profile: Option<ProfileSettings<'_>>,
) -> Result<Endpoint, Error> {
    if !ignore_configured(env, profile) {
        let configured = [
            env.get(service.env_var())
                .map(|url| (url, service.env_var().to_string())),
            profile.and_then(|p| {
                p.set
                    .service_property(p.profile, service.service_id(), keys::ENDPOINT_URL)
                    .map(|url| {
                        (
                            url,
                            format!("the services section of profile `{}`", p.profile.name()),
                        )
                    })
            }),
            env.get("AWS_ENDPOINT_URL")
                .map(|url| (url, "AWS_ENDPOINT_URL".to_string())),
            profile.and_then(|p| {
                p.profile.value(keys::ENDPOINT_URL).map(|url| {
                    (
                        url,
                        format!("endpoint_url of profile `{}`", p.profile.name()),
                    )
                })
            }),
        ];
        if let Some((url, origin)) = configured.into_iter().flatten().next() {
            return Endpoint::parse(url).map_err(|e| {
                let why = match e {
                    Error::InvalidRequest(m) => m,
                    other => other.to_string(),
                };
                Error::CredentialSource(format!("{why} (set by {origin})"))
            });
        }
    }
    region::validate(region_name)?;
    let fips = setting(
        env,
        "AWS_USE_FIPS_ENDPOINT",
        profile,
        keys::USE_FIPS_ENDPOINT,
    );
    let dual_stack = setting(
        env,
        "AWS_USE_DUALSTACK_ENDPOINT",
        profile,
        keys::USE_DUALSTACK_ENDPOINT,
    );
    Ok(Endpoint {
        scheme: Scheme::Https,
        authority: hostname(service, region_name, fips, dual_stack),
        base_path: String::new(),
    })
}

fn hostname(service: CredentialService, region: &str, fips: bool, dual_stack: bool) -> String {
    let china = region.starts_with("cn-");
    let suffix = match (china, dual_stack) {
        (true, true) => "api.amazonwebservices.com.cn",
        (true, false) => "amazonaws.com.cn",
        (false, true) => "api.aws",
        (false, false) => "amazonaws.com",
    };
    let prefix = match (service, fips) {
        // In GovCloud the plain STS endpoint is the FIPS one.
        (CredentialService::Sts, true) if region.starts_with("us-gov-") && !dual_stack => "sts",
        (CredentialService::Sts, true) => "sts-fips",
        (CredentialService::Sts, false) => "sts",
        (CredentialService::Sso, true) => "portal.sso-fips",
        (CredentialService::Sso, false) => "portal.sso",
    };
    format!("{prefix}.{region}.{suffix}")
}

fn ignore_configured(env: &Environment, profile: Option<ProfileSettings<'_>>) -> bool {
    setting(
        env,
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        profile,
        keys::IGNORE_CONFIGURED_ENDPOINT_URLS,
    )
}

/// A boolean setting: the variable when set, else the profile's property.
fn setting(env: &Environment, var: &str, profile: Option<ProfileSettings<'_>>, key: &str) -> bool {
    match env.get(var) {
        Some(value) => value.eq_ignore_ascii_case("true"),
        None => profile
            .and_then(|p| p.profile.value(key))
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(
        service: CredentialService,
        region: &str,
        vars: &[(&str, &str)],
        config: &str,
    ) -> String {
        let env = Environment::from_vars(vars.iter().copied());
        let set = ProfileSet::parse(Some(config), None).unwrap();
        let profile = set
            .get("default")
            .map(|profile| ProfileSettings { set: &set, profile });
        resolve(service, region, &env, profile)
            .map(|e| e.url("/"))
            .unwrap_or_else(|e| format!("error: {e:?}"))
    }

    #[test]
    fn regional_hostnames_and_variants() {
        use CredentialService::*;
        assert_eq!(
            url(Sts, "eu-west-1", &[], ""),
            "https://sts.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            url(Sso, "us-east-2", &[], ""),
            "https://portal.sso.us-east-2.amazonaws.com/"
        );
        assert_eq!(
            url(Sts, "cn-north-1", &[], ""),
            "https://sts.cn-north-1.amazonaws.com.cn/"
        );
        let both = [
            ("AWS_USE_FIPS_ENDPOINT", "true"),
            ("AWS_USE_DUALSTACK_ENDPOINT", "TRUE"),
        ];
        assert_eq!(
            url(Sts, "us-east-1", &both, ""),
            "https://sts-fips.us-east-1.api.aws/"
        );
        assert_eq!(
            url(Sso, "us-east-2", &both, ""),
            "https://portal.sso-fips.us-east-2.api.aws/"
        );
        let config = "[default]\nuse_fips_endpoint = true\n";
        assert_eq!(
            url(Sts, "us-east-1", &[], config),
            "https://sts-fips.us-east-1.amazonaws.com/"
        );
        assert_eq!(
            url(
                Sts,
                "us-east-1",
                &[("AWS_USE_FIPS_ENDPOINT", "false")],
                config
            ),
            "https://sts.us-east-1.amazonaws.com/"
        );
        assert_eq!(
            url(Sts, "us-gov-west-1", &[], config),
            "https://sts.us-gov-west-1.amazonaws.com/"
        );
        assert!(url(Sts, "evil.com/x", &[], "").starts_with("error"));
    }

    #[test]
    fn overrides_most_specific_first() {
        use CredentialService::*;
        let config = "[default]\nendpoint_url = http://profile-global\nservices = s\n\
                      [services s]\nsts =\n  endpoint_url = http://profile-sts\n";
        let all = [
            ("AWS_ENDPOINT_URL_STS", "http://env-sts"),
            ("AWS_ENDPOINT_URL", "http://env-global"),
        ];
        assert_eq!(url(Sts, "us-east-1", &all, config), "http://env-sts/");
        assert_eq!(
            url(Sts, "us-east-1", &all[1..], config),
            "http://profile-sts/"
        );
        assert_eq!(
            url(Sso, "us-east-1", &all[1..], config),
            "http://env-global/",
            "the sts entry is not SSO's"
        );
        assert_eq!(url(Sso, "us-east-1", &[], config), "http://profile-global/");
        let ignore = [("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"), all[0]];
        assert_eq!(
            url(Sts, "us-east-1", &ignore, config),
            "https://sts.us-east-1.amazonaws.com/"
        );
        let bad = url(Sts, "us-east-1", &[("AWS_ENDPOINT_URL_STS", "ftp://x")], "");
        assert!(
            bad.contains("CredentialSource") && bad.contains("AWS_ENDPOINT_URL_STS"),
            "{bad}"
        );
    }
}
