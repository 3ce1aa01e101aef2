//! Which credentials a profile stands for, before any of them is fetched.
//!
//! A profile is either a *base* source (static keys, a `credential_source`,
//! `web_identity_token_file`, SSO, `credential_process`) or a role
//! (`role_arn`) assumed with the credentials of another profile
//! (`source_profile`) or of a `credential_source`. [`plan`] walks the
//! `source_profile` links from the selected profile down to a base and
//! returns the base plus the roles to assume, in the order they are assumed.
//! The rules are the SDKs' (smithy-rs's `profile::credentials::repr`, pinned
//! by the shared `assume-role-tests.json`):
//!
//! * after the first profile, static keys win over everything else in a
//!   source profile (a role profile with keys is a base when reached through
//!   `source_profile`);
//! * `source_profile` naming the profile itself means "my own keys";
//! * a profile visited twice is a loop, reported with the path;
//! * `web_identity_token_file` makes a base even with `role_arn` (the role
//!   is the web identity's);
//! * a base is looked for in this order: `credential_source`, web identity,
//!   SSO, `credential_process`, static keys.
//!
//! Nothing secret is copied into the plan: static keys are named by profile
//! and read when the chain runs, so the plan can be shown in full.

use crate::profile::{DEFAULT_PROFILE, Profile, ProfileSet, keys};

/// Where the chain of roles starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// `aws_access_key_id` / `aws_secret_access_key` (/ `aws_session_token`) of this profile.
    StaticKeys { profile: String },
    /// `credential_source = Environment | Ec2InstanceMetadata | EcsContainer`.
    CredentialSource {
        profile: String,
        source: NamedSource,
    },
    /// `role_arn` + `web_identity_token_file` (+ `role_session_name`).
    WebIdentity {
        profile: String,
        role_arn: String,
        token_file: String,
        session_name: Option<String>,
    },
    /// IAM Identity Center, through `sso_session` or the legacy keys.
    Sso(SsoConfig),
    /// `credential_process`: cannot run in a sandbox.
    CredentialProcess { profile: String },
}

/// The `credential_source` values the SDKs accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedSource {
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
}

impl NamedSource {
    pub fn name(self) -> &'static str {
        match self {
            NamedSource::Environment => "Environment",
            NamedSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            NamedSource::EcsContainer => "EcsContainer",
        }
    }
}

/// An SSO profile, with the session's settings merged in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoConfig {
    pub profile: String,
    /// `sso_session`; `None` for the legacy keys (`sso_start_url` in the profile).
    pub session: Option<String>,
    pub start_url: String,
    pub region: String,
    /// Both set, or both unset (a profile meant for SSO *tokens*, not credentials).
    pub account_id: Option<String>,
    pub role_name: Option<String>,
}

/// A role to assume, from a profile's `role_arn`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub profile: String,
    pub role_arn: String,
    pub external_id: Option<String>,
    pub session_name: Option<String>,
    /// `duration_seconds`, checked to be 900..=43200.
    pub duration_seconds: Option<u32>,
    /// `mfa_serial`: the role wants an MFA code nobody can type here.
    pub mfa_serial: Option<String>,
}

/// The base and the roles assumed from it, first to last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileChain {
    pub base: Base,
    pub roles: Vec<Role>,
}

/// Why there is no chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// The profile source does not apply (no profiles, no `default`, a
    /// profile with settings but no credentials): the chain moves on. The
    /// text says why, for the "looked in" message.
    NotConfigured(String),
    /// The profile is configured but wrong: the chain stops with this message.
    Invalid(String),
}

