//! The AWS shared `config` and `credentials` files, read as the AWS SDKs read them.
//!
//! The rules are smithy-rs's (`aws-runtime`'s `env_config`), which the shared
//! `profile-parser-tests.json` suite pins down; they differ from a generic INI
//! reader in ways users rely on:
//!
//! * the config file names profiles `[profile dev]` (and `[default]`), the
//!   credentials file `[dev]`; a section written the other file's way is
//!   ignored, not an error;
//! * `[profile default]` beats `[default]` in the config file;
//! * the config file also holds `[sso-session name]` and `[services name]`
//!   sections (any other `[kind name]` is kept for whoever asks for it);
//! * duplicate sections merge, later properties win, and the credentials file
//!   wins over the config file;
//! * property names are case-insensitive, values are kept as written, and an
//!   indented line continues the previous value (or, under `name =`, adds a
//!   `key = value` sub-property);
//! * `#` and `;` start a comment at the start of a line, anywhere in a section
//!   header, and after whitespace in a property line (`key = a;b` keeps
//!   `a;b`); an indented line keeps them as part of the value.
//!
//! Nothing here reads a file: [`location`] says which paths to read and which
//! profile is selected, the caller reads them, and [`ProfileSet::parse`]
//! turns their text into profiles. Malformed lines are errors that name the
//! file and line, never the line's text, since that text may be a secret.

pub mod location;
mod parser;
mod section;

pub use location::{FileLocation, Locations, Os, ProfileSource};
pub use parser::{Ignored, IgnoredReason, SyntaxError};
pub use section::{Profile, Property, Section, SsoSession};

use crate::error::Error;
use std::collections::BTreeMap;
use std::fmt;

/// The profile the SDKs use when nothing selects one.
pub const DEFAULT_PROFILE: &str = "default";

/// The property names the credential chain and region lookup read.
///
/// Spelled once here so that callers cannot mistype them; lookups are
/// case-insensitive, so `AWS_ACCESS_KEY_ID = ...` in a file still matches.
pub mod keys {
    pub const AWS_ACCESS_KEY_ID: &str = "aws_access_key_id";
    pub const AWS_SECRET_ACCESS_KEY: &str = "aws_secret_access_key";
    pub const AWS_SESSION_TOKEN: &str = "aws_session_token";
    pub const AWS_ACCOUNT_ID: &str = "aws_account_id";
    pub const ROLE_ARN: &str = "role_arn";
    pub const SOURCE_PROFILE: &str = "source_profile";
    pub const CREDENTIAL_SOURCE: &str = "credential_source";
    pub const EXTERNAL_ID: &str = "external_id";
    pub const ROLE_SESSION_NAME: &str = "role_session_name";
    pub const DURATION_SECONDS: &str = "duration_seconds";
    pub const MFA_SERIAL: &str = "mfa_serial";
    pub const WEB_IDENTITY_TOKEN_FILE: &str = "web_identity_token_file";
    pub const SSO_SESSION: &str = "sso_session";
    pub const SSO_START_URL: &str = "sso_start_url";
    pub const SSO_REGION: &str = "sso_region";
    pub const SSO_ACCOUNT_ID: &str = "sso_account_id";
    pub const SSO_ROLE_NAME: &str = "sso_role_name";
    pub const SSO_REGISTRATION_SCOPES: &str = "sso_registration_scopes";
    pub const CREDENTIAL_PROCESS: &str = "credential_process";
    pub const LOGIN_SESSION: &str = "login_session";
    pub const REGION: &str = "region";
    pub const ENDPOINT_URL: &str = "endpoint_url";
    pub const IGNORE_CONFIGURED_ENDPOINT_URLS: &str = "ignore_configured_endpoint_urls";
    pub const SERVICES: &str = "services";
    pub const USE_FIPS_ENDPOINT: &str = "use_fips_endpoint";
    pub const USE_DUALSTACK_ENDPOINT: &str = "use_dualstack_endpoint";

