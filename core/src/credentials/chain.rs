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
//! note; with no source at all, [`ProviderError::NoCredentials`] lists the
//! notes, so the user sees where the chain looked and why each place did not
//! apply. A source that is configured but fails stops the chain with
//! [`ProviderError::CredentialSource`] naming the profile or variable, as
//! the SDKs do: falling through to, say, the instance role after the
//! profile the user chose failed would quietly run with other permissions.
//!
//! The caller drives it (see [`io`](super::io) for how the answers are replayed):
//!
//! ```text
//! let mut chain = Chain::new(&env, ChainOptions::at(now));
//! let resolved = loop {
//!     match chain.next() {
//!         Step::ReadFile { path } => chain.on_file(&path, read(&path)),
//!         Step::Send { request, timeouts } => chain.on_response(send(&request, timeouts)),
//!         Step::Done(result) => break result,
//!     }
//! };
//! ```

use super::endpoints::{self, CredentialService, ProfileSettings};
use super::io::{Answer, Asked, Entry, Halt, HttpAnswer, Io, MAX_FILE_BYTES, Step, fail, url};
use super::json_credentials;
use super::profile_chain::{self, Base, NamedSource, PlanError, Role, SsoConfig};
use super::sts::{self, AssumeRoleParams, StsError};
use super::{AwsCredentials, Credentials, Resolved, container, environment, imds, sso};
use crate::env::Environment;
use crate::profile::location::{Locations, Os, home_dir, locate};
use crate::profile::{FileKind, ProfileSet, keys};
use crate::region::DEFAULT_REGION;
use crate::signing::SignedRequest;
use crate::time::format_rfc3339;
use crate::timeouts::Timeouts;
use crate::types::{CredentialKind, ProviderError};
use std::fmt;
use std::time::{Duration, SystemTime};

/// STS and the SSO portal: AWS endpoints, which may be far away.
pub const SERVICE_TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(5),
    first_byte: Duration::from_secs(10),
    between_bytes: Duration::from_secs(10),
};

/// The container endpoint: local to the task or pod.
pub const CONTAINER_TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(2),
    first_byte: Duration::from_secs(5),
    between_bytes: Duration::from_secs(5),
};

/// Questions one resolution may ask: a role chain of a few hops with
/// retries fits many times over; a bug that loops does not.
const MAX_QUESTIONS: usize = 48;

/// What the caller decides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainOptions {
    /// A profile to use instead of `AWS_PROFILE` / `default`.
    pub profile: Option<String>,
    /// The region option of the call: the first in the region order, and
    /// the region of STS calls.
    pub region: Option<String>,
    /// The time of the resolution: signs STS requests and judges expiries.
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

/// One resolution of the chain. See the module documentation.
pub struct Chain {
    env: Environment,
    options: ChainOptions,
    os: Os,
    log: Vec<Entry>,
    pending: Option<Asked>,
    done: Option<Result<Resolved, ProviderError>>,
}

/// The log holds answers, and answers hold secrets: only its length is shown.
impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain")
            .field("options", &self.options)
            .field("answers", &self.log.len())
            .field("pending", &self.pending)
            .field("done", &self.done)
            .finish()
    }
}

impl Chain {
    pub fn new(env: &Environment, options: ChainOptions) -> Chain {
        Chain {
            env: env.clone(),
            options,
            os: Os::current(),
            log: Vec::new(),
            pending: None,
            done: None,
        }
    }

    /// What the caller must do next. Asking again without answering
    /// returns the same step; after [`Step::Done`], `Done` again.
    pub fn next(&mut self) -> Step {
        if let Some(done) = &self.done {
            return Step::Done(done.clone());
        }
        let outcome = {
            let ctx = Ctx {
                env: &self.env,
                options: &self.options,
                os: self.os,
            };
            run(&ctx, &mut Io::new(&self.log))
        };
        match outcome {
            Ok(resolved) => self.finish(Ok(resolved)),
            Err(Halt::Fail(error)) => self.finish(Err(error)),
            Err(Halt::Suspend(_, _)) if self.log.len() >= MAX_QUESTIONS => self.finish(Err(ProviderError::Protocol(format!(
                "the credential chain asked more than {MAX_QUESTIONS} questions without finishing (a bug in the plugin)"
            )))),
            Err(Halt::Suspend(asked, step)) => {
                self.pending = Some(asked);
                step
            }
        }
    }

