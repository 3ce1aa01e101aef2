//! Which credentials are in force, and where they came from.
//!
//! Order, as the gateway documents it: `AWS_BEARER_TOKEN_BEDROCK`, then
//! `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), then
//! the rest of the AWS default chain: the shared config and credentials
//! files, web identity, container credentials and EC2 instance metadata.
//!
//! * [`in_force`] is the operation: the host's cache, else the whole chain
//!   ([`chain::resolve`]), over a [`Platform`];
//! * [`resolve`] is the synchronous shortcut for the first two sources only
//!   (environment variables), for callers that cannot do I/O at all;
//! * [`cache`] is how temporary credentials outlive one component instance,
//!   and [`needs_refresh`] says when they must be fetched again.
//!
//! The sources live in their own modules: [`profile_chain`] (what a profile
//! stands for), [`sts`], [`sso`], [`container`], [`imds`], [`endpoints`]
//! (where STS and SSO are).
//!
//! Secrets never leave this module in a printable form: the types here
//! implement `Debug` with the secret redacted, errors name the source (a
//! profile, a variable, a file path) and never a value, and
//! [`Resolved::info`] is the only view handed to the host.

pub mod cache;
pub mod chain;
pub mod container;
pub mod endpoints;
mod environment;
pub mod imds;
mod json_credentials;
pub mod profile_chain;
mod send;
pub mod sso;
pub mod sts;
mod xml;

pub use chain::ChainOptions;
pub use send::{MAX_FILE_BYTES, MAX_RESPONSE_BYTES};

use crate::env::Environment;
use crate::error::Error;
use crate::platform::Platform;
use crate::types::{CredentialInfo, CredentialKind, ProviderConfig};
use std::fmt;
use std::time::{Duration, SystemTime};

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
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
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
    /// The selected profile's `region`, when the shared config sets one: it
    /// comes after the option, `AWS_REGION` and `AWS_DEFAULT_REGION` and
    /// before `us-east-1` (see [`Resolved::region`]). `None` when no profile
    /// sets one, or when the chain did not need to read the files because
    /// something earlier in that order names the region.
    pub profile_region: Option<String>,
}

impl Resolved {
    /// Credentials from `label`, with no profile region.
    pub fn new(credentials: Credentials, kind: CredentialKind, label: String) -> Resolved {
        Resolved {
            credentials,
            kind,
            label,
            profile_region: None,
        }
    }

    /// When temporary credentials expire; `None` for long-term ones.
    pub fn expires_at(&self) -> Option<SystemTime> {
        match &self.credentials {
            Credentials::Aws(keys) => keys.expires_at,
            Credentials::BearerToken(_) => None,
        }
    }

    /// The region in force ([`region::resolve`](crate::region::resolve)
    /// with these credentials' profile region), validated.
    pub fn region(&self, explicit: Option<&str>, env: &Environment) -> Result<String, Error> {
        crate::region::resolve(explicit, env, self.profile_region.as_deref())
    }

    /// The region a call with `config` goes to: [`region`](Self::region),
    /// following a standard regional `base-url` when no region is set
    /// ([`region::resolve_for_base_url`](crate::region::resolve_for_base_url)).
    pub fn call_region(&self, config: &ProviderConfig, env: &Environment) -> Result<String, Error> {
        crate::region::resolve_for_base_url(
            config.region.as_deref(),
            env,
            self.profile_region.as_deref(),
            config.base_url.as_deref(),
        )
    }

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
        CredentialInfo {
            kind: self.kind,
            label: self.label.clone(),
            region,
            expires_at: self.expires_at().map(crate::time::unix_seconds),
        }
    }
}