    /// Names whose presence `Debug` may show. Any other name stays hidden:
    /// a pasted secret on a line of its own ending in `=` parses as a
    /// property *name*.
    pub(crate) const KNOWN: &[&str] = &[
        AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY,
        AWS_SESSION_TOKEN,
        AWS_ACCOUNT_ID,
        ROLE_ARN,
        SOURCE_PROFILE,
        CREDENTIAL_SOURCE,
        EXTERNAL_ID,
        ROLE_SESSION_NAME,
        DURATION_SECONDS,
        MFA_SERIAL,
        WEB_IDENTITY_TOKEN_FILE,
        SSO_SESSION,
        SSO_START_URL,
        SSO_REGION,
        SSO_ACCOUNT_ID,
        SSO_ROLE_NAME,
        SSO_REGISTRATION_SCOPES,
        CREDENTIAL_PROCESS,
        LOGIN_SESSION,
        REGION,
        ENDPOINT_URL,
        IGNORE_CONFIGURED_ENDPOINT_URLS,
        SERVICES,
        USE_FIPS_ENDPOINT,
        USE_DUALSTACK_ENDPOINT,
    ];
}

/// Which of the two shared files a section, property or error comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    /// `~/.aws/config` (`AWS_CONFIG_FILE`): `[profile name]`, `[sso-session name]`, `[services name]`.
    Config,
    /// `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`): `[name]` only.
    Credentials,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Config => "config file",
            FileKind::Credentials => "credentials file",
        })
    }
}

/// A line of a shared file that no SDK would accept.
///
/// Carries the file, its path when the caller attached one
/// ([`ProfileError::with_path`]), the 1-based line and what is wrong, never
/// the line itself: in the credentials file it may well be a secret key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ProfileError {
    pub file: FileKind,
    pub path: Option<String>,
    pub line: usize,
    /// Shown in the message (not also as `source()`, which would print it twice).
    pub problem: SyntaxError,
}

impl ProfileError {
    /// Names the file in the message, e.g. `~/.aws/config`, once the caller
    /// knows where the text came from.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not parse the AWS {}", self.file)?;
        if let Some(path) = &self.path {
            write!(f, " {path}")?;
        }
        write!(f, ": line {}: {}", self.line, self.problem)
    }
}

/// A broken shared file stops the profile sources, as in the SDKs: guessing
/// around it could pick credentials the user did not mean.
impl From<ProfileError> for Error {
    fn from(e: ProfileError) -> Self {
        Error::CredentialSource(e.to_string())
    }
}

/// The profiles, SSO sessions and other sections of the config and
/// credentials files, merged as the SDKs merge them, plus which profile is
/// selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileSet {
    profiles: BTreeMap<String, Profile>,
    sso_sessions: BTreeMap<String, SsoSession>,
    /// `[kind name]` sections other than profiles and SSO sessions, by (kind, name).
    other_sections: BTreeMap<(String, String), Section>,
    ignored: Vec<Ignored>,
    selected: String,
}

impl Default for ProfileSet {
    fn default() -> Self {
        ProfileSet {
            profiles: BTreeMap::new(),
            sso_sessions: BTreeMap::new(),
            other_sections: BTreeMap::new(),
            ignored: Vec::new(),
            selected: DEFAULT_PROFILE.to_string(),
        }
    }
}

impl ProfileSet {
    /// Parses the config file's text, then the credentials file's, and merges
    /// them; `None` is a file that does not exist (same as an empty one).
    ///
    /// The first malformed line fails the whole set, as in the SDKs. The
    /// selected profile is `default`; see [`ProfileSet::select`].
    pub fn parse(
        config: Option<&str>,
        credentials: Option<&str>,
    ) -> Result<ProfileSet, ProfileError> {
        let mut set = ProfileSet::default();
        for (kind, text) in [
            (FileKind::Config, config),
            (FileKind::Credentials, credentials),
        ] {
            if let Some(text) = text {
                set.merge(parser::parse(text, kind)?);
            }
        }
        Ok(set)
    }

    /// Chooses the profile [`ProfileSet::selected`] returns, typically
    /// [`Locations::profile`] (explicit option, `AWS_PROFILE`, `default`).
    pub fn select(mut self, profile: impl Into<String>) -> Self {
        self.selected = profile.into();
        self
    }

    /// The selected profile's name, whether or not the files define it.
    pub fn selected_name(&self) -> &str {
        &self.selected
    }

    /// The selected profile, `None` when the files do not define it.
    pub fn selected(&self) -> Option<&Profile> {
        self.get(&self.selected)
    }

    /// A profile by name. Names are case-sensitive, as in the SDKs.
    pub fn get(&self, profile: &str) -> Option<&Profile> {
        self.profiles.get(profile)
    }

    /// Names of all profiles, sorted.
    pub fn profile_names(&self) -> impl Iterator<Item = &str> {
        self.profiles.keys().map(String::as_str)
    }

