//! Every AWS key pair the emulator accepts: the configured ones, which never expire, and the
//! temporary credentials it issued itself through IMDS, the container endpoint, STS and the
//! SSO portal.
//!
//! Issued credentials are real: once handed out they sign Bedrock and STS requests like any
//! configured key, until their expiry; after it AWS answers `ExpiredToken(Exception)`, and
//! so does the verifier (see [`crate::sigv4`]). Keeping both kinds in one place is what lets
//! a test go from IMDS to a signed ConverseStream without configuring anything.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::StaticCredentials;
use crate::clock;
use crate::ids::{self, BASE64, KEY_ID};

/// Length of an issued session token. Real ones are longer and vary; clients only carry it.
const SESSION_TOKEN_LEN: usize = 344;

/// The accepted keys.
pub struct Keyring {
    configured: Vec<StaticCredentials>,
    issued: Mutex<Vec<Issued>>,
}

/// A key as the verifier looks it up.
pub struct Key {
    pub credentials: StaticCredentials,
    /// `None` for configured keys.
    pub expires_at: Option<SystemTime>,
}

struct Issued {
    source: &'static str,
    credentials: TemporaryCredentials,
}

/// One set of temporary credentials the emulator handed out, for tests to look up. It holds
/// no secret, so it may be logged and compared freely.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCredentials {
    /// Which endpoint issued them: `imds`, `container`, `sts`, `sts-web-identity` or `sso`.
    pub source: &'static str,
    pub access_key_id: String,
    pub expires_at: SystemTime,
}

/// Freshly issued credentials, as an endpoint writes them into its answer.
#[derive(Clone)]
pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Whole seconds (see [`clock::whole_seconds`]).
    pub expires_at: SystemTime,
}

/// Shows the key id and expiry only.
impl std::fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &"** redacted **")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What an endpoint needs to issue credentials: where to register them, the time, and how
/// long they last unless the caller asks for less.
#[derive(Clone, Copy)]
pub struct Issuer<'a> {
    pub keyring: &'a Keyring,
    pub now: SystemTime,
    pub lifetime: Duration,
}

impl Issuer<'_> {
    /// Credentials valid for the configured lifetime.
    pub fn issue(&self, source: &'static str) -> TemporaryCredentials {
        self.issue_for(source, self.lifetime)
    }

    /// Credentials valid for `lifetime`, registered under `source`.
    pub fn issue_for(&self, source: &'static str, lifetime: Duration) -> TemporaryCredentials {
        let credentials = TemporaryCredentials {
            access_key_id: format!("ASIA{}", ids::random(KEY_ID, 16)),
            secret_access_key: ids::random(BASE64, 40),
            session_token: ids::random(BASE64, SESSION_TOKEN_LEN),
            expires_at: clock::whole_seconds(self.now + lifetime),
        };
        self.keyring.lock().push(Issued {
            source,
            credentials: credentials.clone(),
        });
        credentials
    }
}

impl Keyring {
    pub fn new(configured: Vec<StaticCredentials>) -> Self {
        Self {
            configured,
            issued: Mutex::new(Vec::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Issued>> {
        self.issued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The key with this id, expired or not: telling an expired key from an unknown one is
    /// the verifier's job, as AWS tells them apart.
    pub fn find(&self, access_key_id: &str) -> Option<Key> {
        if let Some(credentials) = self
            .configured
            .iter()
            .find(|c| c.access_key_id == access_key_id)
        {
            return Some(Key {
                credentials: credentials.clone(),
                expires_at: None,
            });
        }
        let issued = self.lock();
        let found = issued
            .iter()
            .find(|i| i.credentials.access_key_id == access_key_id)?;
        let c = &found.credentials;
        Some(Key {
            credentials: StaticCredentials {
                access_key_id: c.access_key_id.clone(),
                secret_access_key: c.secret_access_key.clone(),
                session_token: Some(c.session_token.clone()),
            },
            expires_at: Some(c.expires_at),
        })
    }

    /// Everything issued so far, in order.
    pub fn issued(&self) -> Vec<IssuedCredentials> {
        self.lock()
            .iter()
            .map(|i| IssuedCredentials {
                source: i.source,
                access_key_id: i.credentials.access_key_id.clone(),
                expires_at: i.credentials.expires_at,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EmulatorConfig;

    #[test]
    fn issued_keys_are_found_with_their_expiry() {
        let keyring = Keyring::new(EmulatorConfig::default().credentials);
        let now = SystemTime::now();
        let issuer = Issuer {
            keyring: &keyring,
            now,
            lifetime: Duration::from_secs(60),
        };
        let first = issuer.issue("imds");
        let second = issuer.issue_for("sts", Duration::from_secs(5));
        assert_ne!(first.access_key_id, second.access_key_id);
        assert_ne!(first.secret_access_key, second.secret_access_key);
        assert!(first.access_key_id.starts_with("ASIA") && first.access_key_id.len() == 20);
        assert_eq!(first.secret_access_key.len(), 40);

        let key = keyring.find(&second.access_key_id).unwrap();
        assert_eq!(key.credentials.secret_access_key, second.secret_access_key);
        assert_eq!(
            key.credentials.session_token.as_ref(),
            Some(&second.session_token)
        );
        let expires = key.expires_at.unwrap();
        assert!(expires <= now + Duration::from_secs(5));
        assert!(expires > now + Duration::from_secs(3));
        assert_eq!(expires, clock::whole_seconds(expires));

        let configured = keyring.find("AKIDEXAMPLE").unwrap();
        assert_eq!(configured.expires_at, None);
        assert!(keyring.find("ASIANOBODY").is_none());

        let issued = keyring.issued();
        let sources: Vec<&str> = issued.iter().map(|i| i.source).collect();
        assert_eq!(sources, ["imds", "sts"]);
        assert_eq!(issued[1].access_key_id, second.access_key_id);
    }

    #[test]
    fn debug_shows_no_secret() {
        let keyring = Keyring::new(Vec::new());
        let issuer = Issuer {
            keyring: &keyring,
            now: SystemTime::now(),
            lifetime: Duration::from_secs(60),
        };
        let issued = issuer.issue("sso");
        let shown = format!("{issued:?} {:?}", keyring.issued());
        assert!(shown.contains(&issued.access_key_id));
        assert!(!shown.contains(&issued.secret_access_key));
        assert!(!shown.contains(&issued.session_token));
    }
}
