//! The sandbox policy: which environment variables the guest sees, which
//! files it may read and which hosts it may reach over `wasi:http`.
//!
//! * Environment: names starting with `AWS_`, the names in
//!   [`HostConfig::extra_env`], and `HOME` when it is set (non-empty). Nothing
//!   else, never the whole environment.
//! * Files ([`files`]): the files the credential chain reads, each on its own
//!   (never its directory), the SSO token cache and
//!   [`HostConfig::extra_dirs`]; the root and home directories are refused.
//! * Outbound HTTP, checked for every request the guest sends:
//!   1. never with another cloud's instance-metadata header
//!      ([`metadata::foreign_metadata_header`]);
//!   2. hosts given explicitly: the `host:port` of the endpoint overrides in
//!      the passed environment ([`ENDPOINT_OVERRIDE_VARS`]), of the call's
//!      `provider-config.base-url`, and [`HostConfig::extra_hosts`];
//!   3. otherwise, over HTTPS on port 443, the AWS endpoints the core itself
//!      builds for any region: Bedrock runtime and control plane, STS and the
//!      IAM Identity Center portal, FIPS, dual-stack and China variants
//!      included ([`aws_endpoints`]);
//!   4. the link-local credential endpoints only when the chain needs them:
//!      EC2 instance metadata (`169.254.169.254`, or `fd00:ec2::254` in IPv6
//!      mode) only when no earlier credential source is configured, and then
//!      only for the three requests the chain makes ([`metadata`]); the ECS
//!      agent (`169.254.170.2`) when `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
//!      is set.
//!
//!   Loopback and unspecified addresses (`127.0.0.0/8`, `::1`, `0.0.0.0`, `::`,
//!   `localhost`) are reachable only through explicit entries.
//!
//! The policy is made once per host, from the environment and the shared
//! files as they are then: a credentials file written later does not close
//! instance metadata until the host is made again.

pub mod aws_endpoints;
pub mod files;
pub mod metadata;
#[cfg(test)]
mod tests;

use crate::HostConfig;
use crate::snapshot::{CallFiles, FileViews};
use bedrock_core::credentials::imds;
use bedrock_core::env::Environment;
use bedrock_core::profile::ProfileSet;
use bedrock_core::profile::location::{Locations, Os, locate};
use std::fmt;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

pub use aws_endpoints::is_aws_endpoint;
pub use files::Readable;

/// Environment variables whose URL adds its `host:port` to the outbound
/// allow-list, in the order the AWS SDKs consult them.
pub const ENDPOINT_OVERRIDE_VARS: [&str; 7] = [
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
    "AWS_ENDPOINT_URL_BEDROCK",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSO",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// The ECS agent, for `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
const ECS_AGENT_HOST: &str = "169.254.170.2";
/// The origin of the instance-metadata entry, for display.
const IMDS_ORIGIN: &str = "EC2 instance metadata, the credential requests only";
/// Largest shared file the host reads to learn the chain's configuration
/// (the chain's own limit).
const MAX_PROFILE_FILE_BYTES: u64 = 1024 * 1024;

/// The env, file and outbound allow-lists in force for a [`Host`](crate::Host).
#[derive(Clone)]
pub struct Policy {
    env: Vec<(String, String)>,
    extra_env: Vec<String>,
    allowed_hosts: Vec<AllowedHost>,
    /// Why instance metadata is closed, when it is.
    imds_closed: Option<String>,
    ignored: Vec<String>,
    readable: Readable,
    views: Arc<FileViews>,
}

/// Variable values may be secrets: names only.
impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Policy")
            .field("env", &self.env_names().collect::<Vec<_>>())
            .field("allowed_hosts", &self.allowed_hosts)
            .field("imds_closed", &self.imds_closed)
            .field("readable", &self.readable)
            .field("ignored", &self.ignored)
            .finish()
    }
}

