//! `Default` for the contract's records that are mostly optional, so that
//! callers (and tests) name the fields they set and `..Default::default()`
//! the rest. wit-bindgen cannot derive it: the same derive list applies to
//! the contract's enums, which have no default.

use crate::types::{BedrockRequestOptions, ConverseRequest, DiscoveryOptions, ProviderConfig};

/// Every setting left to the plugin's defaults.
impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig {
            region: None,
            base_url: None,
            max_attempts: None,
            connect_timeout_ms: None,
            first_byte_timeout_ms: None,
            between_bytes_timeout_ms: None,
        }
    }
}

/// Discovery as the gateway configures it when its block is empty.
impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            enabled: None,
            region: None,
            provider_filter: Vec::new(),
            refresh_interval: None,
            default_context_window: None,
            default_max_tokens: None,
        }
    }
}

/// No model, no messages and no options: a request to fill in.
impl Default for ConverseRequest {
    fn default() -> Self {
        ConverseRequest {
            model_id: String::new(),
            system: None,
            messages: Vec::new(),
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
}

/// No Bedrock-specific option set.
impl Default for BedrockRequestOptions {
    fn default() -> Self {
        BedrockRequestOptions {
            guardrail: None,
            latency: None,
            service_tier: None,
            request_metadata: Vec::new(),
            additional_model_request_fields: None,
            additional_model_response_field_paths: Vec::new(),
        }
    }
}
