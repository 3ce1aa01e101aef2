//! Which credentials are in force.
//!
//! Order, as the gateway documents it: `AWS_BEARER_TOKEN_BEDROCK`, then
//! `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), then
//! the rest of the AWS default chain. This build resolves the environment
//! sources; profiles, web identity, container and instance credentials answer
//! with a typed `not-implemented` error that names the source.
//!
//! Secrets never leave this module in a printable form: the types here
//! implement `Debug` with the secret redacted, and [`Resolved::info`] is the
//! only view handed to the host.

use crate::env::Environment;
use crate::types::{CredentialInfo, CredentialKind, ProviderError};
use std::fmt;
use std::time::SystemTime;

/// Long-term or temporary AWS keys, for SigV4.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub expires_at: Option<SystemTime>,
}

impl fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &self.session_token.as_ref().map(|_| "** redacted **"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// How requests are authorised.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A Bedrock API key, sent as `Authorization: Bearer`.
    BearerToken(String),
    /// AWS keys, sent as a SigV4 signature.
    Aws(AwsCredentials),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::BearerToken(_) => f.write_str("BearerToken(** redacted **)"),
            Credentials::Aws(keys) => keys.fmt(f),
        }
    }
}

/// Credentials together with where they came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub credentials: Credentials,
    pub kind: CredentialKind,
    /// E.g. `env: AWS_ACCESS_KEY_ID`: shown to operators, never secret.
    pub label: String,
}

impl Resolved {
    /// A stable, non-secret name for whose credentials these are, for cache
    /// keys: two accounts see different models. AWS keys are named by their
    /// access key id (not secret); an API key by a digest of it.
    pub fn principal(&self) -> String {
        match &self.credentials {
            Credentials::Aws(keys) => format!("{}|{}", self.label, keys.access_key_id),
            Credentials::BearerToken(token) => {
                use sha2::Digest as _;
                let digest = sha2::Sha256::digest(token.as_bytes());
                let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
                format!("{}|sha256:{short}", self.label)
            }
        }
    }

    /// The host's view: origin, region and expiry, no secret.
    pub fn info(&self, region: String) -> CredentialInfo {
        let expires_at = match &self.credentials {
            Credentials::Aws(keys) => keys.expires_at.and_then(|t| {
                t.duration_since(SystemTime::UNIX_EPOCH).ok().map(|d| d.as_secs())
            }),
            Credentials::BearerToken(_) => None,
        };
        CredentialInfo {
            kind: self.kind,
            label: self.label.clone(),
            region,
            expires_at,
        }
    }
}

/// Sources later in the chain that this build does not resolve yet, with the
/// variable that selects each.
const UNIMPLEMENTED_SOURCES: &[(&str, &str)] = &[
    ("AWS_PROFILE", "shared config/credentials profiles"),
    ("AWS_WEB_IDENTITY_TOKEN_FILE", "web identity (AssumeRoleWithWebIdentity)"),
    ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "ECS container credentials"),
    ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "container / EKS Pod Identity credentials"),
];

/// Resolves the credential chain from the environment.
pub fn resolve(env: &Environment) -> Result<Resolved, ProviderError> {
    if let Some(token) = env.get("AWS_BEARER_TOKEN_BEDROCK") {
        return Ok(Resolved {
            credentials: Credentials::BearerToken(token.to_string()),
            kind: CredentialKind::BearerToken,
            label: "env: AWS_BEARER_TOKEN_BEDROCK".to_string(),
        });
    }
    if let (Some(access_key_id), Some(secret_access_key)) =
        (env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY"))
    {
        return Ok(Resolved {
            credentials: Credentials::Aws(AwsCredentials {
                access_key_id: access_key_id.to_string(),
                secret_access_key: secret_access_key.to_string(),
                session_token: env.get("AWS_SESSION_TOKEN").map(str::to_string),
                expires_at: None,
            }),
            kind: CredentialKind::Environment,
            label: "env: AWS_ACCESS_KEY_ID".to_string(),
        });
    }
    if let Some((variable, source)) = UNIMPLEMENTED_SOURCES.iter().find(|(v, _)| env.get(v).is_some()) {
        return Err(ProviderError::NotImplemented(format!(
            "{variable} is set, but {source} are not supported by this build of the plugin yet; \
             set AWS_BEARER_TOKEN_BEDROCK or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead"
        )));
    }
    Err(ProviderError::NoCredentials(
        "no AWS credentials found: looked for AWS_BEARER_TOKEN_BEDROCK, then \
         AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY (blank values count as unset); \
         shared profiles, web identity, container and instance-role credentials are not \
         read by this build yet"
            .to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn bearer_token_comes_first() {
        let env = Environment::from_vars([
            ("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-EXAMPLE"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ]);
        let r = resolve(&env).unwrap();
        assert_eq!(r.kind, CredentialKind::BearerToken);
        assert_eq!(r.label, "env: AWS_BEARER_TOKEN_BEDROCK");
    }

    #[test]
    fn static_keys_with_session_token() {
        let env = Environment::from_vars([
            ("AWS_BEARER_TOKEN_BEDROCK", " "),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SESSION_TOKEN", "token-EXAMPLE"),
        ]);
        let r = resolve(&env).unwrap();
        assert_eq!(r.kind, CredentialKind::Environment);
        let Credentials::Aws(keys) = &r.credentials else { panic!("expected AWS keys") };
        assert_eq!(keys.session_token.as_deref(), Some("token-EXAMPLE"));
    }

    #[test]
    fn key_without_secret_is_not_a_source() {
        let env = Environment::from_vars([("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "")]);
        assert!(matches!(resolve(&env), Err(ProviderError::NoCredentials(_))));
    }

    #[test]
    fn later_sources_say_they_are_not_implemented() {
        let env = Environment::from_vars([("AWS_PROFILE", "dev")]);
        let Err(ProviderError::NotImplemented(why)) = resolve(&env) else { panic!() };
        assert!(why.contains("AWS_PROFILE"), "{why}");
    }

    #[test]
    fn debug_and_info_never_show_secrets() {
        let env = Environment::from_vars([
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
            ("AWS_SESSION_TOKEN", "token-EXAMPLE"),
        ]);
        let r = resolve(&env).unwrap();
        let shown = format!("{r:?} {:?}", r.info("us-east-1".into()));
        assert!(!shown.contains(SECRET) && !shown.contains("token-EXAMPLE"), "{shown}");
        let bearer = Resolved {
            credentials: Credentials::BearerToken("bedrock-api-key-EXAMPLE".into()),
            kind: CredentialKind::BearerToken,
            label: "env: AWS_BEARER_TOKEN_BEDROCK".into(),
        };
        assert!(!format!("{bearer:?}").contains("bedrock-api-key-EXAMPLE"));
        assert!(!bearer.principal().contains("bedrock-api-key-EXAMPLE"));
        assert!(!r.principal().contains(SECRET));
    }
}