    /// Whether the files define no profile at all.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// An `[sso-session name]` section of the config file.
    pub fn sso_session(&self, name: &str) -> Option<&SsoSession> {
        self.sso_sessions.get(name)
    }

    /// Names of all SSO sessions, sorted.
    pub fn sso_session_names(&self) -> impl Iterator<Item = &str> {
        self.sso_sessions.keys().map(String::as_str)
    }

    /// Any other `[kind name]` section of the config file, e.g.
    /// `section("services", "dev")`. `kind` is case-sensitive, as in the SDKs.
    pub fn section(&self, kind: &str, name: &str) -> Option<&Section> {
        self.other_sections
            .get(&(kind.to_string(), name.to_string()))
    }

    /// A `[services name]` section: per-service settings such as `endpoint_url`.
    pub fn services(&self, name: &str) -> Option<&Section> {
        self.section(keys::SERVICES, name)
    }

    /// A per-service setting of `profile`: its `services = name` points at a
    /// `[services name]` section, where `key` is a sub-property of the
    /// service's entry:
    ///
    /// ```ini
    /// [profile dev]
    /// services = local
    /// [services local]
    /// bedrock_runtime =
    ///   endpoint_url = http://localhost:8080
    /// ```
    ///
    /// `service_id` is the SDK service id (`Bedrock Runtime`, `STS`). The
    /// file spells it in lower case with `_` for spaces (`bedrock_runtime`),
    /// as the AWS SDK reference guide and botocore do; smithy-rs looks for
    /// `bedrock-runtime` instead, so that spelling is accepted second. The
    /// sub-property name is case-sensitive, as in both SDKs.
    ///
    /// `None` also when `services` names a section that does not exist;
    /// botocore calls that an error, so a caller wanting to say so can check
    /// [`ProfileSet::services`].
    pub fn service_property(&self, profile: &Profile, service_id: &str, key: &str) -> Option<&str> {
        let section = self.services(profile.get(keys::SERVICES)?)?;
        let id = service_id.trim().to_ascii_lowercase();
        [id.replace(' ', "_"), id.replace(' ', "-")]
            .iter()
            .find_map(|service| section.sub_property(service, key))
    }

    /// Sections, properties and names the SDKs would skip, each with why:
    /// material for an error a user can act on when a profile they expect is
    /// missing (`[dev]` in the config file, `[profile dev]` in the
    /// credentials file).
    pub fn ignored(&self) -> &[Ignored] {
        &self.ignored
    }

    /// Why `profile` is not defined, when a section that looks meant to
    /// define it was ignored.
    pub fn why_missing(&self, profile: &str) -> Option<&Ignored> {
        if self.profiles.contains_key(profile) {
            return None;
        }
        self.ignored
            .iter()
            .find(|i| i.would_define_profile(profile))
    }

