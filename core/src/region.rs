//! Which region a call goes to.

use crate::env::Environment;
use crate::error::{Error, InvalidRegion, RegionConflict};

/// The region the AWS SDKs fall back to when nothing names one.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The region in force: the explicit option, then `AWS_REGION`, then
/// `AWS_DEFAULT_REGION`, then the selected profile's `region`, then
/// `us-east-1`; checked by [`validate`] before anything is built with it.
///
/// This is the one place the order is decided: calls, discovery and the
/// credential chain's STS requests all go through it. An ARN model id
/// overrides it for its call, see [`region_of_arn`].
pub fn resolve(
    explicit: Option<&str>,
    env: &Environment,
    profile_region: Option<&str>,
) -> Result<String, Error> {
    let region = outside_profile(explicit, env)
        .or_else(|| profile_region.map(str::trim).filter(|r| !r.is_empty()))
        .unwrap_or(DEFAULT_REGION);
    validate(region).map(str::to_string)
}

/// The region when something other than the shared profile names it (a
/// blank option or variable counts as unset): the credential chain reads the
/// shared files for the profile's region only when this is `None`.
pub fn outside_profile<'a>(explicit: Option<&'a str>, env: &'a Environment) -> Option<&'a str> {
    configured(explicit, env).map(|(region, _)| region)
}

/// [`outside_profile`] with the name of where the region came from, for
/// messages.
fn configured<'a>(
    explicit: Option<&'a str>,
    env: &'a Environment,
) -> Option<(&'a str, &'static str)> {
    explicit
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| (r, "the region option"))
        .or_else(|| env.get("AWS_REGION").map(|r| (r, "AWS_REGION")))
        .or_else(|| {
            env.get("AWS_DEFAULT_REGION")
                .map(|r| (r, "AWS_DEFAULT_REGION"))
        })
}

/// The region of a call whose runtime endpoint may be the gateway's
/// `base_url`: as [`resolve`], except that a standard regional base URL
/// ([`of_base_url`]) takes the place of the profile's region and the
/// default (a user who points at `bedrock-runtime.eu-west-3.amazonaws.com`
/// means eu-west-3), and that a region set by the option or the variables
/// that disagrees with it is [`Error::RegionConflict`], before anything is
/// signed, rather than a signature every attempt would have refused.
pub fn resolve_for_base_url(
    explicit: Option<&str>,
    env: &Environment,
    profile_region: Option<&str>,
    base_url: Option<&str>,
) -> Result<String, Error> {
    let Some(url_region) = base_url.and_then(of_base_url) else {
        return resolve(explicit, env, profile_region);
    };
    match configured(explicit, env) {
        Some((region, source)) => {
            let region = validate(region)?;
            check_base_url(region, source, base_url)?;
            Ok(region.to_string())
        }
        None => Ok(url_region),
    }
}

/// [`Error::RegionConflict`] when `base_url` is a standard regional endpoint
/// of another region than `region` (which came from `source`).
pub fn check_base_url(region: &str, source: &str, base_url: Option<&str>) -> Result<(), Error> {
    match base_url.map(|url| (url, of_base_url(url))) {
        Some((url, Some(url_region))) if url_region != region => {
            Err(Error::RegionConflict(RegionConflict {
                base_url: url.trim().to_string(),
                base_url_region: url_region,
                region: region.to_string(),
                source: source.to_string(),
            }))
        }
        _ => Ok(()),
    }
}

/// The region named by a standard regional Bedrock Runtime endpoint:
/// `https://bedrock-runtime.REGION.amazonaws.com`, its FIPS
/// (`bedrock-runtime-fips.`) and dual-stack (`.api.aws`) variants, and
/// `.amazonaws.com.cn` for the China regions. Any other URL (a proxy, the
/// emulator, a VPC endpoint) names no region.
pub fn of_base_url(base_url: &str) -> Option<String> {
    let uri: http::Uri = base_url.trim().parse().ok()?;
    let host = uri.host()?.to_ascii_lowercase();
    let rest = host
        .strip_prefix("bedrock-runtime.")
        .or_else(|| host.strip_prefix("bedrock-runtime-fips."))?;
    let (region, suffix) = rest.split_once('.')?;
    let partition_ok = match suffix {
        "amazonaws.com" | "api.aws" => !region.starts_with("cn-"),
        "amazonaws.com.cn" => region.starts_with("cn-"),
        _ => false,
    };
    (partition_ok && is_valid(region)).then(|| region.to_string())
}