/// Plans the credentials of `set`'s selected profile.
pub fn plan(set: &ProfileSet) -> Result<ProfileChain, PlanError> {
    let selected = set.selected_name();
    if set.is_empty() {
        return Err(PlanError::NotConfigured("no profiles are defined".into()));
    }
    if set.get(selected).is_none() {
        if selected == DEFAULT_PROFILE {
            return Err(PlanError::NotConfigured(
                "there is no `default` profile".into(),
            ));
        }
        let mut message = format!("profile `{selected}` is not defined");
        if let Some(why) = set.why_missing(selected) {
            message.push_str(&format!(" ({why})"));
        }
        let names: Vec<&str> = set.profile_names().collect();
        message.push_str(&format!("; defined profiles: {}", names.join(", ")));
        return Err(PlanError::Invalid(message));
    }

    let mut name = selected;
    let mut visited: Vec<&str> = Vec::new();
    let mut roles = Vec::new();
    let base = loop {
        let profile = set.get(name).ok_or_else(|| {
            let from = visited.last().copied().unwrap_or(selected);
            let mut message =
                format!("could not find source profile `{name}` referenced from profile `{from}`");
            if let Some(why) = set.why_missing(name) {
                message.push_str(&format!(" ({why})"));
            }
            PlanError::Invalid(message)
        })?;
        if visited.contains(&name) {
            let path: Vec<&str> = visited.iter().copied().chain([name]).collect();
            return Err(PlanError::Invalid(format!(
                "the profiles formed an infinite loop through source_profile: {}",
                path.join(" -> ")
            )));
        }
        visited.push(name);
        if visited.len() > 1 && has_complete_static_keys(profile) {
            break Base::StaticKeys {
                profile: name.to_string(),
            };
        }
        match role_of(profile)? {
            Some(role) => {
                roles.push(role);
                match next_profile(profile)? {
                    Next::Named(next) => name = next,
                    // A role over its own keys or `credential_source`: those
                    // must be there, the user asked for this role.
                    Next::Itself => break base_of(set, profile).map_err(|e| in_source(e, 2))?,
                }
            }
            None => break base_of(set, profile).map_err(|e| in_source(e, visited.len()))?,
        }
    };
    roles.reverse();
    Ok(ProfileChain { base, roles })
}

/// A base that fails after the first profile is a configuration error, not
/// "no credentials here": the user pointed a `source_profile` at it.
fn in_source(error: PlanError, depth: usize) -> PlanError {
    match error {
        PlanError::NotConfigured(why) if depth > 1 => {
            PlanError::Invalid(format!("could not load source profile: {why}"))
        }
        PlanError::Invalid(why) if depth > 1 => {
            PlanError::Invalid(format!("could not load source profile: {why}"))
        }
        other => other,
    }
}

enum Next<'a> {
    Named(&'a str),
    Itself,
}

fn next_profile(profile: &Profile) -> Result<Next<'_>, PlanError> {
    let name = profile.name();
    match (
        profile.value(keys::SOURCE_PROFILE),
        profile.value(keys::CREDENTIAL_SOURCE),
    ) {
        (Some(_), Some(_)) => Err(PlanError::Invalid(format!(
            "profile `{name}` contains both source_profile and credential_source; a role profile takes one or the other"
        ))),
        (None, None) => Err(PlanError::Invalid(format!(
            "profile `{name}` has role_arn, so the profile must contain `source_profile` or `credential_source` \
             to say which credentials assume the role"
        ))),
        (Some(source), None) if source == name => Ok(Next::Itself),
        (Some(source), None) => Ok(Next::Named(source)),
        (None, Some(_)) => Ok(Next::Itself),
    }
}

/// The role a profile assumes, unless its `role_arn` belongs to web identity.
fn role_of(profile: &Profile) -> Result<Option<Role>, PlanError> {
    if profile.value(keys::WEB_IDENTITY_TOKEN_FILE).is_some() {
        return Ok(None);
    }
    let Some(role_arn) = profile.value(keys::ROLE_ARN) else {
        return Ok(None);
    };
    Ok(Some(Role {
        profile: profile.name().to_string(),
        role_arn: role_arn.to_string(),
        external_id: owned(profile.value(keys::EXTERNAL_ID)),
        session_name: owned(profile.value(keys::ROLE_SESSION_NAME)),
        duration_seconds: duration_seconds(profile)?,
        mfa_serial: owned(profile.value(keys::MFA_SERIAL)),
    }))
}

fn duration_seconds(profile: &Profile) -> Result<Option<u32>, PlanError> {
    let Some(text) = profile.value(keys::DURATION_SECONDS) else {
        return Ok(None);
    };
    match text.trim().parse::<u32>() {
        Ok(secs) if (900..=43_200).contains(&secs) => Ok(Some(secs)),
        _ => Err(PlanError::Invalid(format!(
            "profile `{}`: duration_seconds must be a number of seconds from 900 to 43200, not `{}`",
            profile.name(),
            text.trim()
        ))),
    }
}

