//! The sandbox policy: which environment variables the guest sees and which
//! hosts it may reach over `wasi:http`.
//!
//! * Environment: names starting with `AWS_`, the names in
//!   [`HostConfig::extra_env`], and `HOME` when it is set (non-empty). Nothing
//!   else, never the whole environment.
//! * Outbound HTTP, checked for every request the guest sends:
//!   1. hosts given explicitly: the `host:port` of the endpoint overrides in
//!      the passed environment ([`ENDPOINT_OVERRIDE_VARS`]), of the call's
//!      `provider-config.base-url`, and [`HostConfig::extra_hosts`];
//!   2. otherwise `https://bedrock.{region}.amazonaws.com` and
//!      `https://bedrock-runtime.{region}.amazonaws.com` (port 443) for any
//!      syntactically valid region, and the identity endpoints the credential
//!      chain may need: `https://sts.amazonaws.com`, `https://sts.{region}.amazonaws.com`
//!      and `https://portal.sso.{region}.amazonaws.com`;
//!   3. the link-local credential endpoints only when the environment selects
//!      them: EC2 instance metadata (`169.254.169.254`, `fd00:ec2::254`) unless
//!      `AWS_EC2_METADATA_DISABLED=true` (or its endpoint is overridden), the
//!      ECS agent (`169.254.170.2`) when `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
//!      is set, and the hosts of `AWS_CONTAINER_CREDENTIALS_FULL_URI`,
//!      `AWS_EC2_METADATA_SERVICE_ENDPOINT`, `AWS_ENDPOINT_URL_STS` and
//!      `AWS_ENDPOINT_URL_SSO` (explicit entries, as in 1).
//!
//!   Loopback and unspecified addresses (`127.0.0.0/8`, `::1`, `0.0.0.0`, `::`,
//!   `localhost`) are reachable only through explicit entries.

use crate::HostConfig;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Variables naming files the credential chain reads; their directories are
/// opened to the guest, read-only.
const FILE_VARS: [&str; 4] = [
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

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

/// EC2 instance metadata (IPv4 and IPv6), reachable unless disabled.
const IMDS_HOSTS: [&str; 2] = ["169.254.169.254", "fd00:ec2::254"];
/// The ECS agent, for `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
const ECS_AGENT_HOST: &str = "169.254.170.2";

/// The env + outbound allow-lists in force for a [`Host`](crate::Host).
#[derive(Debug, Clone)]
pub struct Policy {
    env: Vec<(String, String)>,
    extra_env: Vec<String>,
    allowed_hosts: Vec<AllowedHost>,
    ignored: Vec<String>,
    preopens: Vec<PathBuf>,
}

impl Policy {
    /// Builds the policy from a host configuration.
    pub fn new(config: &HostConfig) -> Self {
        let env = filter_env(&config.env, &config.extra_env);
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
        let set = |name: &str| env.iter().any(|(k, v)| k == name && !v.trim().is_empty());
        let imds_disabled = env.iter().any(|(k, v)| {
            k == "AWS_EC2_METADATA_DISABLED" && v.trim().eq_ignore_ascii_case("true")
        });
        if !imds_disabled && !set("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
            allowed_hosts.extend(IMDS_HOSTS.iter().map(|host| AllowedHost {
                host: host.to_string(),
                port: Some(80),
                origin: "EC2 instance metadata".into(),
            }));
        }
        if set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            allowed_hosts.push(AllowedHost {
                host: ECS_AGENT_HOST.into(),
                port: Some(80),
                origin: "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI".into(),
            });
        }
        for spec in &config.extra_hosts {
            match AllowedHost::parse(spec, "extra host") {
                Some(host) => allowed_hosts.push(host),
                None => ignored.push(format!("extra host {spec:?}: not a host or host:port")),
            }
        }
        Self {
            preopens: preopens(&env, &config.extra_dirs),
            env,
            extra_env: config.extra_env.clone(),
            allowed_hosts,
            ignored,
        }
    }

    /// Directories the guest may read, each at its own absolute path inside
    /// the sandbox (so paths in the environment work unchanged), read-only.
    pub fn preopens(&self) -> &[PathBuf] {
        &self.preopens
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

    /// The explicit outbound entries (endpoint overrides and extra hosts); the
    /// Bedrock endpoints of every region are allowed besides these.
    pub fn allowed_hosts(&self) -> &[AllowedHost] {
        &self.allowed_hosts
    }

    /// Configuration that could not be used (an override that is not a URL,
    /// a malformed extra host), for display.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Whether the guest may send a request to `uri`. `call_hosts` are the
    /// entries allowed for the current call only (its `base-url`).
    pub fn check(&self, uri: &http::Uri, call_hosts: &[AllowedHost]) -> Result<(), Denied> {
        let Some(host) = uri.host() else {
            return Err(Denied::new(uri, "no host"));
        };
        let host = normalize_host(host);
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });

        if self
            .allowed_hosts
            .iter()
            .chain(call_hosts)
            .any(|entry| entry.matches(&host, port))
        {
            return Ok(());
        }
        if is_loopback(&host) {
            return Err(Denied::new(
                uri,
                "loopback is reachable only through an endpoint override or an extra host",
            ));
        }
        if is_bedrock_host(&host) || is_identity_host(&host) {
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
            "not a Bedrock or AWS identity endpoint nor a configured override",
        ))
    }
}