/// Whether `region` has the syntax of an AWS region name:
/// `[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]`, e.g. `us-east-1`,
/// `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`.
///
/// The region becomes part of a hostname (`bedrock-runtime.{region}.amazonaws.com`)
/// and of the SigV4 scope: a misspelt value (`us-east1`) must fail here with
/// a message naming the region, not later as a refused connection, and a
/// hostile one must not turn into some other host.
pub fn is_valid(region: &str) -> bool {
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let mut parts = region.split('-');
    let (Some(area), Some(last)) = (parts.next(), parts.next_back()) else {
        return false;
    };
    let middle_ok = match (parts.next(), parts.next(), parts.next()) {
        (Some(name), None, None) => lower(name),
        (Some(partition), Some(name), None) => {
            (partition == "gov"
                || partition
                    .strip_prefix("iso")
                    .is_some_and(|tail| tail.bytes().all(|b| b.is_ascii_lowercase())))
                && lower(name)
        }
        _ => false,
    };
    area.len() == 2
        && lower(area)
        && middle_ok
        && last.len() == 1
        && last.as_bytes()[0].is_ascii_digit()
}

/// `region`, if [`is_valid`]; else [`Error::InvalidRegion`].
pub fn validate(region: &str) -> Result<&str, Error> {
    if is_valid(region) {
        Ok(region)
    } else {
        Err(Error::InvalidRegion(InvalidRegion {
            region: region.to_string(),
        }))
    }
}

