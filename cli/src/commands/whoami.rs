//! `whoami`: which credentials the plugin would use, and the sandbox in force.

use super::{Failure, Global, Op, format_expiry, outbound_summary, print_json, report};
use crate::json;
use bedrock_host::terminal::sanitize;
use bedrock_host::types::WitName;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(global: &Global, args: Args) -> ExitCode {
    let host = match global.host() {
        Ok(host) => host,
        Err(error) => return report(Failure::Host(error), args.json, Op::Credentials),
    };
    let config = global.provider_config();
    let info = match host.credential_source(&config).await {
        Ok(Ok(info)) => info,
        Ok(Err(error)) => return report(Failure::Provider(error), args.json, Op::Credentials),
        Err(error) => return report(Failure::Host(error), args.json, Op::Credentials),
    };
    let env: Vec<&str> = host.policy().env_names().collect();
    let outbound = outbound_summary(&host, &config);
    let readable = host.policy().readable();
    let files: Vec<String> = readable
        .files
        .iter()
        .map(|p| p.display().to_string())
        .chain(
            readable
                .dirs
                .iter()
                .map(|d| format!("{}/ (directory)", d.display())),
        )
        .collect();
    if args.json {
        let mut value = json::credential_info(&info);
        value["sandbox"] = serde_json::json!({ "env": env, "outbound": outbound, "read_only_files": readable.files, "read_only_dirs": readable.dirs });
        print_json(&value);
    } else {
        // The label and the region are the plugin's text.
        println!("source: {}", sanitize(&info.label));
        println!("kind: {}", info.kind.wit_name());
        println!("region: {}", sanitize(&info.region));
        match info.expires_at {
            Some(at) => println!("expires: {}", format_expiry(at)),
            None => println!("expires: never (long-lived credentials)"),
        }
        println!(
            "sandbox env: {}",
            if env.is_empty() {
                "(none)".to_string()
            } else {
                env.join(", ")
            }
        );
        println!("sandbox outbound: {}", outbound.join(", "));
        println!(
            "sandbox files (read-only): {}",
            if files.is_empty() {
                "(none)".to_string()
            } else {
                files.join(", ")
            }
        );
        for ignored in host.policy().ignored() {
            eprintln!("warning: ignored {ignored}");
        }
    }
    ExitCode::SUCCESS
}