    fn merge(&mut self, parsed: parser::ParsedFile) {
        for section in parsed.sections {
            let target = match section.id {
                parser::SectionId::Profile(name) => self
                    .profiles
                    .entry(name.clone())
                    .or_insert_with(|| Section::new(name)),
                parser::SectionId::SsoSession(name) => self
                    .sso_sessions
                    .entry(name.clone())
                    .or_insert_with(|| Section::new(name)),
                parser::SectionId::Other { kind, name } => self
                    .other_sections
                    .entry((kind, name.clone()))
                    .or_insert_with(|| Section::new(name)),
            };
            for (name, property) in section.properties {
                target.insert(name, property);
            }
        }
        self.ignored.extend(parsed.ignored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn credentials_file_wins_and_origin_is_kept() {
        let set = ProfileSet::parse(
            Some("[profile dev]\nregion = eu-west-1\naws_access_key_id = FROMCONFIG\n"),
            Some("[dev]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = x\n"),
        )
        .unwrap();
        let dev = set.get("dev").unwrap();
        assert_eq!(dev.get(keys::AWS_ACCESS_KEY_ID), Some("AKIDEXAMPLE"));
        assert_eq!(
            dev.property(keys::AWS_ACCESS_KEY_ID).unwrap().file(),
            FileKind::Credentials
        );
        assert_eq!(dev.property(keys::AWS_ACCESS_KEY_ID).unwrap().line(), 2);
        assert_eq!(dev.property(keys::REGION).unwrap().file(), FileKind::Config);
    }

    #[test]
    fn selection_defaults_to_default() {
        let set = ProfileSet::parse(Some("[default]\nregion = us-west-2\n[profile dev]\n"), None)
            .unwrap();
        assert_eq!(set.selected_name(), "default");
        assert_eq!(
            set.selected().and_then(|p| p.get("region")),
            Some("us-west-2")
        );
        let set = set.select("dev");
        assert_eq!(set.selected_name(), "dev");
        assert_eq!(set.selected().unwrap().name(), "dev");
        assert!(set.select("nope").selected().is_none());
    }

    #[test]
    fn services_sections_resolve_per_service_settings() {
        let config = "[profile dev]\nservices = local\n\
                      [services local]\nbedrock_runtime =\n  endpoint_url = http://localhost:8080\n\
                      sts =\n  endpoint_url = http://localhost:9090\n";
        let set = ProfileSet::parse(Some(config), None).unwrap();
        let dev = set.get("dev").unwrap();
        assert_eq!(
            set.service_property(dev, "Bedrock Runtime", "endpoint_url"),
            Some("http://localhost:8080")
        );
        assert_eq!(
            set.service_property(dev, "STS", "endpoint_url"),
            Some("http://localhost:9090")
        );
        assert_eq!(
            set.service_property(dev, "STS", "ENDPOINT_URL"),
            None,
            "sub-property names are case-sensitive"
        );
        assert_eq!(set.service_property(dev, "Bedrock", "endpoint_url"), None);
        assert!(
            set.get("local").is_none(),
            "a services section is not a profile"
        );
    }

    #[test]
    fn why_missing_explains_the_usual_mistakes() {
        let set = ProfileSet::parse(
            Some("[dev]\nregion = eu-west-1\n"),
            Some("[profile prod]\nx = y\n"),
        )
        .unwrap();
        assert!(set.is_empty());
        let dev = set.why_missing("dev").unwrap();
        assert_eq!(
            (dev.file, dev.line, dev.reason),
            (FileKind::Config, 1, IgnoredReason::MissingProfilePrefix)
        );
        assert!(dev.to_string().contains("[profile dev]"), "{dev}");
        let prod = set.why_missing("prod").unwrap();
        assert_eq!(prod.reason, IgnoredReason::ProfilePrefixInCredentials);
        assert!(prod.to_string().contains("[prod]"), "{prod}");
        assert!(set.why_missing("other").is_none());
    }

    #[test]
    fn errors_name_file_and_line_but_never_the_text() {
        let credentials = format!("[default]\naws_access_key_id = AKIDEXAMPLE\n{SECRET}\n");
        let err = ProfileSet::parse(None, Some(&credentials)).unwrap_err();
        assert_eq!(
            (err.file, err.line, err.problem),
            (FileKind::Credentials, 3, SyntaxError::PropertyWithoutEquals)
        );
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(SECRET) && !shown.contains(&SECRET.to_ascii_lowercase()),
            "{shown}"
        );
        let err = err.with_path("~/.aws/credentials");
        assert_eq!(
            err.to_string(),
            "could not parse the AWS credentials file ~/.aws/credentials: line 3: \
             Expected an '=' sign defining a property (write `name = value`)"
        );
        let Error::CredentialSource(why) = Error::from(err) else {
            panic!()
        };
        assert!(why.contains("~/.aws/credentials"), "{why}");
    }

    #[test]
    fn debug_never_shows_values_or_unknown_names() {
        // A session token pasted on a line of its own: without `=` it is an
        // error (which does not quote it), with base64 padding it parses as
        // a property *name*, which Debug must not show either.
        let token = "IQoJb3JpZ2luX2VjEXAMPLEtoken+/";
        let credentials = format!("[default]\naws_secret_access_key = {SECRET}\n{token}\n");
        let err = ProfileSet::parse(None, Some(&credentials)).unwrap_err();
        assert_eq!(err.problem, SyntaxError::PropertyWithoutEquals);
        assert!(!format!("{err} {err:?}").contains(token));
        let credentials = format!("[default]\naws_secret_access_key = {SECRET}\n{token}==\n");
        let set = ProfileSet::parse(None, Some(&credentials)).unwrap();
        let shown = format!("{set:?}");
        assert!(shown.contains("aws_secret_access_key"), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(
            !shown
                .to_ascii_lowercase()
                .contains(&token.to_ascii_lowercase()),
            "{shown}"
        );
    }
}