    /// The answer to [`Step::ReadFile`]: the file's bytes, or `None` when it
    /// is missing or unreadable. An answer to a question not asked is ignored
    /// (the next [`Chain::next`] asks again).
    pub fn on_file(&mut self, path: &str, contents: Option<Vec<u8>>) {
        if self.pending.as_ref() == Some(&Asked::File(path.to_string())) {
            let asked = self.pending.take().expect("checked");
            self.log.push(Entry {
                asked,
                answer: Answer::File(contents),
            });
        }
    }

    /// The answer to [`Step::Send`]: the HTTP answer whatever its status, or
    /// the transport's error ([`ProviderError::Network`],
    /// [`ProviderError::Timeout`]) when there was none.
    pub fn on_response(&mut self, response: Result<HttpAnswer, ProviderError>) {
        if matches!(self.pending, Some(Asked::Http(_))) {
            let asked = self.pending.take().expect("checked");
            self.log.push(Entry {
                asked,
                answer: Answer::Http(response),
            });
        }
    }

    /// Runs the chain to its end with blocking callbacks: a convenience for
    /// callers whose I/O is synchronous (the WASI guest, tests).
    pub fn drive(
        mut self,
        mut read: impl FnMut(&str) -> Option<Vec<u8>>,
        mut send: impl FnMut(&SignedRequest, Timeouts) -> Result<HttpAnswer, ProviderError>,
    ) -> Result<Resolved, ProviderError> {
        loop {
            match self.next() {
                Step::ReadFile { path } => {
                    let contents = read(&path);
                    self.on_file(&path, contents);
                }
                Step::Send { request, timeouts } => {
                    let answer = send(&request, timeouts);
                    self.on_response(answer);
                }
                Step::Done(result) => return result,
            }
        }
    }

    fn finish(&mut self, result: Result<Resolved, ProviderError>) -> Step {
        self.pending = None;
        self.log.clear();
        self.done = Some(result.clone());
        Step::Done(result)
    }
}

/// Everything a run reads besides the answers.
struct Ctx<'a> {
    env: &'a Environment,
    options: &'a ChainOptions,
    os: Os,
}

impl Ctx<'_> {
    /// The region when something other than the profile names it.
    fn region_outside_profile(&self) -> Option<String> {
        self.options
            .region
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .or_else(|| self.env.get("AWS_REGION"))
            .or_else(|| self.env.get("AWS_DEFAULT_REGION"))
            .map(str::to_string)
    }

    /// The region in force, for STS calls.
    fn region(&self, files: &Files) -> String {
        self.region_outside_profile()
            .or_else(|| files.profile_region())
            .unwrap_or_else(|| DEFAULT_REGION.to_string())
    }
}

/// The shared files of one run, read once.
struct Files {
    locations: Locations,
    exists: [bool; 2],
    set: Result<ProfileSet, ProviderError>,
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

fn run(ctx: &Ctx<'_>, io: &mut Io<'_>) -> Result<Resolved, Halt> {
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
        return Err(Halt::Fail(ProviderError::NoCredentials(format!(
            "no AWS credentials found. Looked for, in order: {}. Blank values count as unset.",
            looked.join("; ")
        ))));
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
fn read<'a>(io: &mut Io<'a>, path: &str) -> Result<Option<&'a [u8]>, Halt> {
    if path.is_empty() || path.starts_with('~') {
        return Ok(None);
    }
    let contents = io.read_file(path)?;
    if contents.is_some_and(|c| c.len() > MAX_FILE_BYTES) {
        return Err(fail(format!(
            "`{path}` is larger than {} KiB; that is not a credentials file",
            MAX_FILE_BYTES / 1024
        )));
    }
    Ok(contents)
}

/// A small text file (a token): trimmed; an error names `what` and the path.
fn read_token(io: &mut Io<'_>, path: &str, what: &str) -> Result<String, Halt> {
    let contents = read(io, path)?.ok_or_else(|| {
        fail(format!(
            "cannot read {what} `{path}`: the file is missing or the plugin may not read it"
        ))
    })?;
    let text = std::str::from_utf8(contents)
        .map_err(|_| fail(format!("{what} `{path}` is not UTF-8 text")))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(fail(format!("{what} `{path}` is empty")));
    }
    Ok(token.to_string())
}

