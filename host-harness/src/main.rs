//! `bedrock-host`: run the sandboxed Bedrock provider plugin from the command
//! line. A thin layer over the `bedrock_host` library; see `cli/`.
//!
//! Exit codes: 0 success, 1 the plugin returned a typed error (or the reply
//! did not stream), 2 a host-side failure (missing component, trap) or bad
//! usage, 130 interrupted.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "bedrock-host",
    version,
    about = "Run the sandboxed Amazon Bedrock provider plugin (a WASI 0.2 component).",
    after_help = "New here? Run `bedrock-host demo`: it needs no AWS account."
)]
struct Cli {
    #[command(flatten)]
    global: cli::Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show which AWS credentials the plugin would use (never the secret).
    Whoami(cli::whoami::Args),
    /// Send one prompt and stream the reply.
    Chat(cli::chat::Args),
    /// List the models the credentials in force can invoke.
    Models(cli::models::Args),
    /// An OpenAI-compatible HTTP endpoint (chat completions, models) on a local port.
    Serve(cli::serve::Args),
    /// A guided tour against a local Bedrock emulator (no AWS account needed).
    #[cfg(feature = "demo")]
    Demo(cli::demo::Args),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Whoami(args) => cli::whoami::run(&cli.global, args).await,
        Command::Chat(args) => cli::chat::run(&cli.global, args).await,
        Command::Models(args) => cli::models::run(&cli.global, args).await,
        Command::Serve(args) => cli::serve::run(&cli.global, args).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => cli::demo::run(&cli.global, args).await,
    }
}