/// The region embedded in an ARN model id
/// (`arn:aws:bedrock:eu-west-1:123456789012:inference-profile/...`).
///
/// A model ARN only works in its own region, so it wins over every other
/// source for the call that uses it.
pub fn region_of_arn(model_id: &str) -> Option<&str> {
    let mut parts = model_id.splitn(6, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(_partition), Some(_service), Some(region)) if !region.is_empty() => {
            Some(region)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_option_then_variables_then_profile_then_default() {
        let env = Environment::from_vars([
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "ap-south-1"),
        ]);
        let profile = Some("eu-west-3");
        let resolve = |explicit, env, profile| resolve(explicit, env, profile).unwrap();
        assert_eq!(resolve(Some("us-west-2"), &env, profile), "us-west-2");
        assert_eq!(resolve(None, &env, profile), "eu-west-1");
        let env =
            Environment::from_vars([("AWS_REGION", " "), ("AWS_DEFAULT_REGION", "ap-south-1")]);
        assert_eq!(resolve(Some(""), &env, profile), "ap-south-1");
        let none = Environment::default();
        assert_eq!(resolve(Some(" "), &none, profile), "eu-west-3");
        assert_eq!(resolve(None, &none, Some(" ")), "us-east-1");
        assert_eq!(resolve(None, &none, None), "us-east-1");
        assert_eq!(outside_profile(None, &none), None);
    }

    #[test]
    fn a_misspelt_region_is_refused_wherever_it_comes_from() {
        let env = Environment::from_vars([("AWS_REGION", "us-east1")]);
        let Err(Error::InvalidRegion(bad)) = resolve(None, &env, None) else {
            panic!()
        };
        assert_eq!(bad.region, "us-east1");
        assert!(matches!(
            resolve(Some("eu-west-1"), &Environment::default(), Some("nowhere")),
            Ok(r) if r == "eu-west-1"
        ));
        assert!(matches!(
            resolve(None, &Environment::default(), Some("nowhere")),
            Err(Error::InvalidRegion(_))
        ));
    }

    #[test]
    fn regions_have_the_aws_syntax() {
        for ok in [
            "us-east-1",
            "eu-central-1",
            "eu-central-2",
            "ap-southeast-2",
            "us-gov-west-1",
            "cn-north-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "us-isof-south-1",
            "eu-isoe-west-1",
            "ca-west-1",
        ] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "us-east1",
            "us-east-12",
            "use-east-1",
            "u-east-1",
            "US-EAST-1",
            "us-east-x",
            "us--1",
            "us-gov-west-east-1",
            "us-foo-west-1",
            "us-east-1.evil",
            "us-east-1-",
            "-us-east-1",
            "us-ea5t-1",
            "xx-nowhere",
            "evil.com/x",
            "us-east-1#",
            "a b",
        ] {
            assert!(
                matches!(validate(bad), Err(Error::InvalidRegion(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn arn_carries_its_region() {
        assert_eq!(
            region_of_arn(
                "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-haiku-20240307-v1:0"
            ),
            Some("eu-central-1")
        );
        assert_eq!(
            region_of_arn("anthropic.claude-3-haiku-20240307-v1:0"),
            None
        );
        assert_eq!(region_of_arn("arn:aws:bedrock::123:foo"), None);
    }

    #[test]
    fn standard_regional_base_urls_name_their_region() {
        for (url, region) in [
            (
                "https://bedrock-runtime.eu-west-3.amazonaws.com",
                Some("eu-west-3"),
            ),
            (
                "https://bedrock-runtime.eu-west-3.amazonaws.com/",
                Some("eu-west-3"),
            ),
            (
                "https://Bedrock-Runtime.US-WEST-2.amazonaws.com:443",
                Some("us-west-2"),
            ),
            (
                "https://bedrock-runtime-fips.us-gov-west-1.amazonaws.com",
                Some("us-gov-west-1"),
            ),
            (
                "https://bedrock-runtime.cn-north-1.amazonaws.com.cn",
                Some("cn-north-1"),
            ),
            (
                "https://bedrock-runtime.us-east-1.api.aws",
                Some("us-east-1"),
            ),
            ("https://bedrock-runtime.cn-north-1.amazonaws.com", None),
            ("https://bedrock-runtime.us-east-1.amazonaws.com.cn", None),
            (
                "https://bedrock-runtime.us-east-1.amazonaws.com.evil.com",
                None,
            ),
            ("https://bedrock.us-east-1.amazonaws.com", None),
            ("https://bedrock-runtime.useast1.amazonaws.com", None),
            ("http://127.0.0.1:4567", None),
            (
                "https://proxy.example/bedrock-runtime.us-east-1.amazonaws.com",
                None,
            ),
            ("not a url", None),
        ] {
            assert_eq!(of_base_url(url).as_deref(), region, "{url}");
        }
    }

    #[test]
    fn a_regional_base_url_sets_the_region_unless_one_is_configured() {
        let url = Some("https://bedrock-runtime.eu-west-3.amazonaws.com");
        let none = Environment::default();
        let resolve =
            |explicit, env, profile, url| resolve_for_base_url(explicit, env, profile, url);
        // No option, no variable: the URL wins over the profile and the default.
        assert_eq!(
            resolve(None, &none, Some("us-west-2"), url).unwrap(),
            "eu-west-3"
        );
        assert_eq!(resolve(None, &none, None, url).unwrap(), "eu-west-3");
        // Agreeing settings are fine; a proxy URL changes nothing.
        let env = Environment::from_vars([("AWS_REGION", "eu-west-3")]);
        assert_eq!(resolve(None, &env, None, url).unwrap(), "eu-west-3");
        let proxy = Some("https://proxy.example/bedrock");
        assert_eq!(
            resolve(None, &none, Some("us-west-2"), proxy).unwrap(),
            "us-west-2"
        );
        assert_eq!(resolve(None, &none, None, None).unwrap(), "us-east-1");
    }

    #[test]
    fn a_configured_region_that_disagrees_is_a_conflict() {
        let url = Some("https://bedrock-runtime.eu-west-3.amazonaws.com");
        let env = Environment::from_vars([("AWS_REGION", "us-east-1")]);
        let Err(Error::RegionConflict(conflict)) = resolve_for_base_url(None, &env, None, url)
        else {
            panic!("expected a conflict")
        };
        assert_eq!(conflict.base_url_region, "eu-west-3");
        assert_eq!(conflict.region, "us-east-1");
        assert_eq!(conflict.source, "AWS_REGION");
        let shown = Error::RegionConflict(conflict).to_string();
        assert!(
            shown.contains(
                "base-url https://bedrock-runtime.eu-west-3.amazonaws.com is in eu-west-3 \
                 but the region is us-east-1 (from AWS_REGION)"
            ),
            "{shown}"
        );
        let Err(Error::RegionConflict(conflict)) =
            resolve_for_base_url(Some("ap-south-1"), &env, None, url)
        else {
            panic!("expected a conflict")
        };
        assert_eq!(conflict.source, "the region option");
        // A misspelt configured region is still an invalid region first.
        assert!(matches!(
            resolve_for_base_url(Some("us-east1"), &env, None, url),
            Err(Error::InvalidRegion(_))
        ));
    }
}
