//! `serve`: the OpenAI-compatible endpoint (`bedrock_serve`) on a local
//! port, until Ctrl-C.

use super::{Failure, Global, Op, red, report};
use bedrock_serve::{ServeConfig, Server};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

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
}

pub async fn run(global: &Global, args: Args) -> ExitCode {
    let api_key = args
        .api_key
        .or_else(|| std::env::var(API_KEY_ENV).ok())
        .filter(|key| !key.trim().is_empty());
    if api_key.is_none() && !args.bind.is_loopback() {
        eprintln!(
            "{}",
            red(&format!(
                "warning: listening on {} without an API key: anyone who can reach it can use your Bedrock access (set --api-key or ${API_KEY_ENV})",
                args.bind
            ))
        );
    }
    let host = match global.host() {
        Ok(host) => host,
        Err(error) => return report(Failure::Host(error), false, Op::Converse),
    };
    let _watch = global.watch(&host);
    let mut config = ServeConfig::new(global.provider_config());
    config.api_key = api_key;
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
