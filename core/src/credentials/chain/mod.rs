//! The whole AWS default credential chain, as a sans-IO state machine.
//!
//! Order (the gateway's, then the SDKs' default chain):
//!
//! 1. `AWS_BEARER_TOKEN_BEDROCK` (a Bedrock API key);
//! 2. `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`);
//! 3. the selected profile (explicit option, `AWS_PROFILE`, `default`) of the
//!    shared config and credentials files: static keys, roles through STS
//!    (`source_profile` chains, `credential_source`), web identity, SSO
//!    ([`profile_chain`](super::profile_chain) plans it);
//! 4. web identity from `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`;
//! 5. ECS / EKS Pod Identity container credentials;
//! 6. EC2 instance metadata (IMDSv2).
//!
//! A source that is not configured hands over to the next one and leaves a
//! note; with no source at all, [`Error::NoCredentials`] lists the
//! notes, so the user sees where the chain looked and why each place did not
//! apply. A source that is configured but fails stops the chain with
//! [`Error::CredentialSource`] naming the profile or variable, as
//! the SDKs do: falling through to, say, the instance role after the
//! profile the user chose failed would quietly run with other permissions.
//!
//! [`resolve`] runs it as straight-line code over a [`Platform`]: files
//! are read and requests sent as the chain reaches them, and every request
//! goes through [`send_with_retries`](crate::retry::send_with_retries), under
//! the same retry rules as any other request of the plugin.

use super::endpoints::ProfileSettings;
use super::profile_chain::{self, Base, NamedSource, PlanError};
use super::send::{MAX_FILE_BYTES, fail};
use super::{AwsCredentials, Credentials, Resolved, environment};
use crate::env::Environment;
use crate::error::Error;
use crate::platform::Platform;
use crate::profile::location::{Locations, Os, locate};
use crate::profile::{FileKind, ProfileSet, keys};
use crate::region;
use crate::types::CredentialKind;
use std::time::SystemTime;

/// What the caller decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainOptions {
    /// A profile to use instead of `AWS_PROFILE` / `default`.
    pub profile: Option<String>,
    /// The region option of the call: the first in the region order, and
    /// the region of STS calls.
    pub region: Option<String>,
    /// The time of the resolution: judges expiries and names sessions.
    /// Requests are signed at the platform's clock when they are sent
    /// (corrected for a known clock skew).
    pub now: SystemTime,
}

impl ChainOptions {
    /// No explicit profile or region, at `now`.
    pub fn at(now: SystemTime) -> ChainOptions {
        ChainOptions {
            profile: None,
            region: None,
            now,
        }
    }
}

/// What [`resolve`] answers without reading anything: the environment's
/// credentials, the chain's first sources, when the environment (or the
/// call) also names the region, so that no profile's region is read.
/// `None`: the chain must run.
pub fn from_environment(env: &Environment, options: &ChainOptions) -> Option<Resolved> {
    region::outside_profile(options.region.as_deref(), env)?;
    environment::bearer(env).or_else(|| environment::keys(env).ok())
}

/// Resolves the chain for `options` (see the module documentation): the
/// credentials in force, or why there are none.
pub fn resolve<P: Platform>(
    platform: &mut P,
    env: &Environment,
    options: &ChainOptions,
) -> Result<Resolved, Error> {
    let ctx = Ctx {
        env,
        options,
        os: Os::current(),
    };
    run(&ctx, platform)
}

/// Everything a run reads besides the answers.
struct Ctx<'a> {
    env: &'a Environment,
    options: &'a ChainOptions,
    os: Os,
}

impl Ctx<'_> {
    /// The region when something other than the profile names it.
    fn region_outside_profile(&self) -> Option<&str> {
        region::outside_profile(self.options.region.as_deref(), self.env)
    }

    /// The region in force, for STS calls.
    fn region(&self, files: &Files) -> Result<String, Error> {
        region::resolve(
            self.options.region.as_deref(),
            self.env,
            files.profile_region().as_deref(),
        )
    }
}

/// The shared files of one run, read once.
struct Files {
    locations: Locations,
    exists: [bool; 2],
    set: Result<ProfileSet, Error>,
}

