//! The subcommands and what they share: global options, error reporting, the
//! stream renderer.

pub mod chat;
#[cfg(feature = "demo")]
pub mod demo;
pub mod gateway_config;
pub mod models;
pub mod serve;
pub mod stream;
pub mod transcript;
pub mod whoami;

use crate::component;
use crate::json;
use bedrock_host::terminal::sanitize;
use bedrock_host::types::{ProviderConfig, ProviderError};
use bedrock_host::{Host, HostConfig};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Options shared by every subcommand.
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The provider component (default: $BEDROCK_COMPONENT, else the one
    /// installed beside this executable or in <prefix>/share/bedrock-host/,
    /// else this checkout's build).
    #[arg(long, global = true, value_name = "PATH")]
    pub component: Option<PathBuf>,
    /// AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile, us-east-1).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Endpoint override, e.g. http://127.0.0.1:4566 (sets provider-config.base-url;
    /// the sandbox lets the plugin reach it).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Also let the plugin reach HOST or HOST:PORT (repeatable).
    #[arg(long = "allow-host", global = true, value_name = "HOST[:PORT]")]
    pub allow_hosts: Vec<String>,
    /// Also pass this environment variable to the plugin (repeatable; AWS_* and
    /// HOME always are).
    #[arg(long = "pass-env", global = true, value_name = "NAME")]
    pub pass_env: Vec<String>,
    /// Reload the component whenever its file changes (serve, chat
    /// --interactive): calls in flight finish on the old build.
    #[arg(long, global = true)]
    pub watch: bool,
}

impl Global {
    /// The component to load; see [`component::locate`].
    pub fn component_path(&self) -> Result<PathBuf, component::NotFound> {
        let exe = std::env::current_exe().ok();
        component::locate(
            self.component.as_deref(),
            std::env::var_os("BEDROCK_COMPONENT"),
            exe.as_deref(),
        )
    }

    pub fn host_config(&self) -> Result<HostConfig, component::NotFound> {
        let mut config = HostConfig::new(self.component_path()?);
        config.extra_env = self.pass_env.clone();
        config.extra_hosts = self.allow_hosts.clone();
        Ok(config)
    }

    pub fn provider_config(&self) -> ProviderConfig {
        ProviderConfig {
            region: self.region.clone(),
            base_url: self.endpoint.clone(),
            ..Default::default()
        }
    }

    /// Loads the component, saying so on stderr when it has to be compiled
    /// (the first run after a build; later runs load the cached code).
    pub fn host(&self) -> anyhow::Result<Host> {
        Host::with_progress(self.host_config()?, || {
            eprintln!(
                "{}",
                dim("compiling the plugin (first run of this build; cached afterwards)...")
            );
        })
    }

    /// With `--watch`, reloads `host` when its component file changes, for
    /// as long as the returned guard lives.
    pub fn watch(&self, host: &Host) -> Option<WatchGuard> {
        if !self.watch {
            return None;
        }
        let task = bedrock_host::watch::watch(
            host.clone(),
            host.component_path(),
            std::time::Duration::from_millis(500),
            |outcome| match outcome {
                Ok(info) => eprintln!(
                    "{}",
                    dim(&format!("reloaded: {} {}", info.name, info.version))
                ),
                Err(error) => eprintln!(
                    "{}",
                    red(&format!(
                        "reload refused, the previous build keeps serving: {error:#}"
                    ))
                ),
            },
        );
        Some(WatchGuard(task))
    }
}

/// Stops the `--watch` task when dropped.
pub struct WatchGuard(tokio::task::JoinHandle<()>);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What failed, for reporting.
pub enum Failure {
    /// A typed error from the plugin: exit code 1.
    Provider(ProviderError),
    /// A host-side failure: exit code 2.
    Host(anyhow::Error),
    /// Ctrl-C: exit code 130.
    Interrupted,
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        Failure::Host(error)
    }
}

/// The operation that failed, to say what permission or setting it needs.
#[derive(Clone, Copy)]
pub enum Op {
    Credentials,
    Discover,
    Converse,
}