impl Policy {
    /// Builds the policy from a host configuration. Reads the shared AWS
    /// files (to learn which credential source comes first and which token
    /// files profiles name); a directory of [`HostConfig::extra_dirs`] that
    /// [`Policy::check_extra_dirs`] refuses is left out and listed in
    /// [`Policy::ignored`].
    pub fn new(config: &HostConfig) -> Self {
        let env = filter_env(&config.env, &config.extra_env);
        let environment = Environment::from_vars(env.iter().cloned());
        let locations = locate(&environment, None, Os::current());
        let profiles = read_profiles(&locations);
        let mut allowed_hosts = Vec::new();
        let mut ignored = Vec::new();
        for name in ENDPOINT_OVERRIDE_VARS {
            if let Some((_, value)) = env.iter().find(|(k, _)| k == name) {
                match AllowedHost::parse_url(value, name) {
                    Some(host) => allowed_hosts.push(host),
                    None => ignored.push(format!("{name}={value:?}: not a URL")),
                }
            }
        }
        let imds_closed = metadata::earlier_source(&environment, profiles.as_ref());
        if imds_closed.is_none() {
            allowed_hosts.extend(instance_metadata_entry(&environment, profiles.as_ref()));
        }
        if environment
            .get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
            .is_some()
        {
            allowed_hosts.push(AllowedHost {
                host: ECS_AGENT_HOST.into(),
                port: Some(80),
                origin: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".into(),
                rules: Rules::Any,
            });
        }
        for spec in &config.extra_hosts {
            match AllowedHost::parse(spec, "extra host") {
                Some(host) => allowed_hosts.push(host),
                None => ignored.push(format!("extra host {spec:?}: not a host or host:port")),
            }
        }
        let readable = files::readable(
            &environment,
            &locations,
            profiles.as_ref(),
            &config.extra_dirs,
            &mut ignored,
        );
        Self {
            views: Arc::new(FileViews::new(
                readable.files.clone(),
                readable.dirs.clone(),
            )),
            readable,
            env,
            extra_env: config.extra_env.clone(),
            allowed_hosts,
            imds_closed,
            ignored,
        }
    }

    /// Refuses [`HostConfig::extra_dirs`] that would show the guest far more
    /// than it needs: `/`, the home directory or a parent of it, a relative
    /// path. [`Host::new`](crate::Host::new) fails with this error.
    pub fn check_extra_dirs(config: &HostConfig) -> anyhow::Result<()> {
        let env = filter_env(&config.env, &config.extra_env);
        let home =
            bedrock_core::profile::location::home_dir(&Environment::from_vars(env), Os::current());
        for dir in &config.extra_dirs {
            if let Some(why) = files::refusal(dir, home.as_deref().map(Path::new)) {
                anyhow::bail!("extra directory {} for the plugin: {why}", dir.display());
            }
        }
        Ok(())
    }

    /// What the guest may read, read-only, each at its own absolute path
    /// inside the sandbox (so paths in the environment work unchanged).
    pub fn readable(&self) -> &Readable {
        &self.readable
    }

    /// The preopens of one call (see [`crate::snapshot`]).
    pub(crate) fn call_files(&self) -> CallFiles {
        self.views.for_call()
    }

    /// The variables passed to the guest (values included: handle with care,
    /// they may hold secrets).
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The names of the variables passed to the guest.
    pub fn env_names(&self) -> impl Iterator<Item = &str> {
        self.env.iter().map(|(k, _)| k.as_str())
    }

    /// Whether a variable of this name would be passed to the guest.
    pub fn env_name_allowed(&self, name: &str) -> bool {
        env_name_allowed(name, &self.extra_env)
    }

    /// The explicit outbound entries (endpoint overrides, extra hosts, the
    /// link-local credential endpoints in use); the AWS endpoints of every
    /// region are allowed besides these.
    pub fn allowed_hosts(&self) -> &[AllowedHost] {
        &self.allowed_hosts
    }