impl Files {
    /// The selected profile, when the files parse and define it.
    fn selected(&self) -> Option<ProfileSettings<'_>> {
        let set = self.set.as_ref().ok()?;
        set.selected()
            .map(|profile| ProfileSettings { set, profile })
    }

    fn profile_region(&self) -> Option<String> {
        self.selected()?
            .profile
            .value(keys::REGION)
            .map(|r| r.trim().to_string())
    }

    /// `~/.aws/config and ~/.aws/credentials`, as the user wrote them.
    fn shown(&self) -> String {
        format!(
            "{} and {}",
            self.locations.config.shown, self.locations.credentials.shown
        )
    }

    fn shown_for(&self, file: FileKind) -> &str {
        match file {
            FileKind::Config => &self.locations.config.shown,
            FileKind::Credentials => &self.locations.credentials.shown,
        }
    }
}

/// Whether a source applies: credentials, or a note saying why not.
enum Found {
    Yes(Resolved),
    No(String),
}

fn run<P: Platform>(ctx: &Ctx<'_>, io: &mut P) -> Result<Resolved, Error> {
    let mut looked = Vec::new();
    let mut files: Option<Files> = None;
    let resolved = 'found: {
        if let Some(resolved) = environment::bearer(ctx.env) {
            break 'found resolved;
        }
        looked.push(format!("{}: not set", environment::BEARER_VAR));
        match environment::keys(ctx.env) {
            Ok(resolved) => break 'found resolved,
            Err(why) => looked.push(why),
        }
        let loaded = &*files.insert(load_files(ctx, io)?);
        if let Some(resolved) = profile_source(ctx, io, loaded, &mut looked)? {
            break 'found resolved;
        }
        if let Some(resolved) = web_identity_from_env(ctx, io, loaded, &mut looked)? {
            break 'found resolved;
        }
        match container_source(ctx, io)? {
            Found::Yes(resolved) => break 'found resolved,
            Found::No(why) => looked.push(why),
        }
        match imds_source(ctx, io, loaded)? {
            Found::Yes(resolved) => break 'found resolved,
            Found::No(why) => looked.push(why),
        }
        return Err(Error::NoCredentials(format!(
            "no AWS credentials found. Looked for, in order: {}. Blank values count as unset.",
            looked.join("; ")
        )));
    };
    // The profile's region slots in before the default; read the files for
    // it only when nothing else names the region.
    let profile_region = match &files {
        Some(files) => files.profile_region(),
        None if ctx.region_outside_profile().is_none() => load_files(ctx, io)?.profile_region(),
        None => None,
    };
    Ok(Resolved {
        profile_region,
        ..resolved
    })
}

/// A file's bytes; `None` when missing. A path left with `~` (no home
/// directory) is not asked for: it cannot exist.
fn read<P: Platform>(io: &mut P, path: &str) -> Option<Vec<u8>> {
    if path.is_empty() || path.starts_with('~') {
        return None;
    }
    io.read_file(path, MAX_FILE_BYTES)
}

/// A small text file (a token): trimmed; an error names `what` and the path.
fn read_token<P: Platform>(io: &mut P, path: &str, what: &str) -> Result<String, Error> {
    let contents = read(io, path).ok_or_else(|| {
        fail(format!(
            "cannot read {what} `{path}`: the file is missing, too large, or the plugin may not read it"
        ))
    })?;
    let text = std::str::from_utf8(&contents)
        .map_err(|_| fail(format!("{what} `{path}` is not UTF-8 text")))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(fail(format!("{what} `{path}` is empty")));
    }
    Ok(token.to_string())
}

fn load_files<P: Platform>(ctx: &Ctx<'_>, io: &mut P) -> Result<Files, Error> {
    let locations = locate(ctx.env, ctx.options.profile.as_deref(), ctx.os);
    let config = read(io, &locations.config.path);
    let credentials = read(io, &locations.credentials.path);
    fn text<'t>(
        contents: Option<&'t [u8]>,
        shown: &str,
        kind: FileKind,
    ) -> Result<Option<&'t str>, Error> {
        match contents {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes).map(Some).map_err(|_| {
                Error::CredentialSource(format!("the AWS {kind} {shown} is not UTF-8 text"))
            }),
        }
    }
    let set =
        text(config.as_deref(), &locations.config.shown, FileKind::Config).and_then(|config| {
            let credentials = text(
                credentials.as_deref(),
                &locations.credentials.shown,
                FileKind::Credentials,
            )?;
            ProfileSet::parse(config, credentials)
                .map(|set| set.select(locations.profile.clone()))
                .map_err(|e| {
                    let shown = match e.file {
                        FileKind::Config => &locations.config.shown,
                        FileKind::Credentials => &locations.credentials.shown,
                    };
                    Error::from(e.with_path(shown.clone()))
                })
        });
    Ok(Files {
        exists: [config.is_some(), credentials.is_some()],
        locations,
        set,
    })
}

