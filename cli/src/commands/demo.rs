//! `demo`: the newcomer's tour, against a local Bedrock emulator started
//! in-process with the public example credentials from the AWS docs.

use super::chat::{DEFAULT_MODEL, request, user};
use super::models::{Columns, status_lines, table};
use super::stream::render;
use super::{Failure, Global, Op, bold, describe, dim_out, outbound_summary, print_json, report};
use crate::json;
use bedrock_emulator::{Emulator, EmulatorConfig};
use bedrock_host::types::{DiscoveryOptions, DiscoveryStatus, ProviderConfig, WitName};
use bedrock_host::{CodeSource, Host, HostConfig};
use serde_json::json;
use std::process::ExitCode;
use std::time::Instant;

/// Models shown in the discovery step.
const SAMPLE_ROWS: usize = 5;

const PROMPT: &str = "In one short paragraph: what is Amazon Bedrock, and why run a provider plugin in a WebAssembly sandbox?";

/// The emulator's scripted answer to [`PROMPT`]: a first streamed reply should read as
/// one, where the emulator's default is generated filler words.
const ANSWER: &str = "Amazon Bedrock is AWS's managed service for foundation models: Claude, \
    Llama, Nova, Mistral and others behind one API, billed per token in your own account. \
    Running the provider plugin in a WebAssembly sandbox means the code that signs your \
    requests and parses the model's stream can reach only what the host grants it, one \
    endpoint and the credentials it needs, so a bug or a bad update cannot read your files, \
    open other connections or take the host down.";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The prompt of the last step.
    #[arg(long, default_value = PROMPT)]
    prompt: String,
    /// One JSON object per line instead of the tour's text: one per step
    /// (`{"step":"load",...}`), then the reply's events as `chat --json`
    /// prints them, then `{"step":"done",...}`.
    #[arg(long)]
    json: bool,
}

/// Prints the tour as text, or as one JSON line per step.
struct Tour {
    json: bool,
}

impl Tour {
    fn step(&self, n: u32, title: &str) {
        if !self.json {
            println!();
            println!("{}", bold(&format!("{n}. {title}")));
        }
    }

    fn blank(&self) {
        if !self.json {
            println!();
        }
    }

    fn note(&self, text: &str) {
        if !self.json {
            println!("   {text}");
        }
    }

    /// The outcome of a step, in JSON mode.
    fn record(&self, step: &str, mut value: serde_json::Value) {
        if self.json {
            value["step"] = step.into();
            print_json(&value);
        }
    }
}

