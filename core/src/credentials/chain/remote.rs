//! The sources that send requests: web identity and roles through STS, SSO,
//! container credentials and EC2 instance metadata.

use super::{Ctx, Files, Found, read, read_token};
use crate::credentials::endpoints::{self, CredentialService};
use crate::credentials::profile_chain::{Role, SsoConfig};
use crate::credentials::send::{CONTAINER_POLICY, CredentialRequest, SERVICE_POLICY, fail};
use crate::credentials::sts::{self, AssumeRoleParams, StsError};
use crate::credentials::{
    AwsCredentials, Credentials, Resolved, container, imds, json_credentials, sso,
};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::platform::Platform;
use crate::profile::location::home_dir;
use crate::signing::SignedRequest;
use crate::time::format_rfc3339;
use crate::timeouts::Timeouts;
use crate::types::CredentialKind;
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

/// What `AssumeRoleWithWebIdentity` needs, from a profile or the environment.
pub(super) struct WebIdentity<'a> {
    pub(super) role_arn: &'a str,
    pub(super) token_file: &'a str,
    pub(super) session_name: Option<&'a str>,
    /// `profile `x`` or the variable, for messages.
    pub(super) origin: String,
}

pub(super) fn web_identity_from_env<P: Platform>(
    ctx: &Ctx<'_>,
    io: &mut P,
    files: &Files,
    looked: &mut Vec<String>,
) -> Result<Option<Resolved>, Error> {
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

pub(super) fn web_identity<P: Platform>(
    ctx: &Ctx<'_>,
    io: &mut P,
    files: &Files,
    request: WebIdentity<'_>,
) -> Result<Resolved, Error> {
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
    let region = ctx.region(files)?;
    let endpoint = endpoints::resolve(CredentialService::Sts, &region, ctx.env, files.selected())?;
    let session = session_name
        .map(str::to_string)
        .unwrap_or_else(|| sts::default_session_name(ctx.options.now));
    let build =
        |_: SystemTime| sts::assume_role_with_web_identity(&endpoint, role_arn, &session, &token);
    let what = format!("STS AssumeRoleWithWebIdentity for {role_arn} ({origin})");
    let credentials = call_sts(ctx, io, &build, &endpoint, &what)?;
    Ok(Resolved::new(
        Credentials::Aws(credentials),
        CredentialKind::WebIdentity,
        format!("web identity: {role_arn}"),
    ))
}

pub(super) fn assume_role<P: Platform>(
    ctx: &Ctx<'_>,
    io: &mut P,
    files: &Files,
    role: &Role,
    source: &Resolved,
    selected: &str,
) -> Result<Resolved, Error> {
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
    let region = ctx.region(files)?;
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
    let build = |at| sts::assume_role(&endpoint, &region, source_keys, &params, at);
    let what = format!(
        "STS AssumeRole for {} (profile `{}`, with credentials from {})",
        role.role_arn, role.profile, source.label
    );
    let credentials = call_sts(ctx, io, &build, &endpoint, &what)?;
    Ok(Resolved::new(
        Credentials::Aws(credentials),
        CredentialKind::AssumeRole,
        format!("assume role: {} via profile {selected}", role.role_arn),
    ))
}

fn call_sts<P: Platform>(
    ctx: &Ctx<'_>,
    io: &mut P,
    build: &dyn Fn(SystemTime) -> Result<SignedRequest, Error>,
    endpoint: &Endpoint,
    what: &str,
) -> Result<AwsCredentials, Error> {
    match CredentialRequest::new(build, SERVICE_TIMEOUTS).send(io, &SERVICE_POLICY)? {
        Err(e) => Err(fail(format!(
            "{what} failed: no answer from {}: {e}",
            endpoint.url("/")
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

pub(super) fn sso_source<P: Platform>(
    ctx: &Ctx<'_>,
    io: &mut P,
    files: &Files,
    config: &SsoConfig,
) -> Result<Resolved, Error> {
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
    let contents = read(io, &path).ok_or_else(|| {
        fail(format!(
            "profile `{profile}`: failed to read the cached SSO token `{path}` (missing or not readable by the plugin); run `{login}`"
        ))
    })?;
    let token = sso::parse_cached_token(&contents)
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
    let build = |_: SystemTime| {
        sso::role_credentials_request(&endpoint, account_id, role_name, &token.access_token)
    };
    let what = format!(
        "SSO GetRoleCredentials for role {role_name} in account {account_id} (profile `{profile}`)"
    );
    let answer = CredentialRequest::new(&build, SERVICE_TIMEOUTS).send(io, &SERVICE_POLICY)?;
    let credentials = match answer {
        Err(e) => {
            return Err(fail(format!(
                "{what} failed: no answer from {}: {e}",
                endpoint.url("")
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

pub(super) fn container_source<P: Platform>(ctx: &Ctx<'_>, io: &mut P) -> Result<Found, Error> {
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
    let build = |_: SystemTime| container::request(&config, token.as_deref());
    // The URL may carry a per-task id: messages name the variable instead.
    let what = format!("container credentials ({})", config.origin);
    let answer = CredentialRequest::new(&build, CONTAINER_TIMEOUTS).send(io, &CONTAINER_POLICY)?;
    let credentials = match answer {
        Err(e) => return Err(fail(format!("{what}: no answer: {e}"))),
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

pub(super) fn imds_source<P: Platform>(
    ctx: &Ctx<'_>,
    io: &mut P,
    files: &Files,
) -> Result<Found, Error> {
    if ctx.env.flag(imds::DISABLED_VAR) {
        return Ok(Found::No(format!(
            "EC2 instance metadata: disabled by {}",
            imds::DISABLED_VAR
        )));
    }
    let endpoint = imds::endpoint(ctx.env, files.selected().map(|p| p.profile))?;
    let at = format!("EC2 instance metadata at {}", endpoint.url(""));
    let token_request = |_: SystemTime| imds::token_request(&endpoint);
    let answer = CredentialRequest::new(&token_request, imds::TIMEOUTS).send(io, &imds::POLICY)?;
    let token = match answer {
        // Off EC2 nothing answers: that is "not here", not a failure.
        Err(e) => return Ok(Found::No(format!("{at}: no answer ({e})"))),
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
    let role_request = |_: SystemTime| imds::get(&endpoint, imds::ROLE_PATH, &token);
    let answer = CredentialRequest::new(&role_request, imds::TIMEOUTS).send(io, &imds::POLICY)?;
    let listing = match answer {
        Err(e) => return Err(fail(format!("{at} stopped answering: {e}"))),
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
        Ok(answer) => answer,
    };
    let Some((role, path)) = imds::role_credentials_path(listing.body_text()) else {
        return Ok(Found::No(format!(
            "{at}: the instance lists no usable IAM role"
        )));
    };
    let what = format!("{at}, instance role {role}");
    let credentials_request = |_: SystemTime| imds::get(&endpoint, &path, &token);
    let answer =
        CredentialRequest::new(&credentials_request, imds::TIMEOUTS).send(io, &imds::POLICY)?;
    let credentials = match answer {
        Err(e) => return Err(fail(format!("{what}: no answer: {e}"))),
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
fn check_fresh(ctx: &Ctx<'_>, credentials: &AwsCredentials, what: &str) -> Result<(), Error> {
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