fn profile_source<P: Platform>(
    ctx: &Ctx<'_>,
    io: &mut P,
    files: &Files,
    looked: &mut Vec<String>,
) -> Result<Option<Resolved>, Error> {
    let set = files.set.as_ref().map_err(Clone::clone)?;
    let selected = set.selected_name();
    let chain = match profile_chain::plan(set) {
        Ok(chain) => chain,
        Err(PlanError::NotConfigured(_)) if files.exists == [false, false] => {
            looked.push(format!(
                "shared config and credentials files: {} do not exist",
                files.shown()
            ));
            return Ok(None);
        }
        Err(PlanError::NotConfigured(why)) => {
            looked.push(format!("profile `{selected}` in {}: {why}", files.shown()));
            return Ok(None);
        }
        Err(PlanError::Invalid(why)) => {
            return Err(fail(format!("{why} (shared files {})", files.shown())));
        }
    };
    let mut resolved = base(ctx, io, files, set, &chain.base)?;
    for role in &chain.roles {
        resolved = assume_role(ctx, io, files, role, &resolved, selected)?;
    }
    Ok(Some(resolved))
}

fn base<P: Platform>(
    ctx: &Ctx<'_>,
    io: &mut P,
    files: &Files,
    set: &ProfileSet,
    base: &Base,
) -> Result<Resolved, Error> {
    match base {
        Base::StaticKeys { profile } => static_keys(files, set, profile),
        Base::CredentialSource { profile, source } => {
            named_source(ctx, io, files, profile, *source)
        }
        Base::WebIdentity {
            profile,
            role_arn,
            token_file,
            session_name,
        } => web_identity(
            ctx,
            io,
            files,
            WebIdentity {
                role_arn,
                token_file,
                session_name: session_name.as_deref(),
                origin: format!("profile `{profile}`"),
            },
        ),
        Base::Sso(config) => sso_source(ctx, io, files, config),
        Base::CredentialProcess { profile } => Err(fail(format!(
            "profile `{profile}` uses credential_process, which is not supported in the sandbox: the plugin runs \
             inside WebAssembly and cannot start processes. Give the profile static keys, role_arn, sso_session or \
             web_identity_token_file instead, or run the process outside the plugin and pass its keys in \
             AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN"
        ))),
    }
}

fn static_keys(files: &Files, set: &ProfileSet, name: &str) -> Result<Resolved, Error> {
    let profile = set
        .get(name)
        .ok_or_else(|| fail(format!("profile `{name}` disappeared while resolving it")))?;
    let value = |key: &str| profile.value(key).map(|v| v.trim().to_string());
    let (Some(access_key_id), Some(secret_access_key)) = (
        value(keys::AWS_ACCESS_KEY_ID),
        value(keys::AWS_SECRET_ACCESS_KEY),
    ) else {
        return Err(fail(format!(
            "profile `{name}` lacks aws_access_key_id or aws_secret_access_key"
        )));
    };
    let file = profile
        .property(keys::AWS_ACCESS_KEY_ID)
        .map(|p| p.file())
        .unwrap_or(FileKind::Credentials);
    Ok(Resolved::new(
        Credentials::Aws(AwsCredentials {
            access_key_id,
            secret_access_key,
            session_token: value(keys::AWS_SESSION_TOKEN),
            expires_at: None,
        }),
        CredentialKind::Profile,
        format!("profile: {name} ({})", files.shown_for(file)),
    ))
}

fn named_source<P: Platform>(
    ctx: &Ctx<'_>,
    io: &mut P,
    files: &Files,
    profile: &str,
    source: NamedSource,
) -> Result<Resolved, Error> {
    let found = match source {
        NamedSource::Environment => match environment::keys(ctx.env) {
            Ok(resolved) => Found::Yes(resolved),
            Err(why) => Found::No(why),
        },
        NamedSource::EcsContainer => container_source(ctx, io)?,
        NamedSource::Ec2InstanceMetadata => imds_source(ctx, io, files)?,
    };
    match found {
        Found::Yes(resolved) => Ok(resolved),
        Found::No(why) => Err(fail(format!(
            "profile `{profile}` sets credential_source = {}, but {why}",
            source.name()
        ))),
    }
}

mod remote;

pub use remote::{CONTAINER_TIMEOUTS, SERVICE_TIMEOUTS};
use remote::{
    WebIdentity, assume_role, container_source, imds_source, sso_source, web_identity,
    web_identity_from_env,
};
#[cfg(test)]
mod tests;