/// The credentials in force for a call whose explicit region is `region`.
///
/// Temporary credentials come from the host's cache while they are good for
/// more than [`REFRESH_MARGIN`]; `fresh` skips the cache (after the service
/// said the cached ones expired). A resolution is cached for the next call.
pub fn in_force<P: Platform>(
    platform: &mut P,
    env: &Environment,
    region: Option<&str>,
    fresh: bool,
) -> Result<Resolved, Error> {
    let now = platform.now();
    let options = ChainOptions {
        region: region.map(str::to_string),
        ..ChainOptions::at(now)
    };
    // The environment's own credentials are read without I/O and never cached:
    // the cache's key (a SHA-256 of the environment) and lookup would only
    // delay every call made with them.
    if let Some(resolved) = chain::from_environment(env, &options) {
        return Ok(resolved);
    }
    let key = cache::cache_key(env, &options);
    if !fresh {
        let cached = platform.cache_get(&key).and_then(|b| cache::decode(&b));
        if let Some(cached) = cached.filter(|c| !needs_refresh(c.expires_at(), now)) {
            return Ok(cached);
        }
    }
    let resolved = chain::resolve(platform, env, &options)?;
    if let Some(bytes) = cache::encode(&resolved) {
        platform.cache_set(&key, &bytes);
    }
    Ok(resolved)
}

/// How long before their expiry temporary credentials are fetched again: a
/// request signed just before expiry must not arrive after it, and STS,
/// IMDS and the container endpoint all hand out new credentials well before
/// (the SDKs refresh 5 minutes early too).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Whether credentials expiring at `expires_at` must be fetched again at
/// `now`. Long-term credentials (`None`) never need it.
pub fn needs_refresh(expires_at: Option<SystemTime>, now: SystemTime) -> bool {
    expires_at.is_some_and(|expiry| now + REFRESH_MARGIN >= expiry)
}

/// Sources later in the chain that [`resolve`] does not read, with the
/// variable that selects each.
const UNIMPLEMENTED_SOURCES: &[(&str, &str)] = &[
    ("AWS_PROFILE", "shared config/credentials profiles"),
    (
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "web identity (AssumeRoleWithWebIdentity)",
    ),
    (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "ECS container credentials",
    ),
    (
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "container / EKS Pod Identity credentials",
    ),
];

