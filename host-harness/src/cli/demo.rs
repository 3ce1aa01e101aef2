//! `demo`: the newcomer's tour, against a local Bedrock emulator started
//! in-process with the public example credentials from the AWS docs.

use super::chat::{DEFAULT_MODEL, request};
use super::models::{Columns, default_options, status_lines, table};
use super::stream::render;
use super::{Failure, Global, Op, bold, describe, dim_out, outbound_summary, report};
use bedrock_emulator::{Emulator, EmulatorConfig};
use bedrock_host::types::{DiscoveryStatus, ProviderConfig, ProviderError, WitName};
use bedrock_host::{Host, HostConfig};
use std::process::ExitCode;
use std::time::Instant;

/// Models shown in the discovery step.
const SAMPLE_ROWS: usize = 5;

const PROMPT: &str = "In one short paragraph: what is Amazon Bedrock, and why run a provider plugin in a WebAssembly sandbox?";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The prompt of the last step.
    #[arg(long, default_value = PROMPT)]
    prompt: String,
}

fn step(n: u32, title: &str) {
    println!();
    println!("{}", bold(&format!("{n}. {title}")));
}

fn note(text: &str) {
    println!("   {text}");
}

pub async fn run(global: &Global, args: Args) -> ExitCode {
    println!(
        "{}",
        bold("bedrock-host demo: a tour of the sandboxed Amazon Bedrock provider plugin")
    );
    println!(
        "{}",
        dim_out("Everything runs locally: the plugin talks to an emulator, not to AWS.")
    );

    step(1, "Start a local Bedrock emulator");
    let emulator = match Emulator::start(EmulatorConfig::default()).await {
        Ok(emulator) => emulator,
        Err(error) => {
            return report(
                Failure::Host(error.context("starting the emulator")),
                false,
                Op::Converse,
            );
        }
    };
    let endpoint = emulator.endpoint();
    note(&format!("listening on {endpoint}"));
    note(&dim_out(
        "it accepts the public example keys AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    ));

    step(2, "Load the plugin");
    let mut config = HostConfig::new(&global.component);
    config.env = vec![
        ("AWS_ENDPOINT_URL".into(), endpoint.clone()),
        ("AWS_REGION".into(), "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID".into(), "AKIDEXAMPLE".into()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
        ),
    ];
    let started = Instant::now();
    let host = match Host::new(config) {
        Ok(host) => host,
        Err(error) => return report(Failure::Host(error), false, Op::Converse),
    };
    let load_time = started.elapsed();
    let info = match host.info().await {
        Ok(info) => info,
        Err(error) => return report(Failure::Host(error), false, Op::Converse),
    };
    note(&format!(
        "{} {}, compiled and loaded in {:.2} s from {}",
        info.name,
        info.version,
        load_time.as_secs_f64(),
        host.component_path().display()
    ));
    let provider_config = ProviderConfig {
        region: None,
        base_url: None,
        max_attempts: None,
        connect_timeout_ms: None,
        first_byte_timeout_ms: None,
        between_bytes_timeout_ms: None,
    };
    let env: Vec<&str> = host.policy().env_names().collect();
    note(&dim_out(&format!(
        "sandbox: the plugin sees only {}",
        env.join(", ")
    )));
    note(&dim_out(&format!(
        "         and may reach only {}",
        outbound_summary(&host, &provider_config).join(", ")
    )));

    step(3, "Find the credentials");
    match host.credential_source(&provider_config).await {
        Ok(Ok(creds)) => note(&format!(
            "{} ({}), region {}",
            creds.label,
            creds.kind.wit_name(),
            creds.region
        )),
        Ok(Err(error)) => note(&format!(
            "the plugin says: {}",
            describe(&error, Op::Credentials)
        )),
        Err(error) => note(&format!("host error: {error:#}")),
    }

    step(4, "Discover the models");
    match host.discover(&provider_config, &default_options()).await {
        Ok(Ok(discovery)) => {
            // Summary, then the problems; a few rows as the list comes
            // (global and regional profiles first).
            for line in status_lines(&discovery) {
                note(&line);
            }
            let shown = discovery.models.len().min(SAMPLE_ROWS);
            if shown > 0 {
                println!();
                for line in table(&discovery.models[..shown], Columns::Compact) {
                    note(&line);
                }
                if discovery.models.len() > shown {
                    note(&dim_out(&format!(
                        "... and {} more: `bedrock-host models` lists them all",
                        discovery.models.len() - shown
                    )));
                }
            }
            // The point of the host's key-value store: a fresh instance
            // finds the list the previous one cached.
            if let Ok(Ok(again)) = host.discover(&provider_config, &default_options()).await {
                let from = if again.status == DiscoveryStatus::Cached {
                    " (from the host's cache)"
                } else {
                    ""
                };
                println!();
                note(&dim_out(&format!(
                    "asked again, on a fresh instance: {} model(s), {}{from}",
                    again.models.len(),
                    again.status.wit_name()
                )));
            }
        }
        Ok(Err(error @ ProviderError::NotImplemented(_))) => note(&format!(
            "{} (expected for now)",
            describe(&error, Op::Discover)
        )),
        Ok(Err(error)) => note(&format!(
            "the plugin says: {}",
            describe(&error, Op::Discover)
        )),
        Err(error) => note(&format!("host error: {error:#}")),
    }

    step(5, "Stream a reply");
    note(&dim_out(&format!("model {DEFAULT_MODEL}")));
    println!("   > {}", args.prompt);
    println!();
    let request = request(DEFAULT_MODEL, None, &args.prompt);
    let stream = match host.converse_stream(&provider_config, &request).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return report(Failure::Provider(error), false, Op::Converse),
        Err(error) => return report(Failure::Host(error), false, Op::Converse),
    };
    let summary = match render(stream, false).await {
        Ok(summary) => summary,
        Err(failure) => return report(failure, false, Op::Converse),
    };
    println!();
    note(&summary.line());
    drop(emulator);

    if !summary.streamed_text {
        eprintln!("error: the reply carried no text");
        return ExitCode::from(1);
    }
    println!();
    println!("Next: the same against your AWS account, e.g.");
    println!("   bedrock-host whoami");
    println!("   bedrock-host models");
    println!("   bedrock-host chat \"Hello!\"");
    ExitCode::SUCCESS
}
