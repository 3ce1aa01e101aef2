//! `bedrock-emulator`: the emulator as a standalone server, for the demo and for clients in
//! other languages (boto3, the AWS SDK for JavaScript) that cannot start it in-process.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, ensure};
use bedrock_emulator::{Emulator, EmulatorConfig};
use clap::Parser;

/// A local Amazon Bedrock endpoint (ConverseStream, ListFoundationModels,
/// ListInferenceProfiles) on 127.0.0.1.
#[derive(Parser)]
#[command(name = "bedrock-emulator", version)]
struct Args {
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Region SigV4 signatures must be scoped to.
    #[arg(long)]
    region: Option<String>,
    /// Folder of recorded `NAME.chunks.txt` streams for `[emulator replay=NAME]`.
    #[arg(long)]
    vectors: Option<PathBuf>,
    /// Words in the default scripted reply.
    #[arg(long)]
    words: Option<usize>,
    /// Refuse ListInferenceProfiles (AccessDeniedException), as for a principal whose
    /// policy lacks `bedrock:ListInferenceProfiles`.
    #[arg(long)]
    deny_inference_profiles: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = EmulatorConfig::default();
    if let Some(region) = args.region {
        config.region = region;
    }
    if let Some(dir) = args.vectors {
        ensure!(dir.is_dir(), "--vectors {}: not a directory", dir.display());
        config.vectors_dir = Some(dir);
    }
    if let Some(words) = args.words {
        config.reply_words = words;
    }
    config.deny_inference_profiles = args.deny_inference_profiles;

    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let emulator = Emulator::start_on(config.clone(), addr).await?;
    println!("bedrock emulator listening on {}", emulator.endpoint());
    println!("region: {}", config.region);
    for key in &config.credentials {
        let token = if key.session_token.is_some() {
            " (with its session token)"
        } else {
            ""
        };
        println!("accepted SigV4 access key id: {}{token}", key.access_key_id);
    }
    for token in &config.bearer_tokens {
        println!("accepted bearer token (Bedrock API key): {token}");
    }
    match &config.vectors_dir {
        Some(dir) => println!("replay vectors: {}", dir.display()),
        None => println!("replay vectors: none"),
    }
    if config.deny_inference_profiles {
        println!("ListInferenceProfiles: denied (AccessDeniedException)");
    }

    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    drop(emulator);
    Ok(())
}