/// The environment sources only (`AWS_BEARER_TOKEN_BEDROCK`, then AWS
/// keys), for callers that cannot do I/O; [`in_force`] resolves the whole chain.
///
/// When neither is set but a later source is configured, the error says that
/// this shortcut does not read it, naming the variable.
pub fn resolve(env: &Environment) -> Result<Resolved, Error> {
    if let Some(resolved) = environment::bearer(env) {
        return Ok(resolved);
    }
    if let Ok(resolved) = environment::keys(env) {
        return Ok(resolved);
    }
    if let Some((variable, source)) = UNIMPLEMENTED_SOURCES
        .iter()
        .find(|(v, _)| env.get(v).is_some())
    {
        return Err(Error::NotImplemented(format!(
            "{variable} is set, but {source} are read only by the whole credential chain, \
             not by this environment-only shortcut; set AWS_BEARER_TOKEN_BEDROCK or \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead"
        )));
    }
    Err(Error::NoCredentials(
        "no AWS credentials found: looked for AWS_BEARER_TOKEN_BEDROCK, then \
         AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY (blank values count as unset); \
         this environment-only shortcut does not read shared profiles, web identity, \
         container or instance-role credentials"
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
        let Credentials::Aws(keys) = &r.credentials else {
            panic!("expected AWS keys")
        };
        assert_eq!(keys.session_token.as_deref(), Some("token-EXAMPLE"));
    }

    #[test]
    fn credentials_in_the_environment_skip_the_cache() {
        use crate::platform::fake::FakePlatform;
        let keys = [
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", SECRET),
        ];
        let with_region =
            Environment::from_vars(keys.into_iter().chain([("AWS_REGION", "eu-west-1")]));
        let mut platform = FakePlatform::new();
        let options = chain::ChainOptions::at(platform.now);
        let resolved = in_force(&mut platform, &with_region, None, false).unwrap();
        assert_eq!(
            resolved,
            chain::resolve(&mut FakePlatform::new(), &with_region, &options).unwrap()
        );
        assert_eq!(
            in_force(
                &mut platform,
                &Environment::from_vars(keys),
                Some("us-west-2"),
                true
            )
            .unwrap()
            .kind,
            CredentialKind::Environment
        );
        assert_eq!(platform.cache_lookups, Vec::<String>::new());
        assert_eq!(platform.reads, Vec::<String>::new());
        // Without a region, the profile's is read: the chain runs, through
        // its cache.
        let without_region = Environment::from_vars(keys.into_iter().chain([("HOME", "/home/u")]));
        let resolved = in_force(&mut platform, &without_region, None, false).unwrap();
        assert_eq!(resolved.kind, CredentialKind::Environment);
        assert_eq!(platform.cache_lookups.len(), 1);
        assert!(!platform.reads.is_empty());
    }

    #[test]
    fn key_without_secret_is_not_a_source() {
        let env = Environment::from_vars([
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", ""),
        ]);
        assert!(matches!(resolve(&env), Err(Error::NoCredentials(_))));
    }

    #[test]
    fn later_sources_say_they_are_not_implemented() {
        let env = Environment::from_vars([("AWS_PROFILE", "dev")]);
        let Err(Error::NotImplemented(why)) = resolve(&env) else {
            panic!()
        };
        assert!(why.contains("AWS_PROFILE"), "{why}");
    }

    #[test]
    fn refresh_five_minutes_before_expiry() {
        let expiry = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000);
        assert!(
            !needs_refresh(None, expiry),
            "long-term credentials never expire"
        );
        assert!(!needs_refresh(
            Some(expiry),
            expiry - Duration::from_secs(301)
        ));
        assert!(needs_refresh(
            Some(expiry),
            expiry - Duration::from_secs(300)
        ));
        assert!(needs_refresh(Some(expiry), expiry + Duration::from_secs(1)));
    }

    #[test]
    fn region_order_puts_the_profile_before_the_default() {
        let mut r = Resolved::new(
            Credentials::BearerToken("k".into()),
            CredentialKind::BearerToken,
            "env".into(),
        );
        let env = Environment::from_vars([("AWS_DEFAULT_REGION", "ap-south-1")]);
        assert_eq!(
            r.region(None, &Environment::default()).unwrap(),
            "us-east-1"
        );
        r.profile_region = Some("eu-west-3".into());
        assert_eq!(
            r.region(None, &Environment::default()).unwrap(),
            "eu-west-3"
        );
        assert_eq!(r.region(None, &env).unwrap(), "ap-south-1");
        assert_eq!(
            r.region(Some(" "), &env).unwrap(),
            "ap-south-1",
            "a blank option counts as unset"
        );
        assert_eq!(r.region(Some("us-west-2"), &env).unwrap(), "us-west-2");
    }

    #[test]
    fn info_reports_the_expiry_in_seconds() {
        let r = Resolved::new(
            Credentials::Aws(AwsCredentials {
                access_key_id: "ASIA".into(),
                secret_access_key: SECRET.into(),
                session_token: Some("t".into()),
                expires_at: Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_900)),
            }),
            CredentialKind::Sso,
            "sso: corp".into(),
        );
        let info = r.info("eu-west-1".into());
        assert_eq!(
            (
                info.kind,
                info.label.as_str(),
                info.region.as_str(),
                info.expires_at
            ),
            (
                CredentialKind::Sso,
                "sso: corp",
                "eu-west-1",
                Some(1_700_000_000)
            )
        );
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
        assert!(
            !shown.contains(SECRET) && !shown.contains("token-EXAMPLE"),
            "{shown}"
        );
        let bearer = Resolved::new(
            Credentials::BearerToken("bedrock-api-key-EXAMPLE".into()),
            CredentialKind::BearerToken,
            "env: AWS_BEARER_TOKEN_BEDROCK".into(),
        );
        assert!(!format!("{bearer:?}").contains("bedrock-api-key-EXAMPLE"));
        assert!(!bearer.principal().contains("bedrock-api-key-EXAMPLE"));
        assert!(!r.principal().contains(SECRET));
    }
}
