//! The gateway's own configuration for Bedrock models: `models --json` (the
//! provider block alone) and `models --gateway-config` (a document rooted at
//! `models.providers.<id>`, ready to merge into the gateway's config), for
//! the gateway's native Bedrock provider or for a provider entry pointing at
//! `bedrock-host serve`.

use bedrock_host::Host;
use bedrock_host::types::{Discovery, InputModality, ProviderConfig, WitName};
use serde::Serialize;
use std::collections::BTreeMap;

/// Which provider entry `--gateway-config` prints.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The gateway's native Bedrock provider (`bedrock-converse-stream`,
    /// AWS SDK credentials), calling Bedrock itself.
    Native,
    /// A provider entry whose calls go through `bedrock-host serve`.
    Serve,
}

/// Which of `serve`'s APIs the gateway's client speaks.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServeApi {
    /// `POST /v1/chat/completions`.
    OpenaiCompletions,
    /// `POST /v1/messages`: thinking signatures and cache points pass
    /// through unchanged, the lossless choice for Claude.
    AnthropicMessages,
}

impl ServeApi {
    fn name(self) -> &'static str {
        match self {
            ServeApi::OpenaiCompletions => "openai-completions",
            ServeApi::AnthropicMessages => "anthropic-messages",
        }
    }

    /// The `baseUrl` the gateway's client takes: the OpenAI SDK appends
    /// `/chat/completions` to a base that ends in `/v1`, the Anthropic SDK
    /// appends `/v1/messages` to the bare origin.
    fn base_url(self, serve_url: &str) -> String {
        let origin = serve_url.trim().trim_end_matches('/');
        let origin = origin.strip_suffix("/v1").unwrap_or(origin);
        match self {
            ServeApi::OpenaiCompletions => format!("{origin}/v1"),
            ServeApi::AnthropicMessages => origin.to_string(),
        }
    }
}

/// The provider id the gateway knows Bedrock by, for the native provider.
pub const NATIVE_PROVIDER_ID: &str = "amazon-bedrock";

/// The provider id of the entry pointing at `serve`.
pub const SERVE_PROVIDER_ID: &str = "bedrock-serve";

/// The gateway's key for `serve`: a reference the gateway resolves from its
/// environment (`${VAR}`), the same variable `serve` reads its key from, so
/// the key is never written into the config file.
pub const SERVE_API_KEY_REFERENCE: &str = "${BEDROCK_HOST_API_KEY}";

/// `{"models": {"providers": {id: block}}}`: the block exactly where the
/// gateway's config expects it, its keys in the gateway's order.
pub fn document<'a, B: Serialize>(provider_id: &'a str, block: &'a B) -> Document<'a, B> {
    Document {
        models: Providers {
            providers: BTreeMap::from([(provider_id, block)]),
        },
    }
}

/// See [`document`].
#[derive(Serialize)]
pub struct Document<'a, B: Serialize> {
    models: Providers<'a, B>,
}

#[derive(Serialize)]
struct Providers<'a, B: Serialize> {
    providers: BTreeMap<&'a str, &'a B>,
}

/// The entry for `discovery`'s models, called through `serve` at
/// `serve_url` (e.g. `http://127.0.0.1:8080`) with `api`.
pub fn serve_block<'a>(discovery: &'a Discovery, serve_url: &str, api: ServeApi) -> ServeBlock<'a> {
    ServeBlock {
        base_url: api.base_url(serve_url),
        api: api.name(),
        api_key: SERVE_API_KEY_REFERENCE,
        models: gateway_models(discovery),
    }
}

/// A provider entry pointing at `serve`. Keys and their order are the gateway's.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServeBlock<'a> {
    base_url: String,
    api: &'static str,
    api_key: &'static str,
    models: Vec<GatewayModel<'a>>,
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
    ProviderBlock {
        base_url,
        api: "bedrock-converse-stream",
        auth: "aws-sdk",
        models: gateway_models(discovery),
    }
}

/// `discovery`'s models in the gateway's model shape.
fn gateway_models(discovery: &Discovery) -> Vec<GatewayModel<'_>> {
    discovery
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
        .collect()
}

/// The `bedrock-runtime` endpoint calls go to, as the plugin picks it (see
/// [`Runtime::of`]); the region in force when no endpoint is configured comes
/// from the plugin when neither `--region` nor the environment names one (it
/// reads the profile's `region`).
pub async fn runtime_endpoint(host: &Host, config: &ProviderConfig) -> String {
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
    use crate::commands::models::tests::{discovery, model};
    use bedrock_host::types::DiscoveryStatus;

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

    #[test]
    fn documents_are_rooted_where_the_gateway_reads_them() {
        let found = discovery(
            DiscoveryStatus::Fresh,
            vec![model("us.anthropic.x", vec![InputModality::Text])],
        );
        let block = provider_block(
            &found,
            "https://bedrock-runtime.eu-west-3.amazonaws.com".into(),
        );
        let native = serde_json::to_string(&document(NATIVE_PROVIDER_ID, &block)).unwrap();
        assert!(
            native.starts_with(concat!(
                r#"{"models":{"providers":{"amazon-bedrock":{"#,
                r#""baseUrl":"https://bedrock-runtime.eu-west-3.amazonaws.com","#,
                r#""api":"bedrock-converse-stream","auth":"aws-sdk","models":[{"id":"#
            )),
            "{native}"
        );
        let native: serde_json::Value = serde_json::from_str(&native).unwrap();
        let block = &native["models"]["providers"]["amazon-bedrock"];
        assert_eq!(block["api"], "bedrock-converse-stream");
        assert_eq!(block["models"][0]["id"], "us.anthropic.x");

        for (api, url, base) in [
            (
                ServeApi::OpenaiCompletions,
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/v1",
            ),
            (
                ServeApi::OpenaiCompletions,
                "http://127.0.0.1:8080/v1/",
                "http://127.0.0.1:8080/v1",
            ),
            (
                ServeApi::AnthropicMessages,
                "http://127.0.0.1:8080/",
                "http://127.0.0.1:8080",
            ),
            (
                ServeApi::AnthropicMessages,
                "http://127.0.0.1:8080/v1",
                "http://127.0.0.1:8080",
            ),
        ] {
            let block = serve_block(&found, url, api);
            let served = serde_json::to_value(document(SERVE_PROVIDER_ID, &block)).unwrap();
            let block = &served["models"]["providers"]["bedrock-serve"];
            assert_eq!(block["baseUrl"], base, "{api:?} {url}");
            assert_eq!(block["api"], api.name());
            assert_eq!(block["apiKey"], "${BEDROCK_HOST_API_KEY}");
            assert_eq!(block["models"][0]["contextWindow"], 200_000);
            assert!(block.get("auth").is_none());
        }
    }
}
