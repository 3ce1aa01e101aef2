//! `models`: discovery with default options, as a table or JSON.

use super::{Failure, Global, Op, dim, print_json, report};
use bedrock_host::json;
use bedrock_host::types::{Discovery, DiscoveryOptions, WitName};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn default_options() -> DiscoveryOptions {
    DiscoveryOptions {
        enabled: None,
        region: None,
        provider_filter: Vec::new(),
        refresh_interval: None,
        default_context_window: None,
        default_max_tokens: None,
    }
}

pub async fn run(global: &Global, args: Args) -> ExitCode {
    let host = match global.host() {
        Ok(host) => host,
        Err(error) => return report(Failure::Host(error), args.json, Op::Discover),
    };
    let discovery = match host
        .discover(&global.provider_config(), &default_options())
        .await
    {
        Ok(Ok(discovery)) => discovery,
        Ok(Err(error)) => return report(Failure::Provider(error), args.json, Op::Discover),
        Err(error) => return report(Failure::Host(error), args.json, Op::Discover),
    };
    if args.json {
        print_json(&json::discovery(&discovery));
    } else {
        print_table(&discovery);
    }
    ExitCode::SUCCESS
}

/// The models as an aligned table on stdout, status and warnings on stderr.
pub fn print_table(discovery: &Discovery) {
    let mut rows = vec![[
        "ID".to_string(),
        "PROVIDER".to_string(),
        "CONTEXT".to_string(),
        "MAX OUT".to_string(),
        "INPUT".to_string(),
        "KIND".to_string(),
    ]];
    for m in &discovery.models {
        let input: Vec<&str> = m.input.iter().map(|i| i.wit_name()).collect();
        let mut kind = m.kind.wit_name().to_string();
        if m.reasoning {
            kind.push_str(", reasoning");
        }
        rows.push([
            m.id.clone(),
            m.provider.clone(),
            m.context_window.to_string(),
            m.max_tokens.to_string(),
            input.join("+"),
            kind,
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|col| {
            rows.iter()
                .map(|r| r[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    eprintln!(
        "{}",
        dim(&format!(
            "{} model(s), {}",
            discovery.models.len(),
            discovery.status.wit_name()
        ))
    );
    if let Some(error) = &discovery.refresh_error {
        eprintln!(
            "warning: refresh failed, showing the last good list: {}",
            error.message()
        );
    }
    for warning in &discovery.warnings {
        eprintln!("warning: {warning}");
    }
}