fn load_files(ctx: &Ctx<'_>, io: &mut Io<'_>) -> Result<Files, Halt> {
    let locations = locate(ctx.env, ctx.options.profile.as_deref(), ctx.os);
    let config = read(io, &locations.config.path)?;
    let credentials = read(io, &locations.credentials.path)?;
    fn text<'t>(
        contents: Option<&'t [u8]>,
        shown: &str,
        kind: FileKind,
    ) -> Result<Option<&'t str>, ProviderError> {
        match contents {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes).map(Some).map_err(|_| {
                ProviderError::CredentialSource(format!("the AWS {kind} {shown} is not UTF-8 text"))
            }),
        }
    }
    let set = text(config, &locations.config.shown, FileKind::Config).and_then(|config| {
        let credentials = text(
            credentials,
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
                ProviderError::from(e.with_path(shown.clone()))
            })
    });
    Ok(Files {
        exists: [config.is_some(), credentials.is_some()],
        locations,
        set,
    })
}

fn profile_source(
    ctx: &Ctx<'_>,
    io: &mut Io<'_>,
    files: &Files,
    looked: &mut Vec<String>,
) -> Result<Option<Resolved>, Halt> {
    let set = files.set.as_ref().map_err(|e| Halt::Fail(e.clone()))?;
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

fn base(
    ctx: &Ctx<'_>,
    io: &mut Io<'_>,
    files: &Files,
    set: &ProfileSet,
    base: &Base,
) -> Result<Resolved, Halt> {
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

fn static_keys(files: &Files, set: &ProfileSet, name: &str) -> Result<Resolved, Halt> {
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

fn named_source(
    ctx: &Ctx<'_>,
    io: &mut Io<'_>,
    files: &Files,
    profile: &str,
    source: NamedSource,
) -> Result<Resolved, Halt> {
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

/// What `AssumeRoleWithWebIdentity` needs, from a profile or the environment.
struct WebIdentity<'a> {
    role_arn: &'a str,
    token_file: &'a str,
    session_name: Option<&'a str>,
    /// `profile `x`` or the variable, for messages.
    origin: String,
}

fn web_identity_from_env(
    ctx: &Ctx<'_>,
    io: &mut Io<'_>,
    files: &Files,
    looked: &mut Vec<String>,
) -> Result<Option<Resolved>, Halt> {
    const TOKEN_FILE: &str = "AWS_WEB_IDENTITY_TOKEN_FILE";
    match (ctx.env.get(TOKEN_FILE), ctx.env.get("AWS_ROLE_ARN")) {
        (None, _) => {
            looked.push(format!("web identity: {TOKEN_FILE} is not set"));
            Ok(None)
        }
        (Some(_), None) => Err(fail(format!(
            "{TOKEN_FILE} is set but AWS_ROLE_ARN is not: web identity needs both"
        ))),
        (Some(token_file), Some(role_arn)) => {
            let session_name = ctx.env.get("AWS_ROLE_SESSION_NAME");
            let request = WebIdentity {
                role_arn,
                token_file,
                session_name,
                origin: TOKEN_FILE.to_string(),
            };
            web_identity(ctx, io, files, request).map(Some)
        }
    }
}

fn web_identity(
    ctx: &Ctx<'_>,
    io: &mut Io<'_>,
    files: &Files,
    request: WebIdentity<'_>,
) -> Result<Resolved, Halt> {
    let WebIdentity {
        role_arn,
        token_file,
        session_name,
        origin,
    } = request;
    let token = read_token(
        io,
        token_file,
        &format!("the web identity token file of {origin}"),
    )?;
    let region = ctx.region(files);
    let endpoint = endpoints::resolve(CredentialService::Sts, &region, ctx.env, files.selected())?;
    let session = session_name
        .map(str::to_string)
        .unwrap_or_else(|| sts::default_session_name(ctx.options.now));
    let request = sts::assume_role_with_web_identity(&endpoint, role_arn, &session, &token)?;
    let what = format!("STS AssumeRoleWithWebIdentity for {role_arn} ({origin})");
    let credentials = call_sts(ctx, io, &request, &what)?;
    Ok(Resolved::new(
        Credentials::Aws(credentials),
        CredentialKind::WebIdentity,
        format!("web identity: {role_arn}"),
    ))
}

fn assume_role(
    ctx: &Ctx<'_>,
    io: &mut Io<'_>,
    files: &Files,
    role: &Role,
    source: &Resolved,
    selected: &str,
) -> Result<Resolved, Halt> {
    let Credentials::Aws(source_keys) = &source.credentials else {
        return Err(fail(format!(
            "profile `{}`: a Bedrock API key cannot assume a role",
            role.profile
        )));
    };
    if let Some(serial) = &role.mfa_serial {
        return Err(fail(format!(
            "profile `{}` sets mfa_serial ({serial}): assuming {} needs an MFA code, which the plugin cannot prompt \
             for; use credentials that need no MFA, or assume the role outside the plugin and pass its temporary keys",
            role.profile, role.role_arn
        )));
    }
    let region = ctx.region(files);
    let endpoint = endpoints::resolve(CredentialService::Sts, &region, ctx.env, files.selected())?;
    let session = role
        .session_name
        .clone()
        .unwrap_or_else(|| sts::default_session_name(ctx.options.now));
    let params = AssumeRoleParams {
        role_arn: &role.role_arn,
        session_name: &session,
        external_id: role.external_id.as_deref(),
        duration_seconds: role.duration_seconds,
    };
    let request = sts::assume_role(&endpoint, &region, source_keys, &params, ctx.options.now)?;
    let what = format!(
        "STS AssumeRole for {} (profile `{}`, with credentials from {})",
        role.role_arn, role.profile, source.label
    );
    let credentials = call_sts(ctx, io, &request, &what)?;
    Ok(Resolved::new(
        Credentials::Aws(credentials),
        CredentialKind::AssumeRole,
        format!("assume role: {} via profile {selected}", role.role_arn),
    ))
}

fn call_sts(
    ctx: &Ctx<'_>,
    io: &mut Io<'_>,
    request: &SignedRequest,
    what: &str,
) -> Result<AwsCredentials, Halt> {
    match send(io, request, SERVICE_TIMEOUTS, Retry::SERVICE)? {
        Err(e) => Err(fail(format!(
            "{what} failed: no answer from {}: {}",
            url(request),
            crate::error::describe(&e)
        ))),
        Ok(answer) if answer.is_success() => {
            let credentials = sts::parse_credentials(answer.body_text())
                .map_err(|why| fail(format!("{what}: {why}")))?;
            check_fresh(ctx, &credentials, what)?;
            Ok(credentials)
        }
        Ok(answer) => Err(fail(format!(
            "{what} failed: {}",
            StsError::parse(answer.body_text()).describe(answer.status)
        ))),
    }
}

fn sso_source(
    ctx: &Ctx<'_>,
    io: &mut Io<'_>,
    files: &Files,
    config: &SsoConfig,
) -> Result<Resolved, Halt> {
    let profile = &config.profile;
    let name = config.session.as_deref().unwrap_or(&config.start_url);
    let login = match &config.session {
        Some(session) => format!("aws sso login --sso-session {session}"),
        None => format!("aws sso login --profile {profile}"),
    };
    let (Some(account_id), Some(role_name)) = (&config.account_id, &config.role_name) else {
        return Err(fail(format!(
            "profile `{profile}` has SSO settings but no sso_account_id and sso_role_name, so the selected profile \
             will resolve an access token instead of credentials; add both to get AWS credentials"
        )));
    };
    let home = home_dir(ctx.env, ctx.os).ok_or_else(|| {
        fail(format!("profile `{profile}` uses SSO, whose token cache is in the home directory, but HOME is not set"))
    })?;
    let path = sso::cache_path(&home, name);
    let contents = read(io, &path)?.ok_or_else(|| {
        fail(format!(
            "profile `{profile}`: failed to read the cached SSO token `{path}` (missing or not readable by the plugin); run `{login}`"
        ))
    })?;
    let token = sso::parse_cached_token(contents)
        .map_err(|why| fail(format!("profile `{profile}`: the SSO token cache file `{path}` cannot be used: {why}; run `{login}`")))?;
    if token.expires_at <= ctx.options.now {
        return Err(fail(format!(
            "profile `{profile}`: the cached SSO token for `{name}` expired at {}; run `{login}` (the plugin cannot refresh it)",
            format_rfc3339(token.expires_at)
        )));
    }
    let endpoint = endpoints::resolve(
        CredentialService::Sso,
        &config.region,
        ctx.env,
        files.selected(),
    )?;
    let request =
        sso::role_credentials_request(&endpoint, account_id, role_name, &token.access_token)?;
    let what = format!(
        "SSO GetRoleCredentials for role {role_name} in account {account_id} (profile `{profile}`)"
    );
    let credentials = match send(io, &request, SERVICE_TIMEOUTS, Retry::SERVICE)? {
        Err(e) => {
            return Err(fail(format!(
                "{what} failed: no answer from {}: {}",
                endpoint.url(""),
                crate::error::describe(&e)
            )));
        }
        Ok(answer) if answer.is_success() => sso::parse_role_credentials(&answer.body)
            .map_err(|why| fail(format!("{what}: {why}")))?,
        Ok(answer) => {
            let mut why = sso::describe_error(
                answer.status,
                answer.header("x-amzn-errortype"),
                &answer.body,
            );
            if matches!(answer.status, 401 | 403) {
                why.push_str(&format!("; run `{login}`"));
            }
            return Err(fail(format!("{what} failed: {why}")));
        }
    };
    check_fresh(ctx, &credentials, &what)?;
    Ok(Resolved::new(
        Credentials::Aws(credentials),
        CredentialKind::Sso,
        format!("sso: {name}"),
    ))
}

fn container_source(ctx: &Ctx<'_>, io: &mut Io<'_>) -> Result<Found, Halt> {
    let Some(config) = container::config(ctx.env)? else {
        return Ok(Found::No(format!(
            "container credentials: {} and {} are not set",
            container::RELATIVE_URI_VAR,
            container::FULL_URI_VAR
        )));
    };
    let token = match &config.token {
        container::TokenSource::None => None,
        container::TokenSource::Value(token) => Some(token.clone()),
        container::TokenSource::File(path) => Some(read_token(
            io,
            path,
            &format!(
                "the container authorization token file ({})",
                container::TOKEN_FILE_VAR
            ),
        )?),
    };
    let request = container::request(&config, token.as_deref())?;
    // The URL may carry a per-task id: messages name the variable instead.
    let what = format!("container credentials ({})", config.origin);
    let answer = send(
        io,
        &request,
        CONTAINER_TIMEOUTS,
        Retry {
            attempts: 2,
            transport: true,
        },
    )?;
    let credentials = match answer {
        Err(e) => {
            return Err(fail(format!(
                "{what}: no answer: {}",
                crate::error::describe(&e)
            )));
        }
        Ok(answer) if answer.is_success() => {
            json_credentials::parse(&answer.body).map_err(|why| fail(format!("{what}: {why}")))?
        }
        Ok(answer) => {
            let details = json_credentials::error_summary(&answer.body)
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            return Err(fail(format!("{what}: HTTP {}{details}", answer.status)));
        }
    };
    check_fresh(ctx, &credentials, &what)?;
    Ok(Found::Yes(Resolved::new(
        Credentials::Aws(credentials),
        CredentialKind::Container,
        "container credentials".into(),
    )))
}

fn imds_source(ctx: &Ctx<'_>, io: &mut Io<'_>, files: &Files) -> Result<Found, Halt> {
    if ctx.env.flag(imds::DISABLED_VAR) {
        return Ok(Found::No(format!(
            "EC2 instance metadata: disabled by {}",
            imds::DISABLED_VAR
        )));
    }
    let endpoint = imds::endpoint(ctx.env, files.selected().map(|p| p.profile))?;
    let at = format!("EC2 instance metadata at {}", endpoint.url(""));
    let retry = Retry {
        attempts: imds::MAX_ATTEMPTS,
        transport: false,
    };
    let token = match send(io, &imds::token_request(&endpoint)?, imds::TIMEOUTS, retry)? {
        // Off EC2 nothing answers: that is "not here", not a failure.
        Err(e) => {
            return Ok(Found::No(format!(
                "{at}: no answer ({})",
                crate::error::describe(&e)
            )));
        }
        Ok(answer) if answer.status == 403 => {
            return Err(fail(format!(
                "{at} refused a session token (HTTP 403): request forbidden: IMDS is disabled on this instance, or \
                 IMDSv2 tokens are blocked; set {}=true to skip it",
                imds::DISABLED_VAR
            )));
        }
        Ok(answer) if !answer.is_success() => {
            return Err(fail(format!(
                "{at} answered HTTP {} to the session token request",
                answer.status
            )));
        }
        Ok(answer) => answer.body_text().trim().to_string(),
    };
    if token.is_empty() {
        return Err(fail(format!("{at} answered an empty session token")));
    }
    let listing = match send(
        io,
        &imds::get(&endpoint, imds::ROLE_PATH, &token)?,
        imds::TIMEOUTS,
        retry,
    )? {
        Err(e) => {
            return Err(fail(format!(
                "{at} stopped answering: {}",
                crate::error::describe(&e)
            )));
        }
        Ok(answer) if answer.status == 404 => {
            return Ok(Found::No(format!(
                "{at}: the instance has no IAM role attached (HTTP 404 for the role name)"
            )));
        }
        Ok(answer) if !answer.is_success() => {
            return Err(fail(format!(
                "{at} answered HTTP {} when asked for the role name",
                answer.status
            )));
        }
        Ok(answer) => answer.body_text(),
    };
    let Some((role, path)) = imds::role_credentials_path(listing) else {
        return Ok(Found::No(format!(
            "{at}: the instance lists no usable IAM role"
        )));
    };
    let what = format!("{at}, instance role {role}");
    let credentials = match send(
        io,
        &imds::get(&endpoint, &path, &token)?,
        imds::TIMEOUTS,
        retry,
    )? {
        Err(e) => {
            return Err(fail(format!(
                "{what}: no answer: {}",
                crate::error::describe(&e)
            )));
        }
        Ok(answer) if answer.is_success() => {
            json_credentials::parse(&answer.body).map_err(|why| fail(format!("{what}: {why}")))?
        }
        Ok(answer) => return Err(fail(format!("{what}: HTTP {}", answer.status))),
    };
    check_fresh(ctx, &credentials, &what)?;
    Ok(Found::Yes(Resolved::new(
        Credentials::Aws(credentials),
        CredentialKind::InstanceRole,
        format!("instance role: {role}"),
    )))
}

/// Credentials that are already expired are an error, not a result: every
/// call made with them would fail with `ExpiredToken`.
fn check_fresh(ctx: &Ctx<'_>, credentials: &AwsCredentials, what: &str) -> Result<(), Halt> {
    match credentials.expires_at {
        Some(expiry) if expiry <= ctx.options.now => Err(fail(format!(
            "{what} returned credentials that had already expired at {} (this machine's clock says {}); check the \
             clock and the source",
            format_rfc3339(expiry),
            format_rfc3339(ctx.options.now)
        ))),
        _ => Ok(()),
    }
}

/// When to send a request again: 5xx, 429 and throttling answers, and
/// (if `transport`) no answer at all. Immediately: a resolution is short and
/// the caller owns the clock.
#[derive(Clone, Copy)]
struct Retry {
    attempts: u32,
    transport: bool,
}

impl Retry {
    /// STS and the SSO portal: three attempts, like the SDKs' standard mode.
    const SERVICE: Retry = Retry {
        attempts: 3,
        transport: true,
    };
}

fn send<'a>(
    io: &mut Io<'a>,
    request: &SignedRequest,
    timeouts: Timeouts,
    retry: Retry,
) -> Result<Result<&'a HttpAnswer, ProviderError>, Halt> {
    let mut attempt = 1;
    loop {
        let answer = io.send(request, timeouts)?;
        let again = match &answer {
            Ok(a) => {
                a.status >= 500
                    || a.status == 429
                    || (a.status == 400 && StsError::parse(a.body_text()).is_throttling())
            }
            Err(ProviderError::Network(_) | ProviderError::Timeout(_)) => retry.transport,
            Err(_) => false,
        };
        if !again || attempt >= retry.attempts {
            return Ok(answer);
        }
        attempt += 1;
    }
}

#[cfg(test)]
mod tests;
