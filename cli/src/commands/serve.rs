//! `serve`: the OpenAI-compatible endpoint (`bedrock_serve`) on a local
//! port, until Ctrl-C.

use super::{Failure, Global, Op, report};
use bedrock_host::types::CacheRetention;
use bedrock_serve::{ServeConfig, ServeLimits, Server, parse_cors_origin};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

/// Where `--api-key` may come from instead: the command line shows in `ps`.
const API_KEY_ENV: &str = "BEDROCK_HOST_API_KEY";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// TCP port; 0 picks a free one (the address is printed on start).
    #[arg(long, value_name = "N", default_value_t = 8080)]
    port: u16,
    /// Address to listen on. Anything but loopback exposes your AWS
    /// credentials' Bedrock access to the network: set an API key.
    #[arg(long, value_name = "ADDR", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// Require `Authorization: Bearer KEY` on every request (default:
    /// $BEDROCK_HOST_API_KEY; prefer it, the command line is visible to
    /// other local users).
    #[arg(long, value_name = "KEY")]
    api_key: Option<String>,
    /// Let web pages from ORIGIN (e.g. http://localhost:3000) call the
    /// endpoint, with CORS; requests from every other page are refused.
    /// Repeatable.
    #[arg(long, value_name = "ORIGIN", value_parser = parse_cors_origin)]
    cors_origin: Vec<String>,
    /// Accept NAME (any port) or NAME:PORT in the Host header besides the
    /// bound address, e.g. behind a reverse proxy. Repeatable.
    #[arg(long = "allow-host-header", value_name = "NAME")]
    allow_host_header: Vec<String>,
    /// Open connections at once; more are answered 503 and closed.
    #[arg(long, value_name = "N", default_value_t = ServeLimits::default().max_connections)]
    max_connections: usize,
    /// Requests calling the plugin at once; more are answered 429 before
    /// their body is read.
    #[arg(long, value_name = "N", default_value_t = ServeLimits::default().max_requests)]
    max_requests: usize,
    /// The largest request body (base64 images count here).
    #[arg(long, value_name = "BYTES", default_value_t = ServeLimits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// The bytes all request bodies in memory may hold together.
    #[arg(long, value_name = "BYTES", default_value_t = ServeLimits::default().body_budget_bytes)]
    body_budget_bytes: usize,
    /// Seconds a connection may take to send a request's headers, or stay
    /// idle between requests.
    #[arg(long, value_name = "SECS", default_value_t = ServeLimits::default().header_read_timeout.as_secs())]
    header_timeout: u64,
    /// Seconds to receive a whole request body.
    #[arg(long, value_name = "SECS", default_value_t = ServeLimits::default().body_read_timeout.as_secs())]
    body_timeout: u64,
    /// Seconds a client may read nothing of a reply before it is dropped.
    #[arg(long, value_name = "SECS", default_value_t = ServeLimits::default().send_timeout.as_secs())]
    send_timeout: u64,
    /// Seconds a whole reply may take.
    #[arg(long, value_name = "SECS", default_value_t = ServeLimits::default().stream_timeout.as_secs())]
    reply_timeout: u64,
    /// Prompt-cache points placed on every chat request (after the system
    /// prompt, the tools and the conversation so far): `short` (about 5
    /// minutes), `long` (about 1 hour, where the model offers it) or `none`.
    #[arg(long, value_name = "RETENTION", value_enum, default_value_t = Retention::Short)]
    cache_retention: Retention,
    /// Seconds requests in flight get to finish after Ctrl-C.
    #[arg(long, value_name = "SECS", default_value_t = ServeLimits::default().shutdown_deadline.as_secs())]
    shutdown_timeout: u64,
}

/// `--cache-retention`, as the contract's `cache-retention` names it.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Retention {
    None,
    Short,
    Long,
}

