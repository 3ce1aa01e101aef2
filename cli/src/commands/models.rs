//! `models`: discovery, as a table or as the gateway's configuration
//! ([`gateway_config`](super::gateway_config)).

use super::gateway_config::{
    NATIVE_PROVIDER_ID, SERVE_PROVIDER_ID, ServeApi, Target, document, provider_block,
    runtime_endpoint, serve_block,
};
use super::{Failure, Global, Op, describe, dim, format_utc, print_json_pretty, report};
use bedrock_host::terminal::sanitize;
use bedrock_host::types::{Discovery, DiscoveryOptions, DiscoveryStatus, ModelDefinition, WitName};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the gateway's provider block (`baseUrl`, `api`, `auth`, `models`),
    /// ready to paste under `models.providers` in its config, instead of a table.
    #[arg(long)]
    json: bool,
    /// Print a JSON document rooted at `models.providers.<id>`, ready to
    /// merge into the gateway's config: its native Bedrock provider
    /// (`amazon-bedrock`), or a provider entry calling `bedrock-host serve`
    /// (`bedrock-serve`; see --serve-url and --serve-api).
    #[arg(long, value_name = "TARGET", value_enum)]
    gateway_config: Option<Target>,
    /// The provider id the document uses (default amazon-bedrock for
    /// native, bedrock-serve for serve).
    #[arg(long, value_name = "ID", requires = "gateway_config")]
    provider_id: Option<String>,
    /// Where `bedrock-host serve` listens, for --gateway-config serve.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080")]
    serve_url: String,
    /// Which of serve's APIs the gateway calls, for --gateway-config serve.
    #[arg(long, value_name = "API", value_enum, default_value_t = ServeApi::OpenaiCompletions)]
    serve_api: ServeApi,
    /// Keep only this provider's models, e.g. anthropic, meta, "Mistral AI"
    /// (case-insensitive; repeatable or comma-separated; the gateway's
    /// `providerFilter`).
    #[arg(
        long = "provider-filter",
        visible_alias = "provider",
        value_name = "NAME",
        value_delimiter = ','
    )]
    providers: Vec<String>,
    /// Seconds the plugin may reuse a discovery result (default 3600; 0 always
    /// asks Bedrock; the gateway's `refreshInterval`).
    #[arg(long, value_name = "SECS")]
    refresh_interval: Option<u32>,
    /// Context window of a model the plugin has no figure for (default
    /// 32000; the gateway's `defaultContextWindow`).
    #[arg(long, value_name = "TOKENS")]
    default_context_window: Option<u32>,
    /// Output limit of a model the plugin has no figure for (default 4096;
    /// the gateway's `defaultMaxTokens`).
    #[arg(long, value_name = "TOKENS")]
    default_max_tokens: Option<u32>,
}

impl Args {
    /// Whether stdout carries JSON (errors are then JSON too).
    fn prints_json(&self) -> bool {
        self.json || self.gateway_config.is_some()
    }

    /// The gateway's `models.bedrockDiscovery` options these flags set.
    fn discovery_options(&self) -> DiscoveryOptions {
        DiscoveryOptions {
            // Asked for explicitly: missing credentials are an error that says
            // what to set, not an empty "disabled" list.
            enabled: Some(true),
            provider_filter: self.providers.clone(),
            refresh_interval: self.refresh_interval,
            default_context_window: self.default_context_window,
            default_max_tokens: self.default_max_tokens,
            ..Default::default()
        }
    }
}

