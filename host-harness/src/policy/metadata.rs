//! Cloud instance metadata: reachable only when the credential chain would
//! get that far, and then only for the requests the chain makes.
//!
//! EC2's instance metadata service answers anything on the instance: user
//! data (often with secrets in it), the instance's identity, its role's
//! credentials. On other clouds the same link-local address serves that
//! cloud's tokens. The plugin needs exactly three IMDSv2 requests, and only
//! when no earlier source of the chain is configured (the chain's order:
//! Bedrock API key, static keys, the selected profile, web identity,
//! container credentials, instance metadata): with keys in the environment,
//! a plugin that asks instance metadata is up to something else.

use bedrock_core::credentials::profile_chain::{self, Base, NamedSource, PlanError};
use bedrock_core::credentials::{container, imds};
use bedrock_core::env::Environment;
use bedrock_core::profile::ProfileSet;

/// EC2 instance metadata (IPv4 and IPv6).
pub const IMDS_HOSTS: [&str; 2] = ["169.254.169.254", "fd00:ec2::254"];

/// Why the chain stops before instance metadata, or `None` when it would
/// reach it. `profiles` are the shared files as the host reads them (`None`:
/// neither exists or they do not parse; the chain then fails or moves on
/// without the host's help).
pub fn earlier_source(env: &Environment, profiles: Option<&ProfileSet>) -> Option<String> {
    if env.flag(imds::DISABLED_VAR) {
        return Some(format!("{}=true", imds::DISABLED_VAR));
    }
    if env.get("AWS_BEARER_TOKEN_BEDROCK").is_some() {
        return Some("AWS_BEARER_TOKEN_BEDROCK is set".into());
    }
    // Both halves, as the chain wants them: half a pair moves on.
    if env.get("AWS_ACCESS_KEY_ID").is_some() && env.get("AWS_SECRET_ACCESS_KEY").is_some() {
        return Some("AWS_ACCESS_KEY_ID is set".into());
    }
    if let Some(set) = profiles {
        // The selected profile (`AWS_PROFILE`, else `default`; a call
        // cannot choose another): one that starts from instance metadata
        // needs it, any other configured one comes first.
        match profile_chain::plan(set) {
            Ok(chain)
                if matches!(
                    chain.base,
                    Base::CredentialSource {
                        source: NamedSource::Ec2InstanceMetadata,
                        ..
                    }
                ) =>
            {
                return None;
            }
            Ok(_) | Err(PlanError::Invalid(_)) => {
                return Some(format!(
                    "profile `{}` supplies the credentials",
                    set.selected_name()
                ));
            }
            Err(PlanError::NotConfigured(_)) => {}
        }
    }
    if env.get("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() {
        return Some("AWS_WEB_IDENTITY_TOKEN_FILE is set".into());
    }
    if !matches!(container::config(env), Ok(None)) {
        return Some("container credentials are configured".into());
    }
    None
}

/// The requests the chain makes of instance metadata: `PUT /latest/api/token`,
/// `GET /latest/meta-data/iam/security-credentials/` and
/// `GET /latest/meta-data/iam/security-credentials/<role>`; no query.
pub fn check_request(method: &http::Method, uri: &http::Uri) -> Result<(), &'static str> {
    const ONLY: &str = "instance metadata serves the plugin only PUT /latest/api/token and \
                        GET /latest/meta-data/iam/security-credentials/[<role>]";
    if uri.query().is_some() {
        return Err(ONLY);
    }
    let path = uri.path();
    let allowed = match *method {
        http::Method::PUT => path == imds::TOKEN_PATH,
        http::Method::GET => path.strip_prefix(imds::ROLE_PATH).is_some_and(|role| {
            role.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
        }),
        _ => false,
    };
    if allowed { Ok(()) } else { Err(ONLY) }
}

