//! Temporary credentials in the host's cache, across component instances.
//!
//! The host may start a fresh instance for every call, so credentials from
//! STS, SSO, a container or IMDS would be fetched again each time without a
//! cache that outlives the instance (`wasi:keyvalue`). [`encode`] writes a
//! compact JSON record, only for credentials that expire: long-term keys
//! are re-read from their source on every call, which costs nothing and
//! notices a rotated credentials file at once. [`decode`] reads it back and
//! refuses anything it does not recognise (a different format version, a
//! damaged value): a miss, never an error. [`cache_key`] names the entry by
//! the settings that choose the source, so that switching `AWS_PROFILE`, the
//! role or the container endpoint never serves the previous source's keys.
//!
//! The record holds the secret: the host's store is where the plugin keeps
//! state, and the key never includes one.

use super::{AwsCredentials, ChainOptions, Credentials, Resolved};
use crate::env::Environment;
use crate::types::CredentialKind;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Record {
    v: u32,
    kind: String,
    label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    key: String,
    secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    /// Seconds since the epoch.
    expires: u64,
}

/// The cache value for `resolved`; `None` for credentials that do not expire
/// (long-term keys, API keys), which are not cached.
pub fn encode(resolved: &Resolved) -> Option<Vec<u8>> {
    let Credentials::Aws(keys) = &resolved.credentials else {
        return None;
    };
    let expires = keys.expires_at?;
    let record = Record {
        v: VERSION,
        kind: kind_name(resolved.kind).to_string(),
        label: resolved.label.clone(),
        region: resolved.profile_region.clone(),
        key: keys.access_key_id.clone(),
        secret: keys.secret_access_key.clone(),
        token: keys.session_token.clone(),
        expires: crate::time::unix_seconds(expires),
    };
    serde_json::to_vec(&record).ok()
}

/// Reads a cache value back; `None` when it is not one of ours.
pub fn decode(bytes: &[u8]) -> Option<Resolved> {
    let record: Record = serde_json::from_slice(bytes).ok()?;
    if record.v != VERSION || record.key.is_empty() || record.secret.is_empty() {
        return None;
    }
    Some(Resolved {
        credentials: Credentials::Aws(AwsCredentials {
            access_key_id: record.key,
            secret_access_key: record.secret,
            session_token: record.token,
            expires_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(record.expires)),
        }),
        kind: kind_from_name(&record.kind)?,
        label: record.label,
        profile_region: record.region,
    })
}

/// The settings that choose which source the chain ends at. Secrets are
/// left out: `AWS_BEARER_TOKEN_BEDROCK` and `AWS_SECRET_ACCESS_KEY` count only
/// as set or unset (either makes the chain stop before any cached source).
const SELECTORS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "HOME",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSO",
];

/// `credentials:v1:<digest>`, the same for the same settings.
pub fn cache_key(env: &Environment, options: &ChainOptions) -> String {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    let mut field = |name: &str, value: Option<&str>| {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(value.unwrap_or("\u{0}unset").as_bytes());
        hasher.update([0]);
    };
    field("option:profile", options.profile.as_deref());
    field("option:region", options.region.as_deref());
    for name in SELECTORS {
        field(name, env.get(name));
    }
    for secret in ["AWS_BEARER_TOKEN_BEDROCK", "AWS_SECRET_ACCESS_KEY"] {
        field(secret, env.get(secret).map(|_| "set"));
    }
    let digest = hasher.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("credentials:v{VERSION}:{hex}")
}

fn kind_name(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::BearerToken => "bearer-token",
        CredentialKind::Environment => "environment",
        CredentialKind::Profile => "profile",
        CredentialKind::AssumeRole => "assume-role",
        CredentialKind::WebIdentity => "web-identity",
        CredentialKind::Sso => "sso",
        CredentialKind::Container => "container",
        CredentialKind::InstanceRole => "instance-role",
    }
}

fn kind_from_name(name: &str) -> Option<CredentialKind> {
    Some(match name {
        "bearer-token" => CredentialKind::BearerToken,
        "environment" => CredentialKind::Environment,
        "profile" => CredentialKind::Profile,
        "assume-role" => CredentialKind::AssumeRole,
        "web-identity" => CredentialKind::WebIdentity,
        "sso" => CredentialKind::Sso,
        "container" => CredentialKind::Container,
        "instance-role" => CredentialKind::InstanceRole,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temporary() -> Resolved {
        Resolved {
            credentials: Credentials::Aws(AwsCredentials {
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: "secret-EXAMPLE".into(),
                session_token: Some("token-EXAMPLE".into()),
                expires_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            }),
            kind: CredentialKind::AssumeRole,
            label: "assume role: arn:aws:iam::123456789012:role/R via profile dev".into(),
            profile_region: Some("eu-west-1".into()),
        }
    }

    #[test]
    fn round_trip() {
        let resolved = temporary();
        let bytes = encode(&resolved).unwrap();
        assert_eq!(decode(&bytes), Some(resolved));
        for kind in [
            CredentialKind::BearerToken,
            CredentialKind::Environment,
            CredentialKind::Profile,
            CredentialKind::WebIdentity,
            CredentialKind::Sso,
            CredentialKind::Container,
            CredentialKind::InstanceRole,
        ] {
            assert_eq!(kind_from_name(kind_name(kind)), Some(kind));
        }
    }

    #[test]
    fn only_expiring_credentials_are_cached() {
        let mut long_term = temporary();
        let Credentials::Aws(keys) = &mut long_term.credentials else {
            unreachable!()
        };
        keys.expires_at = None;
        assert_eq!(encode(&long_term), None);
        let bearer = Resolved::new(
            Credentials::BearerToken("k".into()),
            CredentialKind::BearerToken,
            "env".into(),
        );
        assert_eq!(encode(&bearer), None);
    }

    #[test]
    fn foreign_or_damaged_values_are_misses() {
        let good = String::from_utf8(encode(&temporary()).unwrap()).unwrap();
        for bad in [
            String::new(),
            "{}".into(),
            good.replace("\"v\":1", "\"v\":2"),
            good.replace("assume-role", "telepathy"),
            good[..good.len() - 1].to_string(),
        ] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn keys_follow_the_selecting_settings_and_hide_secrets() {
        let now = SystemTime::UNIX_EPOCH;
        let base =
            Environment::from_vars([("AWS_PROFILE", "dev"), ("AWS_BEARER_TOKEN_BEDROCK", "")]);
        let key = cache_key(&base, &ChainOptions::at(now));
        assert_eq!(
            key,
            cache_key(&base, &ChainOptions::at(now + Duration::from_secs(5))),
            "time is no part of it"
        );
        let other = Environment::from_vars([("AWS_PROFILE", "prod")]);
        assert_ne!(key, cache_key(&other, &ChainOptions::at(now)));
        let options = ChainOptions {
            profile: Some("x".into()),
            ..ChainOptions::at(now)
        };
        assert_ne!(key, cache_key(&base, &options));
        let with_secret =
            Environment::from_vars([("AWS_PROFILE", "dev"), ("AWS_SECRET_ACCESS_KEY", "s3cr3t")]);
        let secret_key = cache_key(&with_secret, &ChainOptions::at(now));
        assert_ne!(key, secret_key);
        assert!(!secret_key.contains("s3cr3t") && key.starts_with("credentials:v1:"));
    }
}