pub async fn run(global: &Global, args: Args) -> ExitCode {
    let json_out = args.prints_json();
    let host = match global.host() {
        Ok(host) => host,
        Err(error) => return report(Failure::Host(error), json_out, Op::Discover),
    };
    let config = global.provider_config();
    let discovery = match host.discover(&config, &args.discovery_options()).await {
        Ok(Ok(discovery)) => discovery,
        Ok(Err(error)) => return report(Failure::Provider(error), json_out, Op::Discover),
        Err(error) => return report(Failure::Host(error), json_out, Op::Discover),
    };
    match args.gateway_config {
        Some(Target::Native) => {
            let block = provider_block(&discovery, runtime_endpoint(&host, &config).await);
            let id = args.provider_id.as_deref().unwrap_or(NATIVE_PROVIDER_ID);
            print_json_pretty(&document(id, &block));
        }
        Some(Target::Serve) => {
            let block = serve_block(&discovery, &args.serve_url, args.serve_api);
            let id = args.provider_id.as_deref().unwrap_or(SERVE_PROVIDER_ID);
            print_json_pretty(&document(id, &block));
        }
        None if args.json => {
            let base_url = runtime_endpoint(&host, &config).await;
            print_json_pretty(&provider_block(&discovery, base_url));
        }
        None => {
            // Model names and ids come from the plugin: no escape sequences.
            for line in table(&discovery.models, Columns::All) {
                println!("{}", sanitize(&line));
            }
        }
    }
    if discovery.models.is_empty() && !args.providers.is_empty() {
        eprintln!(
            "warning: no model matched --provider-filter {}: check the names (e.g. anthropic, meta, amazon)",
            args.providers.join(",")
        );
    }
    let mut lines = status_lines(&discovery).into_iter();
    if let Some(summary) = lines.next() {
        eprintln!("{}", dim(&sanitize(&summary)));
    }
    for line in lines {
        eprintln!("{}", sanitize(&line));
    }
    ExitCode::SUCCESS
}

/// Which columns [`table`] shows.
#[derive(Clone, Copy, PartialEq)]
pub enum Columns {
    All,
    /// Without the name and kind, for the demo's narrower sample.
    #[cfg_attr(not(feature = "demo"), allow(dead_code))]
    Compact,
}

