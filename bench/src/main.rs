//! `bedrock-bench`: one peer per process, one scenario per run, one JSON
//! object on stdout. `bench/run.sh` starts the emulator as a process of its
//! own and runs every peer (these, and the Node and Python ones) against it,
//! so that each peer's CPU and memory are its own process's.

use bedrock_bench::{decode, drive, native, sdk, soak, wasm};
use clap::{Parser, Subcommand};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(name = "bedrock-bench")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The component in the wasmtime host.
    Wasm {
        #[arg(long, default_value_os_t = bedrock_host::HostConfig::default_component_path())]
        component: PathBuf,
        /// Code cache directory (the host's `code_cache`).
        #[arg(long)]
        cache: Option<PathBuf>,
        #[command(subcommand)]
        scenario: Scenario,
    },
    /// bedrock-core compiled natively, over hyper.
    Native {
        #[command(subcommand)]
        scenario: Scenario,
    },
    /// aws-sdk-bedrockruntime.
    Sdk {
        #[command(subcommand)]
        scenario: Scenario,
    },
    /// Event-stream decode throughput over a body captured from the emulator.
    Decode {
        endpoint: String,
        /// Words of the captured reply.
        #[arg(long, default_value_t = 20_000)]
        words: usize,
        /// Bytes to decode in all, per side.
        #[arg(long, default_value_t = 200_000_000)]
        total_bytes: usize,
        /// The decode-bench component; without it, only the native figure.
        #[arg(long)]
        guest: Option<PathBuf>,
    },
    /// The soak test (see `soak.rs`).
    Soak {
        endpoint: String,
        #[arg(long)]
        component: PathBuf,
        #[arg(long)]
        twin: PathBuf,
        #[arg(long)]
        cache: Option<PathBuf>,
        #[arg(long, default_value_t = 10.0)]
        minutes: f64,
        #[arg(long, default_value_t = 1000)]
        streams: usize,
        #[arg(long, default_value_t = 100)]
        words: usize,
        #[arg(long, default_value_t = 10)]
        slow_ms: u64,
        #[arg(long, default_value_t = 60)]
        swap_every_s: u64,
        #[arg(long, default_value_t = 5)]
        rss_every_s: u64,
    },
    /// Prints the length of the scripted reply of N words.
    ReplyLen { words: usize },
}

#[derive(Subcommand, Clone)]
enum Scenario {
    /// Time to first event over RUNS sequential streams on one client.
    Ttfe { endpoint: String, runs: usize },
    /// Time to first event over RUNS sequential streams, a fresh client each.
    TtfeCold { endpoint: String, runs: usize },
    /// One stream of WORDS deltas.
    Throughput { endpoint: String, words: usize },
    /// STREAMS overlapping streams of WORDS deltas, one every SLOW_MS.
    Concurrent {
        endpoint: String,
        streams: usize,
        words: usize,
        slow_ms: u64,
    },
}

impl Scenario {
    fn endpoint(&self) -> &str {
        match self {
            Scenario::Ttfe { endpoint, .. }
            | Scenario::TtfeCold { endpoint, .. }
            | Scenario::Throughput { endpoint, .. }
            | Scenario::Concurrent { endpoint, .. } => endpoint,
        }
    }

    fn streams(&self) -> usize {
        match self {
            Scenario::Concurrent { streams, .. } => *streams,
            _ => 1,
        }
    }

    async fn run(self, peer: impl drive::Peer) -> anyhow::Result<Value> {
        match self {
            Scenario::Ttfe { runs, .. } => drive::ttfe(peer, runs).await,
            Scenario::TtfeCold { runs, .. } => drive::ttfe_cold(peer, runs).await,
            Scenario::Throughput { words, .. } => drive::throughput(peer, words).await,
            Scenario::Concurrent {
                streams,
                words,
                slow_ms,
                ..
            } => drive::concurrent(peer, streams, words, slow_ms).await,
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // As many workers as cores: the same for every Rust peer.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // The scenario runs in a task on the runtime's workers, as a gateway's
    // request handler does (`serve`'s are), not on this thread: a peer's
    // own tasks (a connection's, the host's drivers) then wake their
    // caller as they would in production, on a worker and often the same.
    let report = runtime.block_on(runtime.spawn(async move {
        match args.command {
            Command::Wasm {
                component,
                cache,
                scenario,
            } => {
                let peer =
                    wasm::Wasm::new(&component, scenario.endpoint(), cache, scenario.streams())?;
                scenario.run(peer).await
            }
            Command::Native { scenario } => {
                let peer = native::Native::new(scenario.endpoint())?;
                scenario.run(peer).await
            }
            Command::Sdk { scenario } => {
                let peer = sdk::Sdk::new(scenario.endpoint())?;
                scenario.run(peer).await
            }
            Command::Decode {
                endpoint,
                words,
                total_bytes,
                guest,
            } => {
                let body = decode::capture(&endpoint, words).await?;
                let iterations = total_bytes.div_ceil(body.len()).max(1);
                let mut report = serde_json::json!({ "native": decode::native(&body, iterations) });
                if let Some(guest) = guest {
                    report["guest"] = decode::guest(&guest, body, iterations).await?;
                }
                Ok(report)
            }
            Command::Soak {
                endpoint,
                component,
                twin,
                cache,
                minutes,
                streams,
                words,
                slow_ms,
                swap_every_s,
                rss_every_s,
            } => {
                let soak = soak::Soak {
                    endpoint,
                    component,
                    twin,
                    cache,
                    duration: Duration::from_secs_f64(minutes * 60.0),
                    streams,
                    words,
                    slow_ms,
                    swap_every: Duration::from_secs(swap_every_s),
                    rss_every: Duration::from_secs(rss_every_s),
                };
                soak.run().await
            }
            Command::ReplyLen { words } => Ok(bedrock_emulator::reply_text(words).len().into()),
        }
    }))??;
    println!("{report}");
    Ok(())
}
