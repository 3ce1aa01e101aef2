//! `chat`: one prompt, the reply streamed live.

use super::stream::render;
use super::{Failure, Global, Op, dim, report};
use bedrock_host::types::{ContentBlock, ConverseRequest, Message, Role};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

pub const DEFAULT_MODEL: &str = "anthropic.claude-3-5-sonnet-20240620-v1:0";

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
    /// {"type":"text-delta","index":0,"text":"..."} (shapes: see bedrock_host::json).
    #[arg(long)]
    json: bool,
    /// The prompt (default: read from stdin).
    prompt: Option<String>,
}

/// A one-message user turn.
pub fn request(model: &str, system: Option<String>, prompt: &str) -> ConverseRequest {
    ConverseRequest {
        model_id: model.to_string(),
        system,
        messages: vec![Message {
            role: Role::User,
            content: vec![ContentBlock::Text(prompt.to_string())],
        }],
        tools: Vec::new(),
        tool_choice: None,
        max_tokens: None,
        temperature: None,
        top_p: None,
        stop_sequences: Vec::new(),
        reasoning: None,
        cache_retention: None,
        bedrock: None,
    }
}

pub async fn run(global: &Global, args: Args) -> ExitCode {
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
        eprintln!("error: no prompt: give one as an argument or on stdin");
        return ExitCode::from(2);
    }
    let mut request = request(&args.model, args.system.clone(), prompt.trim_end());
    request.max_tokens = args.max_tokens;
    request.temperature = args.temperature;

    let host = match global.host() {
        Ok(host) => host,
        Err(error) => return report(Failure::Host(error), args.json, Op::Converse),
    };
    let stream = match host
        .converse_stream(&global.provider_config(), &request)
        .await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => return report(Failure::Provider(error), args.json, Op::Converse),
        Err(error) => return report(Failure::Host(error), args.json, Op::Converse),
    };
    match render(stream, args.json).await {
        Ok(summary) => {
            if !args.json {
                eprintln!("{}", dim(&summary.line()));
            }
            ExitCode::SUCCESS
        }
        Err(failure) => report(failure, args.json, Op::Converse),
    }
}