/// The models as aligned lines: a header, then one row per model.
pub fn table(models: &[ModelDefinition], columns: Columns) -> Vec<String> {
    let header = [
        "ID",
        "NAME",
        "KIND",
        "CONTEXT",
        "MAX OUT",
        "REASONING",
        "INPUT",
        "$/1M IN/OUT",
    ];
    let mut rows = vec![header.map(str::to_string)];
    rows.extend(models.iter().map(|m| {
        let input: Vec<&str> = m.input.iter().map(|i| i.wit_name()).collect();
        [
            m.id.clone(),
            m.name.clone(),
            m.kind.wit_name().to_string(),
            m.context_window.to_string(),
            m.max_tokens.to_string(),
            if m.reasoning { "yes" } else { "-" }.to_string(),
            input.join("+"),
            prices(m.cost.input, m.cost.output),
        ]
    }));
    let shown: Vec<usize> = (0..header.len())
        .filter(|&col| columns == Columns::All || !matches!(header[col], "NAME" | "KIND"))
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|col| {
            rows.iter()
                .map(|r| r[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = shown
                .iter()
                .map(|&col| format!("{:<width$}", row[col], width = widths[col]))
                .collect();
            cells.join("  ").trim_end().to_string()
        })
        .collect()
}

/// `$3.00/$15.00`, or `-` when the plugin knows no price (both zero).
fn prices(input: f64, output: f64) -> String {
    if input == 0.0 && output == 0.0 {
        return "-".to_string();
    }
    format!("${}/${}", dollars(input), dollars(output))
}

/// Cents always, and sub-cent prices down to a hundredth of a cent
/// (`0.035`, `0.0002`), without trailing zeros beyond the cents.
fn dollars(amount: f64) -> String {
    let mut text = format!("{amount:.4}");
    while text.ends_with('0') && text.len() - text.find('.').unwrap_or(0) > 3 {
        text.pop();
    }
    text
}

/// What to say besides the models: first a summary (`12 model(s), fresh`),
/// then one line per problem (the refresh error when stale, the warnings).
pub fn status_lines(discovery: &Discovery) -> Vec<String> {
    let mut summary = format!(
        "{} model(s), {}",
        discovery.models.len(),
        discovery.status.wit_name()
    );
    match discovery.status {
        DiscoveryStatus::Cached | DiscoveryStatus::Stale => {
            summary.push_str(&format!(", fetched {}", format_utc(discovery.fetched_at)));
        }
        DiscoveryStatus::Disabled => {
            summary.push_str(" (no credential source found; discovery is off unless enabled)");
        }
        DiscoveryStatus::Fresh => {}
    }
    let mut lines = vec![summary];
    if let Some(error) = &discovery.refresh_error {
        lines.push(format!(
            "warning: the refresh failed, this is the last good list: {}",
            describe(error, Op::Discover)
        ));
    } else if discovery.status == DiscoveryStatus::Stale {
        lines.push("warning: the refresh failed, this is the last good list".to_string());
    }
    lines.extend(discovery.warnings.iter().map(|w| format!("warning: {w}")));
    lines
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bedrock_host::types::{InputModality, ModelCost, ModelKind, ProviderError};

    /// A Claude-like model with `input`, for the tests of the model list's renderings.
    pub(crate) fn model(id: &str, input: Vec<InputModality>) -> ModelDefinition {
        ModelDefinition {
            id: id.into(),
            name: format!("{id} name"),
            provider: "Anthropic".into(),
            reasoning: true,
            input,
            cost: ModelCost {
                input: 3.0,
                output: 15.0,
                cache_read: 0.3,
                cache_write: 3.75,
            },
            context_window: 200_000,
            max_tokens: 8192,
            kind: ModelKind::SystemProfile,
            base_model_id: Some("anthropic.x".into()),
        }
    }

    pub(crate) fn discovery(status: DiscoveryStatus, models: Vec<ModelDefinition>) -> Discovery {
        Discovery {
            status,
            models,
            warnings: Vec::new(),
            refresh_error: None,
            fetched_at: 1_718_891_100,
        }
    }

    #[test]
    fn table_aligns_columns() {
        let models = [
            model(
                "global.anthropic.x",
                vec![InputModality::Text, InputModality::Image],
            ),
            model("a", vec![InputModality::Text]),
        ];
        let lines = table(&models, Columns::All);
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].starts_with("ID                  NAME"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains(
                "  system-profile  200000   8192     yes        text+image  $3.00/$15.00"
            ),
            "{}",
            lines[1]
        );
        let price_column = lines[0].find("$/1M").unwrap();
        assert_eq!(lines[2].find("$3.00"), Some(price_column));
        let compact = table(&models, Columns::Compact);
        assert_eq!(
            compact[0],
            "ID                  CONTEXT  MAX OUT  REASONING  INPUT       $/1M IN/OUT"
        );
        assert_eq!(
            compact[2],
            "a                   200000   8192     yes        text        $3.00/$15.00"
        );
    }

    #[test]
    fn flags_are_the_gateways_discovery_options() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            args: Args,
        }
        let parse = |argv: &[&str]| {
            <Cli as clap::Parser>::try_parse_from([&["models"], argv].concat()).map(|c| c.args)
        };
        let args = parse(&[
            "--provider-filter",
            "anthropic,Mistral AI",
            "--provider",
            "meta",
            "--refresh-interval",
            "0",
            "--default-context-window",
            "50000",
            "--default-max-tokens",
            "2048",
            "--gateway-config",
            "serve",
            "--serve-api",
            "anthropic-messages",
        ])
        .unwrap();
        let options = args.discovery_options();
        assert_eq!(options.enabled, Some(true));
        assert_eq!(options.provider_filter, ["anthropic", "Mistral AI", "meta"]);
        assert_eq!(options.refresh_interval, Some(0));
        assert_eq!(options.default_context_window, Some(50_000));
        assert_eq!(options.default_max_tokens, Some(2048));
        assert_eq!(args.gateway_config, Some(Target::Serve));
        assert_eq!(args.serve_api, ServeApi::AnthropicMessages);
        assert!(args.prints_json());
        assert!(parse(&["--gateway-config", "elsewhere"]).is_err());
        assert!(
            parse(&["--provider-id", "x"]).is_err(),
            "only with --gateway-config"
        );
    }

    #[test]
    fn prices_are_per_million_tokens() {
        assert_eq!(prices(0.0, 0.0), "-");
        assert_eq!(prices(3.0, 15.0), "$3.00/$15.00");
        assert_eq!(prices(0.035, 0.14), "$0.035/$0.14");
        assert_eq!(prices(0.00025, 0.0), "$0.0003/$0.00");
    }

    #[test]
    fn status_says_what_is_stale_and_why() {
        assert_eq!(
            status_lines(&discovery(DiscoveryStatus::Fresh, vec![])),
            ["0 model(s), fresh"]
        );
        let mut stale = discovery(DiscoveryStatus::Stale, vec![model("a", vec![])]);
        stale.refresh_error = Some(ProviderError::Network("connection refused".into()));
        stale.warnings = vec!["no permission for bedrock:ListInferenceProfiles".into()];
        let lines = status_lines(&stale);
        assert_eq!(
            lines[0],
            "1 model(s), stale, fetched 2024-06-20 13:45:00 UTC"
        );
        assert!(
            lines[1].starts_with("warning: the refresh failed"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("connection refused"), "{}", lines[1]);
        assert_eq!(
            lines[2],
            "warning: no permission for bedrock:ListInferenceProfiles"
        );
    }
}