    /// Configuration that could not be used (an override that is not a URL,
    /// a malformed extra host, a refused directory), for display.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Whether the guest may send `request`. `call_hosts` are the entries
    /// allowed for the current call only (its `base-url`).
    pub fn check<B>(
        &self,
        request: &http::Request<B>,
        call_hosts: &[AllowedHost],
    ) -> Result<(), Denied> {
        let uri = request.uri();
        let Some(host) = uri.host() else {
            return Err(Denied::new(uri, "no host"));
        };
        let host = normalize_host(host);
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        if let Some(why) = metadata::foreign_metadata_header(request.headers()) {
            return Err(Denied::new(uri, why));
        }
        if let Some(entry) = self
            .allowed_hosts
            .iter()
            .chain(call_hosts)
            .find(|entry| entry.matches(&host, port))
        {
            return match entry.rules {
                Rules::Any => Ok(()),
                Rules::InstanceMetadata => metadata::check_request(request.method(), uri)
                    .map_err(|why| Denied::new(uri, why)),
            };
        }
        if metadata::IMDS_HOSTS.contains(&host.as_str()) {
            let why = self
                .imds_closed
                .as_deref()
                .unwrap_or("another address is in use");
            return Err(Denied::new(
                uri,
                format!("instance metadata is closed to the plugin: {why}"),
            ));
        }
        if is_loopback(&host) {
            return Err(Denied::new(
                uri,
                "loopback is reachable only through an endpoint override or an extra host",
            ));
        }
        if is_aws_endpoint(&host) {
            if https && port == 443 {
                return Ok(());
            }
            return Err(Denied::new(
                uri,
                "AWS endpoints are reachable over HTTPS on port 443 only",
            ));
        }
        Err(Denied::new(
            uri,
            "not an AWS endpoint of the plugin (Bedrock, STS, SSO portal, valid region) nor a configured override",
        ))
    }
}

/// The shared files' profiles as the chain will see them (selected profile
/// included); `None` when neither file can be read or they do not parse.
fn read_profiles(locations: &Locations) -> Option<ProfileSet> {
    let read = |path: &str| {
        let mut text = String::new();
        std::fs::File::open(path)
            .ok()?
            .take(MAX_PROFILE_FILE_BYTES)
            .read_to_string(&mut text)
            .ok()?;
        Some(text)
    };
    let config = read(&locations.config.path);
    let credentials = read(&locations.credentials.path);
    if config.is_none() && credentials.is_none() {
        return None;
    }
    ProfileSet::parse(config.as_deref(), credentials.as_deref())
        .ok()
        .map(|set| set.select(locations.profile.clone()))
}

/// The instance-metadata address the core will call: the link-local one of
/// the endpoint mode, limited to the credential requests, or a configured
/// endpoint (allowed whole, as every override is).
fn instance_metadata_entry(
    env: &Environment,
    profiles: Option<&ProfileSet>,
) -> Option<AllowedHost> {
    if env.get(imds::ENDPOINT_VAR).is_some() {
        return None; // already an explicit entry (ENDPOINT_OVERRIDE_VARS)
    }
    let endpoint = imds::endpoint(env, profiles.and_then(ProfileSet::selected)).ok()?;
    let mut entry = AllowedHost::parse_url(&endpoint.url(""), "ec2_metadata_service_endpoint")?;
    if metadata::IMDS_HOSTS.contains(&entry.host.as_str()) {
        entry.origin = IMDS_ORIGIN.into();
        entry.rules = Rules::InstanceMetadata;
    }
    Some(entry)
}

/// A request the policy refused, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// The refused `scheme://host:port` (no user info, path or query).
    pub target: String,
    pub reason: String,
}

impl Denied {
    fn new(uri: &http::Uri, reason: impl Into<String>) -> Self {
        let scheme = uri.scheme_str().unwrap_or("?");
        let host = uri.host().unwrap_or("");
        let target = match uri.port_u16() {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        };
        Self {
            target,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "outbound request to {} denied: {}",
            self.target, self.reason
        )
    }
}

