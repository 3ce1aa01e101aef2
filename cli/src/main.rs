//! `bedrock-host`: run the sandboxed Bedrock provider plugin from the command
//! line. A thin layer over the `bedrock_host` library; see `commands/`.
//!
//! Exit codes: 0 success, 1 the plugin returned a typed error (or the reply
//! did not stream), 2 a host-side failure (missing component, trap) or bad
//! usage, 130 interrupted.

mod commands;
mod component;
mod json;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "bedrock-host",
    version,
    about = "Run the sandboxed Amazon Bedrock provider plugin (a WASI 0.2 component).",
    after_help = "New here? Run `bedrock-host demo`: it needs no AWS account.\n\n\
Examples:\n  \
bedrock-host whoami                      which credentials, region and sandbox are in force\n  \
bedrock-host models --json               the gateway's provider block, ready to paste\n  \
bedrock-host models --gateway-config serve   the gateway's config for a provider calling `serve`\n  \
bedrock-host chat \"Hello\"                one reply, streamed\n  \
bedrock-host chat -i --watch             a conversation; new plugin builds are picked up\n  \
bedrock-host serve --port 8080           an OpenAI-compatible endpoint on 127.0.0.1"
)]
struct Cli {
    #[command(flatten)]
    global: commands::Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show which AWS credentials the plugin would use (never the secret).
    Whoami(commands::whoami::Args),
    /// Send one prompt and stream the reply, or hold a conversation (--interactive).
    Chat(commands::chat::Args),
    /// List the models the credentials in force can invoke.
    Models(commands::models::Args),
    /// An OpenAI- and Anthropic-compatible HTTP endpoint (chat completions, messages, models) on a local port.
    Serve(commands::serve::Args),
    /// A guided tour against a local Bedrock emulator (no AWS account needed).
    #[cfg(feature = "demo")]
    Demo(commands::demo::Args),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        die_quietly_on_closed_stdout();
    }
    match cli.command {
        Command::Whoami(args) => commands::whoami::run(&cli.global, args).await,
        Command::Chat(args) => commands::chat::run(&cli.global, args).await,
        Command::Models(args) => commands::models::run(&cli.global, args).await,
        Command::Serve(args) => commands::serve::run(&cli.global, args).await,
        #[cfg(feature = "demo")]
        Command::Demo(args) => commands::demo::run(&cli.global, args).await,
    }
}

/// Like other Unix tools, end quietly when the reader of stdout goes away
/// (`bedrock-host models | head`) instead of panicking on the next write.
/// Not for `serve`: a server must outlive its clients' closed sockets.
fn die_quietly_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: sets the process's SIGPIPE disposition back to the default;
    // the short-lived commands write only to stdout/stderr and to sockets,
    // which Rust's and mio's writes already send with MSG_NOSIGNAL on Linux.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