/// A request the policy refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied {
    /// The refused URI without path and query.
    pub target: String,
    pub reason: &'static str,
}

impl Denied {
    fn new(uri: &http::Uri, reason: &'static str) -> Self {
        let scheme = uri.scheme_str().unwrap_or("?");
        let authority = uri.authority().map(|a| a.as_str()).unwrap_or("");
        Self {
            target: format!("{scheme}://{authority}"),
            reason,
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

/// `bedrock.{region}.amazonaws.com` or `bedrock-runtime.{region}.amazonaws.com`
/// (lower case, as returned by [`normalize_host`]).
pub fn is_bedrock_host(host: &str) -> bool {
    let Some(rest) = host.strip_suffix(".amazonaws.com") else {
        return false;
    };
    let region = rest
        .strip_prefix("bedrock-runtime.")
        .or_else(|| rest.strip_prefix("bedrock."));
    region.is_some_and(is_valid_region)
}

/// The directories the credential chain needs: `$HOME/.aws` (shared config,
/// credentials, SSO token cache), the directories of the files the
/// environment names, and `extra`; only those that exist, each once.
fn preopens(env: &[(String, String)], extra: &[PathBuf]) -> Vec<PathBuf> {
    let value = |name: &str| {
        env.iter()
            .rev()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    };
    let home = value("HOME").map(PathBuf::from);
    let expand = |path: &str| match (path.strip_prefix("~/"), &home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    };
    let mut dirs: Vec<PathBuf> = Vec::new();
    let candidates = home
        .as_ref()
        .map(|h| h.join(".aws"))
        .into_iter()
        .chain(
            FILE_VARS
                .iter()
                .filter_map(|v| value(v))
                .filter_map(|p| expand(p).parent().map(Path::to_path_buf)),
        )
        .chain(extra.iter().cloned());
    for dir in candidates {
        if dir.is_absolute() && dir.is_dir() && !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    dirs
}

/// The identity endpoints the credential chain calls: STS (global and
/// regional) and the IAM Identity Center portal.
pub fn is_identity_host(host: &str) -> bool {
    let Some(rest) = host.strip_suffix(".amazonaws.com") else {
        return false;
    };
    rest == "sts"
        || rest.strip_prefix("sts.").is_some_and(is_valid_region)
        || rest
            .strip_prefix("portal.sso.")
            .is_some_and(is_valid_region)
}

/// The region syntax `[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d`, e.g. `us-east-1`,
/// `us-gov-west-1`, `us-isob-east-1`.
pub fn is_valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let (first, last) = match parts.as_slice() {
        [first, .., last] if parts.len() >= 3 => (*first, *last),
        _ => return false,
    };
    let middle = &parts[1..parts.len() - 1];
    let middle_ok = match middle {
        [name] => lower(name),
        [partition, name] => {
            (*partition == "gov"
                || partition
                    .strip_prefix("iso")
                    .is_some_and(|tail| tail.bytes().all(|b| b.is_ascii_lowercase())))
                && lower(name)
        }
        _ => false,
    };
    first.len() == 2
        && lower(first)
        && middle_ok
        && last.len() == 1
        && last.as_bytes()[0].is_ascii_digit()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn config(pairs: &[(&str, &str)], extra_env: &[&str], extra_hosts: &[&str]) -> HostConfig {
        HostConfig {
            env: env(pairs),
            extra_env: extra_env.iter().map(|s| s.to_string()).collect(),
            extra_hosts: extra_hosts.iter().map(|s| s.to_string()).collect(),
            ..HostConfig::new("x.wasm")
        }
    }

    fn allowed(policy: &Policy, url: &str) -> bool {
        policy.check(&url.parse().unwrap(), &[]).is_ok()
    }

    #[test]
    fn env_keeps_only_aws_home_and_extras() {
        let filtered = filter_env(
            &env(&[
                ("AWS_REGION", "eu-west-1"),
                ("AWS_ACCESS_KEY_ID", "AKID"),
                ("PATH", "/usr/bin"),
                ("HOME", "/home/me"),
                ("SECRET_TOKEN", "x"),
                ("aws_region", "lower"),
                ("AWS_", "empty suffix"),
                ("MY_PROXY", "p"),
                ("AWSX", "no underscore"),
            ]),
            &["MY_PROXY".to_string()],
        );
        assert_eq!(
            filtered,
            env(&[
                ("AWS_REGION", "eu-west-1"),
                ("AWS_ACCESS_KEY_ID", "AKID"),
                ("HOME", "/home/me"),
                ("MY_PROXY", "p"),
            ])
        );
    }

    #[test]
    fn env_skips_empty_home_and_keeps_last_duplicate() {
        let filtered = filter_env(
            &env(&[("HOME", ""), ("AWS_REGION", "a"), ("AWS_REGION", "b")]),
            &[],
        );
        assert_eq!(filtered, env(&[("AWS_REGION", "b")]));
    }

    #[test]
    fn env_name_allowed_on_policy() {
        let policy = Policy::new(&config(&[], &["EXTRA"], &[]));
        assert!(policy.env_name_allowed("AWS_PROFILE"));
        assert!(policy.env_name_allowed("HOME"));
        assert!(policy.env_name_allowed("EXTRA"));
        assert!(!policy.env_name_allowed("PATH"));
        assert!(!policy.env_name_allowed(""));
    }

    #[test]
    fn region_syntax() {
        for ok in [
            "us-east-1",
            "eu-central-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "us-isof-south-1",
            "eu-isoe-west-1",
            "ca-west-1",
        ] {
            assert!(is_valid_region(ok), "{ok} should be valid");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "us-east-12",
            "use-east-1",
            "u-east-1",
            "US-EAST-1",
            "us-east-x",
            "us--1",
            "us-gov-west-east-1",
            "us-foo-west-1",
            "us-east-1.evil",
            "us-east-1-",
            "-us-east-1",
            "us-ea5t-1",
        ] {
            assert!(!is_valid_region(bad), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn bedrock_hosts() {
        assert!(is_bedrock_host("bedrock.us-east-1.amazonaws.com"));
        assert!(is_bedrock_host("bedrock-runtime.eu-west-3.amazonaws.com"));
        assert!(is_bedrock_host(
            "bedrock-runtime.us-gov-west-1.amazonaws.com"
        ));
        assert!(!is_bedrock_host("bedrock-agent.us-east-1.amazonaws.com"));
        assert!(!is_bedrock_host("s3.us-east-1.amazonaws.com"));
        assert!(!is_bedrock_host("bedrock.us-east-1.amazonaws.com.evil.com"));
        assert!(!is_bedrock_host("evil.bedrock.us-east-1.amazonaws.com"));
        assert!(!is_bedrock_host("bedrock.not-a-region.amazonaws.com"));
        assert!(!is_bedrock_host("bedrock.amazonaws.com"));
    }

    #[test]
    fn outbound_bedrock_any_region_https_443() {
        let policy = Policy::new(&config(&[], &[], &[]));
        assert!(allowed(
            &policy,
            "https://bedrock-runtime.us-west-2.amazonaws.com/model/x/converse-stream"
        ));
        assert!(allowed(
            &policy,
            "https://bedrock.ap-northeast-1.amazonaws.com/foundation-models"
        ));
        assert!(allowed(
            &policy,
            "https://BEDROCK.us-east-1.AMAZONAWS.com./x"
        ));
        assert!(allowed(
            &policy,
            "https://bedrock-runtime.us-east-1.amazonaws.com:443/"
        ));
        assert!(!allowed(
            &policy,
            "http://bedrock-runtime.us-east-1.amazonaws.com/"
        ));
        assert!(!allowed(
            &policy,
            "https://bedrock-runtime.us-east-1.amazonaws.com:8443/"
        ));
        assert!(!allowed(&policy, "https://s3.us-east-1.amazonaws.com/"));
        assert!(!allowed(&policy, "https://example.com/"));
    }

    #[test]
    fn preopens_are_the_aws_directories_that_exist() {
        let root =
            std::env::temp_dir().join(format!("bedrock-host-preopens-{}", std::process::id()));
        let home = root.join("home");
        let tokens = root.join("tokens");
        std::fs::create_dir_all(home.join(".aws")).unwrap();
        std::fs::create_dir_all(&tokens).unwrap();
        let home_s = home.to_str().unwrap();
        let token = tokens.join("token").to_str().unwrap().to_string();
        let p = Policy::new(&config(
            &[
                ("HOME", home_s),
                ("AWS_CONFIG_FILE", "~/.aws/config"),
                ("AWS_WEB_IDENTITY_TOKEN_FILE", &token),
                (
                    "AWS_SHARED_CREDENTIALS_FILE",
                    "/nonexistent/dir/credentials",
                ),
            ],
            &[],
            &[],
        ));
        assert_eq!(p.preopens(), &[home.join(".aws"), tokens.clone()]);
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn credential_endpoints_only_as_the_chain_needs_them() {
        let p = Policy::new(&config(&[], &[], &[]));
        assert!(allowed(&p, "https://sts.amazonaws.com/"));
        assert!(allowed(&p, "https://sts.eu-west-1.amazonaws.com/"));
        assert!(allowed(
            &p,
            "https://portal.sso.us-east-1.amazonaws.com/federation/credentials"
        ));
        assert!(!allowed(&p, "http://sts.eu-west-1.amazonaws.com/"));
        assert!(!allowed(&p, "https://s3.us-east-1.amazonaws.com/"));
        assert!(allowed(&p, "http://169.254.169.254/latest/api/token"));
        assert!(allowed(&p, "http://[fd00:ec2::254]/latest/api/token"));
        assert!(
            !allowed(&p, "http://169.254.170.2/v2/credentials/x"),
            "ECS only when selected"
        );

        let p = Policy::new(&config(
            &[
                ("AWS_EC2_METADATA_DISABLED", "TRUE"),
                (
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                    "/v2/credentials/x",
                ),
            ],
            &[],
            &[],
        ));
        assert!(!allowed(&p, "http://169.254.169.254/latest/api/token"));
        assert!(allowed(&p, "http://169.254.170.2/v2/credentials/x"));

        let p = Policy::new(&config(
            &[
                ("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9100"),
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "http://127.0.0.1:9101/creds",
                ),
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9102"),
            ],
            &[],
            &[],
        ));
        assert!(
            !allowed(&p, "http://169.254.169.254/latest/api/token"),
            "overridden IMDS replaces the default"
        );
        for port in [9100, 9101, 9102] {
            assert!(allowed(&p, &format!("http://127.0.0.1:{port}/")), "{port}");
        }
    }

    #[test]
    fn outbound_loopback_denied_without_explicit_entry() {
        let policy = Policy::new(&config(&[("HOME", "/h")], &[], &[]));
        for url in [
            "http://127.0.0.1:8080/",
            "http://127.1.2.3/",
            "http://localhost:4566/",
            "http://api.localhost/",
            "http://[::1]:8080/",
            "http://0.0.0.0:80/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            let err = policy.check(&url.parse().unwrap(), &[]).unwrap_err();
            assert!(err.reason.contains("loopback"), "{url}: {err}");
        }
    }

    #[test]
    fn outbound_endpoint_overrides_from_env() {
        let policy = Policy::new(&config(
            &[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:4567"),
                (
                    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
                    "https://gateway.internal/bedrock",
                ),
                ("AWS_ENDPOINT_URL_BEDROCK", "http://[::1]:9000/"),
            ],
            &[],
            &[],
        ));
        assert!(allowed(
            &policy,
            "http://127.0.0.1:4567/model/m/converse-stream"
        ));
        assert!(!allowed(&policy, "http://127.0.0.1:4568/"));
        assert!(!allowed(&policy, "http://127.0.0.2:4567/"));
        assert!(allowed(&policy, "https://gateway.internal/x"));
        assert!(allowed(&policy, "https://GATEWAY.internal:443/x"));
        assert!(!allowed(&policy, "https://gateway.internal:8443/x"));
        assert!(allowed(&policy, "http://[::1]:9000/x"));
        let overrides: Vec<_> = policy
            .allowed_hosts()
            .iter()
            .filter(|h| h.origin.starts_with("AWS_ENDPOINT_URL"))
            .collect();
        assert_eq!(overrides.len(), 3);
        assert_eq!(overrides[0].origin, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME");
    }

    #[test]
    fn overrides_only_from_passed_names() {
        // Not AWS_-prefixed: never reaches the guest, never widens the list.
        let policy = Policy::new(&config(&[("ENDPOINT_URL", "http://127.0.0.1:1")], &[], &[]));
        assert!(
            policy
                .allowed_hosts()
                .iter()
                .all(|h| h.origin == "EC2 instance metadata")
        );
        assert!(!allowed(&policy, "http://127.0.0.1:1/"));
    }

    #[test]
    fn outbound_call_base_url() {
        let policy = Policy::new(&config(&[], &[], &[]));
        let call = [AllowedHost::parse_url("http://localhost:8123", "base-url").unwrap()];
        let uri: http::Uri = "http://localhost:8123/model/x/converse-stream"
            .parse()
            .unwrap();
        assert!(policy.check(&uri, &call).is_ok());
        assert!(policy.check(&uri, &[]).is_err());
        let other: http::Uri = "http://localhost:8124/".parse().unwrap();
        assert!(policy.check(&other, &call).is_err());
    }

    #[test]
    fn outbound_extra_hosts() {
        let policy = Policy::new(&config(
            &[],
            &[],
            &[
                "proxy.corp:8080",
                "localhost",
                "[::1]:7000",
                "bad host",
                "x:notaport",
            ],
        ));
        assert!(allowed(&policy, "http://proxy.corp:8080/"));
        assert!(!allowed(&policy, "http://proxy.corp/"));
        assert!(allowed(&policy, "http://localhost:1234/"));
        assert!(allowed(&policy, "https://localhost/"));
        assert!(allowed(&policy, "http://[::1]:7000/"));
        assert!(!allowed(&policy, "http://[::1]:7001/"));
        assert!(!allowed(&policy, "http://127.0.0.1:1234/"));
        assert_eq!(policy.ignored().len(), 2);
    }

    #[test]
    fn parse_host_specs() {
        let h = AllowedHost::parse("Example.COM:443", "t").unwrap();
        assert_eq!((h.host.as_str(), h.port), ("example.com", Some(443)));
        let h = AllowedHost::parse("::1", "t").unwrap();
        assert_eq!((h.host.as_str(), h.port), ("::1", None));
        let h = AllowedHost::parse("[fe80::1]", "t").unwrap();
        assert_eq!((h.host.as_str(), h.port), ("fe80::1", None));
        assert!(AllowedHost::parse("", "t").is_none());
        assert!(AllowedHost::parse("a/b", "t").is_none());
        assert!(AllowedHost::parse("host:99999", "t").is_none());
        let h = AllowedHost::parse_url("https://h.example", "t").unwrap();
        assert_eq!(h.port, Some(443));
        let h = AllowedHost::parse_url("http://h.example/path?q", "t").unwrap();
        assert_eq!(h.port, Some(80));
        assert!(AllowedHost::parse_url("ftp://h.example", "t").is_none());
        assert_eq!(
            AllowedHost::parse_url("http://[::1]:9/", "o")
                .unwrap()
                .to_string(),
            "[::1]:9 (o)"
        );
    }
}