impl From<Retention> for CacheRetention {
    fn from(retention: Retention) -> Self {
        match retention {
            Retention::None => CacheRetention::None,
            Retention::Short => CacheRetention::Short,
            Retention::Long => CacheRetention::Long,
        }
    }
}

impl Args {
    fn limits(&self) -> ServeLimits {
        ServeLimits {
            max_connections: self.max_connections.max(1),
            max_requests: self.max_requests.max(1),
            max_body_bytes: self.max_body_bytes,
            body_budget_bytes: self.body_budget_bytes,
            header_read_timeout: Duration::from_secs(self.header_timeout.max(1)),
            body_read_timeout: Duration::from_secs(self.body_timeout.max(1)),
            send_timeout: Duration::from_secs(self.send_timeout.max(1)),
            stream_timeout: Duration::from_secs(self.reply_timeout.max(1)),
            shutdown_deadline: Duration::from_secs(self.shutdown_timeout),
        }
    }
}

pub async fn run(global: &Global, args: Args) -> ExitCode {
    let given_key = args
        .api_key
        .clone()
        .or_else(|| std::env::var(API_KEY_ENV).ok())
        .filter(|key| !key.trim().is_empty());
    // Off loopback, a key is required: one is made up when none is given.
    let generated = given_key.is_none() && !args.bind.is_loopback();
    let api_key = match given_key {
        Some(key) => Some(key),
        None if generated => match generate_key() {
            Ok(key) => Some(key),
            Err(error) => return report(Failure::Host(error), false, Op::Converse),
        },
        None => None,
    };
    let host = match global.host() {
        Ok(host) => host,
        Err(error) => return report(Failure::Host(error), false, Op::Converse),
    };
    let _watch = global.watch(&host);
    let mut config = ServeConfig::new(global.provider_config());
    config.api_key = api_key.clone();
    config.cors_origins = args.cors_origin.clone();
    config.allowed_hosts = args.allow_host_header.clone();
    config.limits = args.limits();
    config.cache_retention = args.cache_retention.into();
    let addr = SocketAddr::new(args.bind, args.port);
    let server = match Server::bind(addr, host, config).await {
        Ok(server) => server,
        Err(error) => {
            let error = anyhow::Error::from(error).context(format!("listening on {addr}"));
            return report(Failure::Host(error), false, Op::Converse);
        }
    };
    match server.local_addr() {
        Ok(local) => println!("listening on http://{local}/v1 (OpenAI-compatible; Ctrl-C stops)"),
        Err(error) => return report(Failure::Host(error.into()), false, Op::Converse),
    }
    if generated && let Some(key) = &api_key {
        println!(
            "{} is not a loopback address, so an API key is required; this run's key (set --api-key or ${API_KEY_ENV} to choose one):\n{key}",
            args.bind
        );
    }
    let shutdown = async {
        // Without a signal handler there is no graceful stop; the process
        // still ends on the signal's default action.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    match server.run(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(Failure::Host(error.into()), false, Op::Converse),
    }
}

/// A fresh API key: 32 bytes from the operating system's CSPRNG, in hex.
fn generate_key() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|error| anyhow::anyhow!("generating an API key: {error}"))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sk-bedrock-host-{hex}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        args: Args,
    }

    fn retention(argv: &[&str]) -> Result<CacheRetention, clap::Error> {
        let argv = std::iter::once("serve").chain(argv.iter().copied());
        Serve::try_parse_from(argv).map(|s| s.args.cache_retention.into())
    }

    #[test]
    fn serve_places_short_cache_points_unless_told_otherwise() {
        assert_eq!(retention(&[]).unwrap(), CacheRetention::Short);
        assert_eq!(
            retention(&["--cache-retention", "none"]).unwrap(),
            CacheRetention::None
        );
        assert_eq!(
            retention(&["--cache-retention", "long"]).unwrap(),
            CacheRetention::Long
        );
        let error = retention(&["--cache-retention", "forever"]).unwrap_err();
        assert!(error.to_string().contains("none, short, long"), "{error}");
    }
}