pub async fn run(global: &Global, args: Args) -> ExitCode {
    let tour = Tour { json: args.json };
    if !args.json {
        println!(
            "{}",
            bold("bedrock-host demo: a tour of the sandboxed Amazon Bedrock provider plugin")
        );
        println!(
            "{}",
            dim_out("Everything runs locally: the plugin talks to an emulator, not to AWS.")
        );
    }

    tour.step(1, "Start a local Bedrock emulator");
    let emulator = match Emulator::start(EmulatorConfig {
        reply_text: Some(ANSWER.to_owned()),
        ..EmulatorConfig::default()
    })
    .await
    {
        Ok(emulator) => emulator,
        Err(error) => {
            return report(
                Failure::Host(error.context("starting the emulator")),
                args.json,
                Op::Converse,
            );
        }
    };
    let endpoint = emulator.endpoint();
    tour.note(&format!("listening on {endpoint}"));
    tour.record("emulator", json!({ "endpoint": endpoint }));
    tour.note(&dim_out(
        "it accepts the public example keys AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    ));

    tour.step(2, "Load the plugin");
    let component = match global.component_path() {
        Ok(path) => path,
        Err(missing) => return report(Failure::Host(missing.into()), args.json, Op::Converse),
    };
    let mut config = HostConfig::new(component);
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
    let host = match Host::with_progress(config, || {
        tour.note(&dim_out(
            "compiling the plugin with cranelift (once per build: the code is cached)...",
        ))
    }) {
        Ok(host) => host,
        Err(error) => return report(Failure::Host(error), args.json, Op::Converse),
    };
    let load_time = started.elapsed();
    let info = match host.info().await {
        Ok(info) => info,
        Err(error) => return report(Failure::Host(error), args.json, Op::Converse),
    };
    tour.record(
        "load",
        json!({
            "plugin": json::plugin_info(&info),
            "component": host.component_path(),
            "load_ms": load_time.as_secs_f64() * 1000.0,
            "code_source": format!("{:?}", host.code_source()).to_lowercase(),
        }),
    );
    let how = match host.code_source() {
        CodeSource::Compiled => "compiled and loaded",
        CodeSource::Cached => "loaded from the code cache",
    };
    tour.note(&format!(
        "{} {}, {how} in {:.3} s from {}",
        info.name,
        info.version,
        load_time.as_secs_f64(),
        host.component_path().display()
    ));
    let provider_config = ProviderConfig::default();
    let env: Vec<&str> = host.policy().env_names().collect();
    tour.note(&dim_out(&format!(
        "sandbox: the plugin sees only {}",
        env.join(", ")
    )));
    tour.note(&dim_out(&format!(
        "         and may reach only {}",
        outbound_summary(&host, &provider_config).join(", ")
    )));

    tour.step(3, "Find the credentials");
    match host.credential_source(&provider_config).await {
        Ok(Ok(creds)) => {
            tour.record("credentials", json::credential_info(&creds));
            tour.note(&format!(
                "{} ({}), region {}",
                creds.label,
                creds.kind.wit_name(),
                creds.region
            ))
        }
        Ok(Err(error)) => {
            tour.record("credentials", json::error(&error));
            tour.note(&format!(
                "the plugin says: {}",
                describe(&error, Op::Credentials)
            ))
        }
        Err(error) => {
            tour.record("credentials", json::host_error(&error));
            tour.note(&format!("host error: {error:#}"))
        }
    }

    tour.step(4, "Discover the models");
    match host
        .discover(&provider_config, &DiscoveryOptions::default())
        .await
    {
        Ok(Ok(discovery)) => {
            tour.record("discover", json::discovery(&discovery));
            // Summary, then the problems; a few rows as the list comes
            // (global and regional profiles first).
            for line in status_lines(&discovery) {
                tour.note(&line);
            }
            let shown = discovery.models.len().min(SAMPLE_ROWS);
            if shown > 0 {
                tour.blank();
                for line in table(&discovery.models[..shown], Columns::Compact) {
                    tour.note(&line);
                }
                if discovery.models.len() > shown {
                    tour.note(&dim_out(&format!(
                        "... and {} more: `bedrock-host models` lists them all",
                        discovery.models.len() - shown
                    )));
                }
            }
            // The point of the host's key-value store: a fresh instance
            // finds the list the previous one cached.
            if let Ok(Ok(again)) = host
                .discover(&provider_config, &DiscoveryOptions::default())
                .await
            {
                let from = if again.status == DiscoveryStatus::Cached {
                    " (from the host's cache)"
                } else {
                    ""
                };
                tour.blank();
                tour.note(&dim_out(&format!(
                    "asked again, on a fresh instance: {} model(s), {}{from}",
                    again.models.len(),
                    again.status.wit_name()
                )));
            }
        }
        Ok(Err(error)) => {
            tour.record("discover", json::error(&error));
            tour.note(&format!(
                "the plugin says: {}",
                describe(&error, Op::Discover)
            ))
        }
        Err(error) => {
            tour.record("discover", json::host_error(&error));
            tour.note(&format!("host error: {error:#}"))
        }
    }

    tour.step(5, "Stream a reply");
    tour.note(&dim_out(&format!("model {DEFAULT_MODEL}")));
    tour.note(&format!("> {}", args.prompt));
    tour.blank();
    let request = request(DEFAULT_MODEL, None, vec![user(&args.prompt)]);
    let stream = match host.converse_stream(&provider_config, &request).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return report(Failure::Provider(error), args.json, Op::Converse),
        Err(error) => return report(Failure::Host(error), args.json, Op::Converse),
    };
    let summary = match render(stream, args.json).await {
        Ok(summary) => summary,
        Err(failure) => return report(failure, args.json, Op::Converse),
    };
    tour.blank();
    tour.note(&summary.line());
    tour.record(
        "done",
        json!({ "summary": summary.line(), "streamed_text": summary.streamed_text }),
    );
    drop(emulator);

    if !summary.streamed_text {
        eprintln!("error: the reply carried no text");
        return ExitCode::from(1);
    }
    if !args.json {
        println!();
        println!("Next: the same against your AWS account, e.g.");
        println!("   bedrock-host whoami");
        println!("   bedrock-host models");
        println!("   bedrock-host chat \"Hello!\"");
        println!("   bedrock-host chat --interactive");
        println!("   bedrock-host serve   (an OpenAI-compatible endpoint on 127.0.0.1)");
    }
    ExitCode::SUCCESS
}