/// Prints the failure (a JSON line on stdout with `json`, else one line on
/// stderr) and returns the exit code.
pub fn report(failure: Failure, json_mode: bool, op: Op) -> ExitCode {
    match failure {
        Failure::Provider(error) => {
            if json_mode {
                print_json(&json::error(&error));
            } else {
                eprintln!(
                    "{}",
                    red(&sanitize(&format!("error: {}", describe(&error, op))))
                );
            }
            ExitCode::from(1)
        }
        Failure::Host(error) => {
            if json_mode {
                print_json(&json::host_error(&error));
            } else {
                eprintln!("{}", red(&sanitize(&format!("error: {error:#}"))));
            }
            ExitCode::from(2)
        }
        Failure::Interrupted => {
            if json_mode {
                print_json(&json::error(&ProviderError::Cancelled));
            } else {
                eprintln!("{}", dim("interrupted"));
            }
            ExitCode::from(130)
        }
    }
}

/// One line saying what went wrong and what to do about it.
pub fn describe(error: &ProviderError, op: Op) -> String {
    let message = error.message();
    let service = match error.detail() {
        Some(d) => {
            let mut s = message.to_string();
            match (&d.code, d.status) {
                (Some(code), Some(status)) => s.push_str(&format!(" ({code}, HTTP {status})")),
                (Some(code), None) => s.push_str(&format!(" ({code})")),
                (None, Some(status)) => s.push_str(&format!(" (HTTP {status})")),
                (None, None) => {}
            }
            s
        }
        None => message.to_string(),
    };
    match error {
        // The plugin's own messages for these already say what happened.
        ProviderError::NotImplemented(_) => {
            format!("not implemented by this plugin build: {message}")
        }
        ProviderError::NoCredentials(_) => format!(
            "{message}. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_BEARER_TOKEN_BEDROCK)"
        ),
        ProviderError::CredentialSource(_) => {
            format!("the credential source failed: {message}; check your AWS profile and config")
        }
        ProviderError::InvalidRequest(_) => format!("invalid request: {message}"),
        ProviderError::Auth(_) => format!(
            "authentication failed: {service}; check your credentials (keys, session token, expiry) and the clock"
        ),
        ProviderError::AccessDenied(_) => match op {
            Op::Credentials => {
                format!("access denied: {service}; check the IAM policy of these credentials")
            }
            // ListInferenceProfiles is optional: without it discovery warns.
            Op::Discover => format!(
                "access denied: {service}; the credentials need bedrock:ListFoundationModels \
                 (and bedrock:ListInferenceProfiles to list cross-region profiles)"
            ),
            Op::Converse => format!(
                "access denied: {service}; the credentials need bedrock:InvokeModelWithResponseStream \
                 on this model (and model access enabled in the Bedrock console)"
            ),
        },
        ProviderError::Throttled(_) => {
            format!("throttled: {service}; retry later or ask for a higher quota")
        }
        ProviderError::Validation(_) => format!("Bedrock rejected the request: {service}"),
        ProviderError::ModelNotFound(_) => format!(
            "model not found: {service}; check the model id and the region (`bedrock-host models` lists them)"
        ),
        ProviderError::ModelNotReady(_) => {
            format!("the model is not ready: {service}; retry in a moment")
        }
        ProviderError::ContextWindowExceeded(_) => {
            format!("the conversation is too long for the model: {service}; shorten it")
        }
        ProviderError::ServiceUnavailable(_) | ProviderError::InternalServer(_) => {
            format!("Bedrock is having trouble: {service}; retry later")
        }
        ProviderError::ModelStreamError(_) => format!("the model's stream failed: {service}"),
        ProviderError::Http(_) => format!("unexpected HTTP answer: {service}"),
        ProviderError::Timeout(_) => {
            format!("timed out: {message}; check your network, the region and --endpoint")
        }
        ProviderError::Network(_) => format!(
            "network error: {message}; check your connection, the region and --endpoint \
             (the sandbox only lets the plugin reach Bedrock endpoints, endpoint overrides and --allow-host)"
        ),
        ProviderError::Protocol(_) => format!("the answer broke the protocol: {message}"),
        ProviderError::Cancelled => "cancelled".to_string(),
    }
}

