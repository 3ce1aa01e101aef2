//! Where a request goes: endpoint overrides, default AWS hostnames and the
//! request path.

use crate::env::Environment;
use crate::error::Error;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The two Bedrock APIs the plugin calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// `bedrock-runtime`: Converse / ConverseStream.
    BedrockRuntime,
    /// `bedrock`: the control plane (ListFoundationModels, ListInferenceProfiles).
    Bedrock,
}

impl Service {
    /// The service-specific override variable, per the AWS SDKs' convention
    /// (`AWS_ENDPOINT_URL_` + the service id in upper snake case).
    fn endpoint_variable(self) -> &'static str {
        match self {
            Service::BedrockRuntime => "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
            Service::Bedrock => "AWS_ENDPOINT_URL_BEDROCK",
        }
    }

    fn hostname_prefix(self) -> &'static str {
        match self {
            Service::BedrockRuntime => "bedrock-runtime",
            Service::Bedrock => "bedrock",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// A parsed endpoint: what `wasi:http` needs separately (scheme, authority)
/// and what SigV4 needs whole (the URL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    /// `host` or `host:port`.
    pub authority: String,
    /// Path prefix of an override such as `https://proxy.example/bedrock`,
    /// without a trailing slash; empty for AWS's own endpoints.
    pub base_path: String,
}

impl Endpoint {
    /// Parses an override URL; only `http` and `https` make sense here.
    pub fn parse(url: &str) -> Result<Endpoint, Error> {
        let invalid = |why: &str| Error::InvalidRequest(format!("endpoint URL `{url}` {why}"));
        let uri: http::Uri = url
            .trim()
            .parse()
            .map_err(|_| invalid("is not a valid URL"))?;
        let scheme = match uri.scheme_str() {
            Some("https") => Scheme::Https,
            Some("http") => Scheme::Http,
            _ => return Err(invalid("must start with http:// or https://")),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("has no host"))?
            .as_str()
            .to_string();
        if uri.query().is_some() {
            return Err(invalid("must not have a query string"));
        }
        Ok(Endpoint {
            scheme,
            authority,
            base_path: uri.path().trim_end_matches('/').to_string(),
        })
    }

    /// The full path for an API path such as `/model/x/converse-stream`.
    pub fn path(&self, api_path: &str) -> String {
        format!("{}{}", self.base_path, api_path)
    }

    /// The full URL for an API path.
    pub fn url(&self, api_path: &str) -> String {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        format!("{scheme}://{}{}", self.authority, self.path(api_path))
    }
}

/// The endpoint for `service` in `region`: the call's explicit base URL (the
/// gateway's `baseUrl`, runtime only), then the service-specific
/// `AWS_ENDPOINT_URL_*`, then `AWS_ENDPOINT_URL`, then AWS's own hostname.
/// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` disables the variables, as in
/// the SDKs.
pub fn resolve(
    service: Service,
    region: &str,
    base_url: Option<&str>,
    env: &Environment,
) -> Result<Endpoint, Error> {
    let explicit = base_url
        .map(str::trim)
        .filter(|u| !u.is_empty() && service == Service::BedrockRuntime);
    let configured = if env.flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") {
        None
    } else {
        env.get(service.endpoint_variable())
            .or_else(|| env.get("AWS_ENDPOINT_URL"))
    };
    match explicit.or(configured) {
        Some(url) => Endpoint::parse(url),
        None => Ok(aws_endpoint(service, region)),
    }
}

fn aws_endpoint(service: Service, region: &str) -> Endpoint {
    // China regions live in their own partition and DNS suffix.
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    Endpoint {
        scheme: Scheme::Https,
        authority: format!("{}.{region}.{suffix}", service.hostname_prefix()),
        base_path: String::new(),
    }
}

/// Characters escaped in a URI path label: everything but RFC 3986's
/// unreserved set, as the AWS SDKs encode `{modelId}`. A model id's `:` and an
/// ARN's `/` must not reach the path raw.
const LABEL: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `POST` path of ConverseStream for a model id, inference profile id or ARN.
pub fn converse_stream_path(model_id: &str) -> String {
    format!(
        "/model/{}/converse-stream",
        utf8_percent_encode(model_id, LABEL)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_order() {
        let env = Environment::from_vars([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:2/"),
        ]);
        let e = resolve(Service::BedrockRuntime, "us-east-1", None, &env).unwrap();
        assert_eq!(e.authority, "127.0.0.1:2");
        assert_eq!(e.base_path, "");
        let e = resolve(Service::Bedrock, "us-east-1", None, &env).unwrap();
        assert_eq!(e.authority, "127.0.0.1:1");
        let e = resolve(
            Service::BedrockRuntime,
            "us-east-1",
            Some("https://gw.example/bedrock/"),
            &env,
        )
        .unwrap();
        assert_eq!(e.url("/x"), "https://gw.example/bedrock/x");
        let env = Environment::from_vars([
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        let e = resolve(Service::BedrockRuntime, "eu-west-3", None, &env).unwrap();
        assert_eq!(
            e.url("/"),
            "https://bedrock-runtime.eu-west-3.amazonaws.com/"
        );
    }

    #[test]
    fn default_hostnames() {
        let env = Environment::default();
        assert_eq!(
            resolve(Service::Bedrock, "cn-north-1", None, &env)
                .unwrap()
                .authority,
            "bedrock.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn bad_override_is_a_typed_error() {
        let env = Environment::from_vars([("AWS_ENDPOINT_URL", "ftp://x")]);
        assert!(matches!(
            resolve(Service::BedrockRuntime, "us-east-1", None, &env),
            Err(Error::InvalidRequest(_))
        ));
    }

    #[test]
    fn model_ids_are_encoded_as_one_label() {
        assert_eq!(
            converse_stream_path("anthropic.claude-3-5-sonnet-20240620-v1:0"),
            "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream"
        );
        assert_eq!(
            converse_stream_path(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.meta.llama3-2-1b-instruct-v1:0"
            ),
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.meta.llama3-2-1b-instruct-v1%3A0/converse-stream"
        );
    }
}