impl std::error::Error for Denied {}

/// An explicit outbound entry: a host, and a port unless any port is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    /// Lower case, IPv6 without brackets.
    pub host: String,
    /// `None`: any port.
    pub port: Option<u16>,
    /// Where the entry comes from (`AWS_ENDPOINT_URL`, `base-url`, `extra host`).
    pub origin: String,
    rules: Rules,
}

/// What an entry allows on its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rules {
    /// Any request.
    Any,
    /// Only the credential chain's requests ([`metadata::check_request`]).
    InstanceMetadata,
}

impl AllowedHost {
    /// The `host:port` of a URL (`scheme://host[:port][/path]`); the port
    /// defaults to the scheme's (443 for `https`, 80 for `http`). A value
    /// without a scheme is read as by [`AllowedHost::parse`].
    pub fn parse_url(url: &str, origin: &str) -> Option<Self> {
        let url = url.trim();
        if !url.contains("://") {
            return Self::parse(url, origin);
        }
        let uri: http::Uri = url.parse().ok()?;
        let default_port = match uri.scheme_str()? {
            s if s.eq_ignore_ascii_case("https") => 443,
            s if s.eq_ignore_ascii_case("http") => 80,
            _ => return None,
        };
        let host = normalize_host(uri.host()?);
        if host.is_empty() {
            return None;
        }
        Some(Self {
            host,
            port: Some(uri.port_u16().unwrap_or(default_port)),
            origin: origin.to_string(),
            rules: Rules::Any,
        })
    }

    /// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address. Without
    /// a port, any port of the host is allowed.
    pub fn parse(spec: &str, origin: &str) -> Option<Self> {
        let spec = spec.trim();
        if spec.is_empty() || spec.contains(['/', '@', ' ']) {
            return None;
        }
        let (host, port) = if let Some(rest) = spec.strip_prefix('[') {
            let (host, after) = rest.split_once(']')?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?.parse::<u16>().ok()?)),
            }
        } else if spec.parse::<std::net::Ipv6Addr>().is_ok() {
            (spec, None)
        } else {
            match spec.rsplit_once(':') {
                Some((host, port)) => (host, Some(port.parse::<u16>().ok()?)),
                None => (spec, None),
            }
        };
        let host = normalize_host(host);
        if host.is_empty() {
            return None;
        }
        Some(Self {
            host,
            port,
            origin: origin.to_string(),
            rules: Rules::Any,
        })
    }

    fn matches(&self, host: &str, port: u16) -> bool {
        self.host == host && self.port.is_none_or(|p| p == port)
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(port) => write!(f, "{host}:{port} ({})", self.origin),
            None => write!(f, "{host}:* ({})", self.origin),
        }
    }
}

/// Keeps the allowed variables of `env`; a name given twice keeps its last value.
pub fn filter_env(env: &[(String, String)], extra_env: &[String]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in env {
        if !env_name_allowed(name, extra_env) || (name == "HOME" && value.is_empty()) {
            continue;
        }
        match out.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value.clone(),
            None => out.push((name.clone(), value.clone())),
        }
    }
    out
}

fn env_name_allowed(name: &str, extra_env: &[String]) -> bool {
    (name.starts_with("AWS_") && name.len() > "AWS_".len())
        || name == "HOME"
        || extra_env
            .iter()
            .any(|extra| !extra.is_empty() && extra == name)
}

/// Lower case, without IPv6 brackets and without a trailing dot.
fn normalize_host(host: &str) -> String {
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

/// `localhost` (and `*.localhost`), `127.0.0.0/8`, `::1`, the unspecified
/// addresses (which reach the local host too) and IPv4-mapped forms of these.
fn is_loopback(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback() || v4.is_unspecified(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_unspecified())
        }
        Err(_) => false,
    }
}
