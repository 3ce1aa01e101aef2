//! `models`: discovery, as a table or as the gateway's provider block.

use super::{Failure, Global, Op, describe, dim, format_utc, print_json_pretty, report};
use bedrock_host::Host;
use bedrock_host::terminal::sanitize;
use bedrock_host::types::{
    Discovery, DiscoveryOptions, DiscoveryStatus, InputModality, ModelDefinition, ProviderConfig,
    WitName,
};
use serde::Serialize;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print the gateway's provider block (`baseUrl`, `api`, `auth`, `models`),
    /// ready to paste under `models.providers` in its config, instead of a table.
    #[arg(long)]
    json: bool,
    /// Keep only this provider's models, e.g. anthropic, meta, "Mistral AI"
    /// (case-insensitive; repeatable or comma-separated).
    #[arg(long = "provider", value_name = "NAME", value_delimiter = ',')]
    providers: Vec<String>,
    /// Seconds the plugin may reuse a discovery result (default 3600; 0 always
    /// asks Bedrock).
    #[arg(long, value_name = "SECS")]
    refresh_interval: Option<u32>,
}

pub async fn run(global: &Global, args: Args) -> ExitCode {
    let host = match global.host() {
        Ok(host) => host,
        Err(error) => return report(Failure::Host(error), args.json, Op::Discover),
    };
    let config = global.provider_config();
    let options = DiscoveryOptions {
        // Asked for explicitly: missing credentials are an error that says
        // what to set, not an empty "disabled" list.
        enabled: Some(true),
        provider_filter: args.providers.clone(),
        refresh_interval: args.refresh_interval,
        ..Default::default()
    };
    let discovery = match host.discover(&config, &options).await {
        Ok(Ok(discovery)) => discovery,
        Ok(Err(error)) => return report(Failure::Provider(error), args.json, Op::Discover),
        Err(error) => return report(Failure::Host(error), args.json, Op::Discover),
    };
    if args.json {
        let base_url = runtime_endpoint(&host, &config).await;
        print_json_pretty(&provider_block(&discovery, base_url));
    } else {
        // Model names and ids come from the plugin: no escape sequences.
        for line in table(&discovery.models, Columns::All) {
            println!("{}", sanitize(&line));
        }
    }
    if discovery.models.is_empty() && !args.providers.is_empty() {
        eprintln!(
            "warning: no model matched --provider {}: check the names (e.g. anthropic, meta, amazon)",
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

/// The gateway's provider block for Bedrock (`models.providers.<name>` in its
/// config). Keys and their order are the gateway's.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderBlock<'a> {
    base_url: String,
    api: &'static str,
    auth: &'static str,
    models: Vec<GatewayModel<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GatewayModel<'a> {
    id: &'a str,
    name: &'a str,
    reasoning: bool,
    input: Vec<&'static str>,
    cost: GatewayCost,
    context_window: u32,
    max_tokens: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GatewayCost {
    input: f64,
    output: f64,
    cache_read: f64,
    cache_write: f64,
}

/// The provider block for `discovery`'s models, calling `base_url`.
///
/// `input` keeps only `text` and `image`: the gateway's model shape knows no
/// other modality, and what the model also reads (documents) travels as text
/// or is not sent by the gateway at all.
pub fn provider_block(discovery: &Discovery, base_url: String) -> ProviderBlock<'_> {
    let models = discovery
        .models
        .iter()
        .map(|m| GatewayModel {
            id: &m.id,
            name: &m.name,
            reasoning: m.reasoning,
            input: m
                .input
                .iter()
                .filter(|i| matches!(i, InputModality::Text | InputModality::Image))
                .map(|i| i.wit_name())
                .collect(),
            cost: GatewayCost {
                input: m.cost.input,
                output: m.cost.output,
                cache_read: m.cost.cache_read,
                cache_write: m.cost.cache_write,
            },
            context_window: m.context_window,
            max_tokens: m.max_tokens,
        })
        .collect();
    ProviderBlock {
        base_url,
        api: "bedrock-converse-stream",
        auth: "aws-sdk",
        models,
    }
}

/// The `bedrock-runtime` endpoint calls go to, as the plugin picks it (see
/// [`Runtime::of`]); the region in force when no endpoint is configured comes
/// from the plugin when neither `--region` nor the environment names one (it
/// reads the profile's `region`).
async fn runtime_endpoint(host: &Host, config: &ProviderConfig) -> String {
    let region = match Runtime::of(host.policy().env(), config) {
        Runtime::Url(url) => return url,
        Runtime::Region(Some(region)) => region,
        Runtime::Region(None) => match host.credential_source(config).await {
            Ok(Ok(info)) => info.region,
            _ => "us-east-1".to_string(),
        },
    };
    aws_runtime_endpoint(&region)
}

/// Where runtime calls go, as far as the options and the environment the
/// plugin sees tell.
#[derive(Debug, PartialEq)]
enum Runtime {
    /// An endpoint override.
    Url(String),
    /// AWS's own endpoint, in this region if named.
    Region(Option<String>),
}

impl Runtime {
    /// The explicit base URL (`--endpoint`), else
    /// `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`, then `AWS_ENDPOINT_URL` (unless
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`); else the region:
    /// `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`. Blank values count as
    /// unset, as in the plugin.
    fn of(env: &[(String, String)], config: &ProviderConfig) -> Runtime {
        let var = |name: &str| {
            env.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let given = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let ignore_env = var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let configured = if ignore_env {
            None
        } else {
            var("AWS_ENDPOINT_URL_BEDROCK_RUNTIME").or_else(|| var("AWS_ENDPOINT_URL"))
        };
        match given(&config.base_url).or(configured) {
            Some(url) => Runtime::Url(url),
            None => Runtime::Region(
                given(&config.region)
                    .or_else(|| var("AWS_REGION"))
                    .or_else(|| var("AWS_DEFAULT_REGION")),
            ),
        }
    }
}

/// `https://bedrock-runtime.{region}.amazonaws.com` (`.com.cn` in China).
fn aws_runtime_endpoint(region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://bedrock-runtime.{region}.{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_host::types::{ModelCost, ModelKind, ProviderError};

    fn model(id: &str, input: Vec<InputModality>) -> ModelDefinition {
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

    fn discovery(status: DiscoveryStatus, models: Vec<ModelDefinition>) -> Discovery {
        Discovery {
            status,
            models,
            warnings: Vec::new(),
            refresh_error: None,
            fetched_at: 1_718_891_100,
        }
    }

    #[test]
    fn provider_block_has_the_gateway_shape() {
        let found = discovery(
            DiscoveryStatus::Fresh,
            vec![model(
                "us.anthropic.x",
                vec![
                    InputModality::Text,
                    InputModality::Image,
                    InputModality::Document,
                ],
            )],
        );
        let block = provider_block(
            &found,
            "https://bedrock-runtime.us-east-1.amazonaws.com".into(),
        );
        let text = serde_json::to_string(&block).unwrap();
        assert_eq!(
            text,
            concat!(
                r#"{"baseUrl":"https://bedrock-runtime.us-east-1.amazonaws.com","#,
                r#""api":"bedrock-converse-stream","auth":"aws-sdk","models":[{"#,
                r#""id":"us.anthropic.x","name":"us.anthropic.x name","reasoning":true,"#,
                r#""input":["text","image"],"#,
                r#""cost":{"input":3.0,"output":15.0,"cacheRead":0.3,"cacheWrite":3.75},"#,
                r#""contextWindow":200000,"maxTokens":8192}]}"#
            )
        );
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

    #[test]
    fn runtime_endpoint_precedence() {
        let env = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let config = |base_url: Option<&str>, region: Option<&str>| ProviderConfig {
            region: region.map(Into::into),
            base_url: base_url.map(Into::into),
            ..Default::default()
        };
        let overrides = env(&[
            ("AWS_ENDPOINT_URL", "http://all:1"),
            ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://runtime:2"),
            ("AWS_ENDPOINT_URL_BEDROCK", "http://control:3"),
            ("AWS_REGION", "eu-west-1"),
        ]);
        let url = |u: &str| Runtime::Url(u.to_string());
        let region = |r: Option<&str>| Runtime::Region(r.map(Into::into));
        assert_eq!(
            Runtime::of(&overrides, &config(Some("http://flag:4"), None)),
            url("http://flag:4")
        );
        assert_eq!(
            Runtime::of(&overrides, &config(Some("  "), None)),
            url("http://runtime:2")
        );
        assert_eq!(
            Runtime::of(&overrides[..1], &config(None, None)),
            url("http://all:1")
        );
        let mut ignored = overrides.clone();
        ignored.push(("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS".into(), "TRUE".into()));
        assert_eq!(
            Runtime::of(&ignored, &config(None, None)),
            region(Some("eu-west-1"))
        );
        assert_eq!(
            Runtime::of(&ignored, &config(None, Some("ap-south-1"))),
            region(Some("ap-south-1"))
        );
        let default_region = env(&[("AWS_REGION", " "), ("AWS_DEFAULT_REGION", "us-west-2")]);
        assert_eq!(
            Runtime::of(&default_region, &config(None, None)),
            region(Some("us-west-2"))
        );
        assert_eq!(Runtime::of(&[], &config(None, None)), region(None));
    }

    #[test]
    fn default_runtime_endpoints() {
        assert_eq!(
            aws_runtime_endpoint("eu-west-3"),
            "https://bedrock-runtime.eu-west-3.amazonaws.com"
        );
        assert_eq!(
            aws_runtime_endpoint("cn-north-1"),
            "https://bedrock-runtime.cn-north-1.amazonaws.com.cn"
        );
    }
}
