//! `bedrock-emulator`: the emulator as a standalone server, for the demo and for clients in
//! other languages (boto3, the AWS SDK for JavaScript) that cannot start it in-process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, ensure};
use bedrock_emulator::{Emulator, EmulatorConfig};
use clap::Parser;

/// A local Amazon Bedrock endpoint (ConverseStream, ListFoundationModels,
/// ListInferenceProfiles) on 127.0.0.1, with the credential endpoints the AWS chain uses
/// (IMDSv2, container credentials, STS, the SSO portal) on the same port.
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
    /// Lifetime in seconds of the credentials IMDS, the container endpoint, STS and SSO issue.
    #[arg(long)]
    issued_credentials_ttl: Option<u64>,
    /// Require this exact `Authorization` value on the container credentials endpoint.
    #[arg(long)]
    container_authorization_token: Option<String>,
    /// Answer every IMDS path with 404.
    #[arg(long)]
    imds_disabled: bool,
    /// Seconds the emulator's clock runs ahead of the real one (negative: behind).
    #[arg(long, allow_hyphen_values = true)]
    clock_skew: Option<i64>,
    /// Serve HTTPS (ALPN h2 and http/1.1) under a certificate for localhost, 127.0.0.1
    /// and ::1, signed by a CA generated at start.
    #[arg(long)]
    tls: bool,
    /// Where to write that CA's certificate (PEM), for clients to trust: AWS_CA_BUNDLE,
    /// NODE_EXTRA_CA_CERTS. Default: bedrock-emulator-ca-PORT.pem in the temporary folder.
    #[arg(long, requires = "tls")]
    ca_out: Option<PathBuf>,
    /// Most HTTP/2 streams one connection may have open at once.
    #[arg(long, default_value_t = bedrock_emulator::DEFAULT_HTTP2_MAX_CONCURRENT_STREAMS)]
    http2_max_streams: u32,
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
    if let Some(seconds) = args.issued_credentials_ttl {
        config.issued_credentials_ttl = Duration::from_secs(seconds);
    }
    config.container_authorization_token = args.container_authorization_token;
    config.imds_disabled = args.imds_disabled;
    config.clock_skew = args.clock_skew;
    config.tls = args.tls;
    config.http2_max_concurrent_streams = args.http2_max_streams;

    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    let emulator = Emulator::start_on(config.clone(), addr).await?;
    // Written before the endpoint is announced: whoever reads that line can trust at once.
    let ca_file = match emulator.ca_pem() {
        Some(pem) => {
            let path = args.ca_out.unwrap_or_else(|| {
                std::env::temp_dir().join(format!(
                    "bedrock-emulator-ca-{}.pem",
                    emulator.addr().port()
                ))
            });
            std::fs::write(&path, pem)
                .with_context(|| format!("writing the CA certificate to {}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    println!("bedrock emulator listening on {}", emulator.endpoint());
    if let Some(path) = &ca_file {
        println!(
            "CA certificate (trust it with AWS_CA_BUNDLE or NODE_EXTRA_CA_CERTS): {}",
            path.display()
        );
    }
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
    let imds = if config.imds_disabled {
        "disabled (404)"
    } else {
        "IMDSv2"
    };
    println!("IMDS: {imds}; container credentials: /v2/credentials/ID, /container-credentials");
    for token in &config.sso_access_tokens {
        println!("accepted SSO access token: {token}");
    }
    println!(
        "issued credentials last {} s",
        config.issued_credentials_ttl.as_secs()
    );
    if let Some(skew) = config.clock_skew {
        println!("clock skew: {skew} s");
    }

    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    drop(emulator);
    Ok(())
}