/// A header that asks another cloud's metadata service for its tokens:
/// GCP's `Metadata-Flavor`, Azure's `Metadata: true`, OCI's
/// `Authorization: Bearer Oracle`. No AWS request carries one.
pub fn foreign_metadata_header(headers: &http::HeaderMap) -> Option<&'static str> {
    if headers.contains_key("metadata-flavor") {
        return Some("the Metadata-Flavor header (GCP instance metadata) is refused");
    }
    if headers.contains_key("metadata") {
        return Some("the Metadata header (Azure instance metadata) is refused");
    }
    let oracle = headers
        .get_all(http::header::AUTHORIZATION)
        .iter()
        .any(|value| {
            value
                .to_str()
                .is_ok_and(|v| v.trim().eq_ignore_ascii_case("bearer oracle"))
        });
    oracle.then_some("Authorization: Bearer Oracle (OCI instance metadata) is refused")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        Environment::from_vars(pairs.iter().copied())
    }

    fn profiles(config: &str, credentials: &str) -> ProfileSet {
        ProfileSet::parse(Some(config), Some(credentials)).unwrap()
    }

    #[test]
    fn any_earlier_source_closes_instance_metadata() {
        assert_eq!(earlier_source(&env(&[]), None), None);
        for vars in [
            &[("AWS_EC2_METADATA_DISABLED", "TRUE")][..],
            &[("AWS_BEARER_TOKEN_BEDROCK", "k")],
            &[
                ("AWS_ACCESS_KEY_ID", "AKID"),
                ("AWS_SECRET_ACCESS_KEY", "s"),
            ],
            &[
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
                ("AWS_ROLE_ARN", "arn"),
            ],
            &[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/c")],
            &[("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/c")],
        ] {
            assert!(earlier_source(&env(vars), None).is_some(), "{vars:?}");
        }
        // Half a key pair is no source: the chain moves on.
        assert_eq!(
            earlier_source(&env(&[("AWS_ACCESS_KEY_ID", "AKID")]), None),
            None
        );
    }

    #[test]
    fn a_profile_with_credentials_closes_it_one_from_instance_metadata_opens_it() {
        let keys = profiles(
            "",
            "[default]\naws_access_key_id = A\naws_secret_access_key = S\n",
        );
        assert!(earlier_source(&env(&[]), Some(&keys)).is_some());
        let region_only = profiles("[default]\nregion = eu-west-1\n", "");
        assert_eq!(earlier_source(&env(&[]), Some(&region_only)), None);
        let instance = profiles(
            "[default]\naws_access_key_id = A\naws_secret_access_key = S\n\
             [profile ec2]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Ec2InstanceMetadata\n",
            "",
        );
        assert!(
            earlier_source(&env(&[]), Some(&instance)).is_some(),
            "the default profile is selected"
        );
        let instance = instance.select("ec2");
        assert_eq!(earlier_source(&env(&[]), Some(&instance)), None);
        // Static keys in the environment come before any profile.
        let keys_env = env(&[("AWS_ACCESS_KEY_ID", "A"), ("AWS_SECRET_ACCESS_KEY", "S")]);
        assert!(earlier_source(&keys_env, Some(&instance)).is_some());
    }

    #[test]
    fn only_the_chains_requests() {
        let ok = |m: http::Method, uri: &str| check_request(&m, &uri.parse().unwrap()).is_ok();
        assert!(ok(
            http::Method::PUT,
            "http://169.254.169.254/latest/api/token"
        ));
        assert!(ok(
            http::Method::GET,
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
        ));
        assert!(ok(
            http::Method::GET,
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/my-role"
        ));
        for (method, uri) in [
            (http::Method::GET, "http://169.254.169.254/latest/user-data"),
            (http::Method::GET, "http://169.254.169.254/latest/api/token"),
            (
                http::Method::PUT,
                "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            ),
            (
                http::Method::GET,
                "http://169.254.169.254/latest/meta-data/iam/security-credentials/r/../../user-data",
            ),
            (
                http::Method::GET,
                "http://169.254.169.254/latest/meta-data/iam/security-credentials/r?x=1",
            ),
            (
                http::Method::GET,
                "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token",
            ),
            (
                http::Method::GET,
                "http://169.254.169.254/metadata/identity/oauth2/token",
            ),
            (http::Method::GET, "http://169.254.169.254/opc/v2/instance/"),
            (
                http::Method::POST,
                "http://169.254.169.254/latest/api/token",
            ),
        ] {
            assert!(!ok(method.clone(), uri), "{method} {uri}");
        }
    }

    #[test]
    fn other_clouds_metadata_headers() {
        let with = |name: &'static str, value: &'static str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(name, http::HeaderValue::from_static(value));
            foreign_metadata_header(&headers)
        };
        assert!(with("metadata-flavor", "Google").is_some());
        assert!(with("metadata", "true").is_some());
        assert!(with("authorization", "Bearer Oracle").is_some());
        assert!(with("authorization", "Bearer ABSK-api-key").is_none());
        assert!(with("x-aws-ec2-metadata-token", "t").is_none());
    }
}