fn base_of(set: &ProfileSet, profile: &Profile) -> Result<Base, PlanError> {
    let name = profile.name().to_string();
    if let Some(source) = profile.value(keys::CREDENTIAL_SOURCE) {
        let source = match source.trim() {
            "Environment" => NamedSource::Environment,
            "Ec2InstanceMetadata" => NamedSource::Ec2InstanceMetadata,
            "EcsContainer" => NamedSource::EcsContainer,
            other => {
                return Err(PlanError::Invalid(format!(
                    "profile `{name}`: credential_source `{other}` is not supported; \
                     use Environment, Ec2InstanceMetadata or EcsContainer"
                )));
            }
        };
        return Ok(Base::CredentialSource {
            profile: name,
            source,
        });
    }
    match (
        profile.value(keys::ROLE_ARN),
        profile.value(keys::WEB_IDENTITY_TOKEN_FILE),
    ) {
        (Some(role_arn), Some(token_file)) => {
            return Ok(Base::WebIdentity {
                profile: name,
                role_arn: role_arn.to_string(),
                token_file: token_file.to_string(),
                session_name: owned(profile.value(keys::ROLE_SESSION_NAME)),
            });
        }
        (None, Some(_)) => {
            return Err(PlanError::Invalid(format!(
                "profile `{name}`: `web_identity_token_file` was specified but `role_arn` was missing"
            )));
        }
        _ => {}
    }
    if let Some(sso) = sso_of(set, profile)? {
        return Ok(Base::Sso(sso));
    }
    if profile.value(keys::CREDENTIAL_PROCESS).is_some() {
        return Ok(Base::CredentialProcess { profile: name });
    }
    static_keys(profile).map(|()| Base::StaticKeys { profile: name })
}

fn has_complete_static_keys(profile: &Profile) -> bool {
    profile.value(keys::AWS_ACCESS_KEY_ID).is_some()
        && profile.value(keys::AWS_SECRET_ACCESS_KEY).is_some()
}

/// Checks that a profile's static keys are complete.
fn static_keys(profile: &Profile) -> Result<(), PlanError> {
    let name = profile.name();
    let key = profile.value(keys::AWS_ACCESS_KEY_ID).is_some();
    let secret = profile.value(keys::AWS_SECRET_ACCESS_KEY).is_some();
    let token = profile.value(keys::AWS_SESSION_TOKEN).is_some();
    match (key, secret) {
        (true, true) => Ok(()),
        (false, false) if !token => Err(PlanError::NotConfigured(format!(
            "profile `{name}` did not contain credential information"
        ))),
        (true, false) => Err(PlanError::Invalid(format!(
            "profile `{name}` sets aws_access_key_id, but the profile is missing aws_secret_access_key"
        ))),
        _ => Err(PlanError::Invalid(format!(
            "profile `{name}` sets aws_secret_access_key, but the profile is missing aws_access_key_id"
        ))),
    }
}

fn sso_of(set: &ProfileSet, profile: &Profile) -> Result<Option<SsoConfig>, PlanError> {
    let name = profile.name();
    let account_id = profile.value(keys::SSO_ACCOUNT_ID);
    let role_name = profile.value(keys::SSO_ROLE_NAME);
    let mut region = profile.value(keys::SSO_REGION);
    let mut start_url = profile.value(keys::SSO_START_URL);
    let session = profile.value(keys::SSO_SESSION);
    if [account_id, role_name, region, start_url, session]
        .iter()
        .all(Option::is_none)
    {
        return Ok(None);
    }
    if let Some(session_name) = session {
        let section = set.sso_session(session_name).ok_or_else(|| {
            PlanError::Invalid(format!(
                "sso-session named `{session_name}` (referenced by profile `{name}`) was not found: \
                 add an [sso-session {session_name}] section to the config file"
            ))
        })?;
        for (key, value) in [
            (keys::SSO_REGION, &mut region),
            (keys::SSO_START_URL, &mut start_url),
        ] {
            let in_session = section.value(key);
            if value.is_some() && *value != in_session {
                return Err(PlanError::Invalid(format!(
                    "profile `{name}`: `{key}` can only be specified in the [sso-session] config when a session name \
                     is given (set it in [sso-session {session_name}], or make both values the same)"
                )));
            }
            *value = in_session;
        }
    }
    let missing = |key: &str| {
        let place = match session {
            Some(s) => format!("profile `{name}` uses [sso-session {s}], which"),
            None => format!("profile `{name}`"),
        };
        PlanError::Invalid(format!("{place} has no `{key}`; SSO credentials need it"))
    };
    let region = region.ok_or_else(|| missing(keys::SSO_REGION))?;
    let start_url = start_url.ok_or_else(|| missing(keys::SSO_START_URL))?;
    match (account_id, role_name) {
        (Some(_), None) => {
            return Err(PlanError::Invalid(format!(
                "profile `{name}`: if `sso_account_id` is set, then `sso_role_name` must also be set"
            )));
        }
        (None, Some(_)) => {
            return Err(PlanError::Invalid(format!(
                "profile `{name}`: if `sso_role_name` is set, then `sso_account_id` must also be set"
            )));
        }
        _ => {}
    }
    Ok(Some(SsoConfig {
        profile: name.to_string(),
        session: owned(session),
        start_url: start_url.to_string(),
        region: region.to_string(),
        account_id: owned(account_id),
        role_name: owned(role_name),
    }))
}

