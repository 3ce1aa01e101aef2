//! `chat`: one prompt, or a conversation with `--interactive`, the replies
//! streamed live.

use super::stream::render;
use super::{Failure, Global, Op, bold_err, dim, report};
use bedrock_host::Host;
use bedrock_host::types::{ContentBlock, ConverseRequest, Message, Role};
use std::io::{BufRead, IsTerminal, Read};
use std::process::ExitCode;

/// Claude Sonnet 4.5 through its global cross-region inference profile: a current model
/// that a new account can call (Claude 3.5 Sonnet is legacy), and Sonnet 4.5 is served
/// only through inference profiles. The global profile is the one callable from every
/// commercial source region, where `us.`/`eu.` profiles work only from their geography.
pub const DEFAULT_MODEL: &str = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model id, inference profile id or ARN.
    #[arg(long, value_name = "ID", default_value = DEFAULT_MODEL)]
    model: String,
    /// System prompt.
    #[arg(long, value_name = "TEXT")]
    system: Option<String>,
    /// Output token limit.
    #[arg(long, value_name = "N")]
    max_tokens: Option<u32>,
    /// Sampling temperature.
    #[arg(long, value_name = "T")]
    temperature: Option<f32>,
    /// Print one JSON object per event per line, e.g.
    /// {"type":"text-delta","index":0,"text":"..."} (shapes: see the json module).
    #[arg(long)]
    json: bool,
    /// Keep a conversation going: read one user turn per line from stdin
    /// (the prompt, if given, is the first), each reply part of the history.
    #[arg(long, short)]
    interactive: bool,
    /// The prompt (default: read from stdin).
    prompt: Option<String>,
}

impl Args {
    fn request(&self, messages: Vec<Message>) -> ConverseRequest {
        let mut request = request(&self.model, self.system.clone(), messages);
        request.max_tokens = self.max_tokens;
        request.temperature = self.temperature;
        request
    }
}

/// A request with the CLI's defaults.
pub fn request(model: &str, system: Option<String>, messages: Vec<Message>) -> ConverseRequest {
    ConverseRequest {
        model_id: model.to_string(),
        system,
        messages,
        ..Default::default()
    }
}

pub async fn run(global: &Global, args: Args) -> ExitCode {
    let host = match global.host() {
        Ok(host) => host,
        Err(error) => return report(Failure::Host(error), args.json, Op::Converse),
    };
    let _watch = global.watch(&host);
    if args.interactive {
        return interactive(global, &host, &args).await;
    }
    let prompt = match args.prompt.clone() {
        Some(prompt) => prompt,
        None if !std::io::stdin().is_terminal() => {
            let mut prompt = String::new();
            if let Err(error) = std::io::stdin().read_to_string(&mut prompt) {
                let error = anyhow::Error::from(error).context("reading the prompt from stdin");
                return report(Failure::Host(error), args.json, Op::Converse);
            }
            prompt
        }
        None => String::new(),
    };
    if prompt.trim().is_empty() {
        eprintln!("error: no prompt: give one as an argument or on stdin, or use --interactive");
        return ExitCode::from(2);
    }
    let mut request = args.request(Vec::new());
    request.messages.push(user(prompt.trim_end()));
    match turn(global, &host, &request, args.json).await {
        Ok(_) => ExitCode::SUCCESS,
        Err(failure) => report(failure, args.json, Op::Converse),
    }
}

/// A conversation on the terminal: each line is a user turn, the history
/// (the assistant's thinking and tool calls included) goes with every
/// request. A failed turn is reported and left out of the history.
async fn interactive(global: &Global, host: &Host, args: &Args) -> ExitCode {
    let mut history: Vec<Message> = Vec::new();
    if let Some(prompt) = &args.prompt {
        history.push(user(prompt));
    }
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal && !args.json {
        eprintln!(
            "{}",
            dim("Type a message and press Enter; Ctrl-D or /exit ends the conversation.")
        );
    }
    loop {
        if history.last().is_none_or(|m| m.role == Role::Assistant) {
            if terminal {
                eprint!("{}", bold_err("you> "));
            }
            let mut line = String::new();
            match stdin.lock().read_line(&mut line) {
                Ok(0) => return ExitCode::SUCCESS,
                Ok(_) => {}
                Err(error) => {
                    let error = anyhow::Error::from(error).context("reading stdin");
                    return report(Failure::Host(error), args.json, Op::Converse);
                }
            }
            let line = line.trim();
            match line {
                "" => continue,
                "/exit" | "/quit" => return ExitCode::SUCCESS,
                _ => history.push(user(line)),
            }
        }
        let request = args.request(history.clone());
        match turn(global, host, &request, args.json).await {
            Ok(reply) => history.extend(reply),
            Err(Failure::Interrupted) => {
                return report(Failure::Interrupted, args.json, Op::Converse);
            }
            Err(failure) => {
                report(failure, args.json, Op::Converse);
                history.pop();
            }
        }
    }
}

/// Streams one reply; returns it as an assistant message for the history.
async fn turn(
    global: &Global,
    host: &Host,
    request: &ConverseRequest,
    json: bool,
) -> Result<Option<Message>, Failure> {
    let stream = match host
        .converse_stream(&global.provider_config(), request)
        .await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return Err(Failure::Provider(error)),
        Err(error) => return Err(Failure::Host(error)),
    };
    let summary = render(stream, json).await?;
    if !json {
        // The stop reason's raw text is the plugin's.
        eprintln!(
            "{}",
            dim(&bedrock_host::terminal::sanitize(&summary.line()))
        );
    }
    Ok(summary.transcript.into_message())
}

/// A user turn of one text block.
pub fn user(text: &str) -> Message {
    Message {
        role: Role::User,
        content: vec![ContentBlock::Text(text.to_string())],
    }
}