/// Writes a value as indented JSON on stdout (for people to read or paste),
/// flushed; keys in the order the value serialises them.
pub fn print_json_pretty(value: &impl serde::Serialize) {
    let mut out = std::io::stdout().lock();
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            let _ = writeln!(out, "{text}");
        }
        // Only a map with non-string keys fails, and none is printed here.
        Err(error) => {
            let _ = writeln!(out, "{}", json::to_line(&json::host_error(&error.into())));
        }
    }
    let _ = out.flush();
}

/// Writes one JSON value as a line on stdout, flushed.
pub fn print_json(value: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", json::to_line(value));
    let _ = out.flush();
}

fn style(code: &str, text: &str, stdout: bool) -> String {
    let terminal = if stdout {
        std::io::stdout().is_terminal()
    } else {
        std::io::stderr().is_terminal()
    };
    if terminal && std::env::var_os("NO_COLOR").is_none() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Dim text for stderr (plain when stderr is not a terminal or NO_COLOR is set).
pub fn dim(text: &str) -> String {
    style("2", text, false)
}

/// Cyan text for stdout (tool calls).
pub fn cyan(text: &str) -> String {
    style("36", text, true)
}

/// Bold text for stderr (the interactive prompt).
pub fn bold_err(text: &str) -> String {
    style("1", text, false)
}

/// Red text for stderr.
pub fn red(text: &str) -> String {
    style("31", text, false)
}

/// Dim text for stdout (the demo's notes).
#[cfg_attr(not(feature = "demo"), allow(dead_code))]
pub fn dim_out(text: &str) -> String {
    style("2", text, true)
}

/// Bold text for stdout (the demo's headings).
#[cfg_attr(not(feature = "demo"), allow(dead_code))]
pub fn bold(text: &str) -> String {
    style("1", text, true)
}

/// `2024-06-20 13:45:00 UTC (in 53 min)` for an expiry in Unix seconds.
pub fn format_expiry(expires_at: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let relative = if expires_at >= now {
        format!("in {}", human_duration(expires_at - now))
    } else {
        format!("expired {} ago", human_duration(now - expires_at))
    };
    format!("{} ({relative})", format_utc(expires_at))
}

fn human_duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        s => format!("{} days", s / 86_400),
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_utc(secs: u64) -> String {
    use aws_smithy_types::date_time::{DateTime, Format};
    // RFC 3339 (`2024-06-20T13:45:00Z`), made easier on the eye; a time past
    // what a date can hold prints as the plain number.
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    match DateTime::from_secs(secs).fmt(Format::DateTime) {
        Ok(rfc3339) => format!(
            "{} UTC",
            rfc3339.trim_end_matches('Z').replacen('T', " ", 1)
        ),
        Err(_) => format!("{secs} (Unix time)"),
    }
}

/// The outbound entries in force for a call, for display.
pub fn outbound_summary(host: &Host, config: &ProviderConfig) -> Vec<String> {
    let mut entries = vec!["bedrock[-runtime].<region>.amazonaws.com:443".to_string()];
    entries.extend(host.policy().allowed_hosts().iter().map(|h| h.to_string()));
    if let Some(url) = &config.base_url {
        match bedrock_host::policy::AllowedHost::parse_url(url, "--endpoint") {
            Some(h) => entries.push(h.to_string()),
            None => entries.push(format!("{url:?} (--endpoint, not a URL: ignored)")),
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_the_permission_of_the_operation() {
        let denied = ProviderError::AccessDenied(bedrock_host::types::ErrorDetail {
            message: "User is not authorized".into(),
            status: Some(403),
            code: Some("AccessDeniedException".into()),
            request_id: None,
            retry_after_ms: None,
        });
        let discover = describe(&denied, Op::Discover);
        assert!(
            discover.contains("need bedrock:ListFoundationModels"),
            "{discover}"
        );
        assert!(
            discover.contains("(AccessDeniedException, HTTP 403)"),
            "{discover}"
        );
        assert!(!discover.contains('\n'), "one line: {discover}");
        let converse = describe(&denied, Op::Converse);
        assert!(
            converse.contains("bedrock:InvokeModelWithResponseStream"),
            "{converse}"
        );
    }

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(1_718_891_100), "2024-06-20 13:45:00 UTC");
    }
}