fn owned(value: Option<&str>) -> Option<String> {
    value.map(|v| v.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(config: &str, selected: &str) -> Result<ProfileChain, PlanError> {
        plan(
            &ProfileSet::parse(Some(config), None)
                .unwrap()
                .select(selected),
        )
    }

    fn role(profile: &str, arn: &str) -> Role {
        Role {
            profile: profile.into(),
            role_arn: arn.into(),
            external_id: None,
            session_name: None,
            duration_seconds: None,
            mfa_serial: None,
        }
    }

    #[test]
    fn role_chains_end_in_a_base() {
        let config = "[profile A]\nrole_arn = arn:A\nsource_profile = B\nexternal_id = x\nduration_seconds = 3600\n\
                      [profile B]\nrole_arn = arn:B\nsource_profile = C\n\
                      [profile C]\naws_access_key_id = k\naws_secret_access_key = s\n";
        let chain = plan_of(config, "A").unwrap();
        assert_eq!(
            chain.base,
            Base::StaticKeys {
                profile: "C".into()
            }
        );
        let a = Role {
            external_id: Some("x".into()),
            duration_seconds: Some(3600),
            ..role("A", "arn:A")
        };
        assert_eq!(chain.roles, vec![role("B", "arn:B"), a]);
    }

    #[test]
    fn what_does_not_apply_moves_on_and_what_is_wrong_stops() {
        assert!(matches!(
            plan_of("", "default"),
            Err(PlanError::NotConfigured(_))
        ));
        assert!(matches!(
            plan_of("[profile other]\nregion = x\n", "default"),
            Err(PlanError::NotConfigured(_))
        ));
        assert!(matches!(
            plan_of("[default]\nregion = eu-west-1\n", "default"),
            Err(PlanError::NotConfigured(_))
        ));
        let Err(PlanError::Invalid(why)) = plan_of("[profile other]\nregion = x\n[dev]\n", "dev")
        else {
            panic!()
        };
        assert!(
            why.contains("`dev` is not defined")
                && why.contains("[profile dev]")
                && why.contains("other"),
            "{why}"
        );
        let Err(PlanError::Invalid(why)) = plan_of(
            "[default]\nrole_arn = a\nsource_profile = B\n[profile B]\nregion = x\n",
            "default",
        ) else {
            panic!()
        };
        assert!(
            why.contains("source profile")
                && why.contains("`B` did not contain credential information"),
            "{why}"
        );
    }

    #[test]
    fn loops_are_reported_with_their_path() {
        let config = "[profile A]\nrole_arn = a\nsource_profile = B\n[profile B]\nrole_arn = b\nsource_profile = A\n";
        let Err(PlanError::Invalid(why)) = plan_of(config, "A") else {
            panic!()
        };
        assert!(
            why.contains("infinite loop") && why.contains("A -> B -> A"),
            "{why}"
        );
    }

    #[test]
    fn bad_settings_name_the_profile() {
        let cases = [
            (
                "[profile A]\nrole_arn = a\nsource_profile = A\nduration_seconds = 60\n",
                "duration_seconds",
            ),
            (
                "[profile A]\nrole_arn = a\ncredential_source = Lambda\n",
                "`Lambda` is not supported",
            ),
            (
                "[profile A]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\n[sso-session s]\nsso_start_url = u\n",
                "no `sso_region`",
            ),
        ];
        for (config, fragment) in cases {
            let Err(PlanError::Invalid(why)) = plan_of(config, "A") else {
                panic!("{config}")
            };
            assert!(why.contains(fragment) && why.contains('A'), "{why}");
        }
    }

    #[test]
    fn sso_session_settings_merge_into_the_profile() {
        let config = "[profile A]\nsso_session = s\nsso_account_id = 1\nsso_role_name = r\nsso_region = eu-west-1\n\
                      [sso-session s]\nsso_region = eu-west-1\nsso_start_url = https://x/start\n";
        let Base::Sso(sso) = plan_of(config, "A").unwrap().base else {
            panic!()
        };
        assert_eq!(
            (
                sso.session.as_deref(),
                sso.region.as_str(),
                sso.start_url.as_str()
            ),
            (Some("s"), "eu-west-1", "https://x/start")
        );
        let chain = plan_of(
            "[profile A]\ncredential_process = /bin/x\naws_access_key_id = k\naws_secret_access_key = s\n",
            "A",
        );
        assert_eq!(
            chain.unwrap().base,
            Base::CredentialProcess {
                profile: "A".into()
            }
        );
    }
}
