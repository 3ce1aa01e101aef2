//! Discovery's model definitions as `GET /v1/models` entries: OpenAI's four
//! fields, then OpenRouter's (`context_length`, `architecture`,
//! `top_provider`, `pricing`, `supported_parameters`), which gateways read
//! to size prompts and show costs.

use crate::openai::{Architecture, Model, Pricing, TopProvider};
use bedrock_host::types::{InputModality, ModelDefinition, WitName};

/// The request parameters every model takes through this server.
const PARAMETERS: [&str; 7] = [
    "max_tokens",
    "temperature",
    "top_p",
    "stop",
    "tools",
    "tool_choice",
    "stream_options",
];

pub fn model(definition: ModelDefinition, created: u64) -> Model {
    let cost = &definition.cost;
    let mut supported_parameters = PARAMETERS.to_vec();
    if definition.reasoning {
        supported_parameters.extend(["reasoning", "reasoning_effort"]);
    }
    Model {
        object: "model",
        created,
        name: definition.name,
        context_length: definition.context_window,
        architecture: Architecture {
            input_modalities: definition.input.iter().map(modality).collect(),
            output_modalities: vec!["text"],
        },
        top_provider: TopProvider {
            context_length: definition.context_window,
            max_completion_tokens: definition.max_tokens,
        },
        pricing: Pricing {
            prompt: per_token(cost.input),
            completion: per_token(cost.output),
            input_cache_read: per_token(cost.cache_read),
            input_cache_write: per_token(cost.cache_write),
        },
        supported_parameters,
        id: definition.id,
        owned_by: definition.provider,
    }
}

/// OpenRouter's modality names, which are the contract's but `document`
/// (OpenRouter's `file`).
fn modality(input: &InputModality) -> &'static str {
    match input {
        InputModality::Document => "file",
        other => other.wit_name(),
    }
}

/// A price per million tokens as a decimal string per token, shifted in
/// decimal so that `3` becomes `"0.000003"`, not `3e-6` or a float's
/// rounding of it.
fn per_token(per_million: f64) -> String {
    if !per_million.is_finite() || per_million <= 0.0 {
        return "0".into();
    }
    let text = per_million.to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let whole = format!("{whole:0>7}");
    let (units, millionths) = whole.split_at(whole.len() - 6);
    let digits = format!("{millionths}{fraction}");
    let digits = digits.trim_end_matches('0');
    let units = units.trim_start_matches('0');
    let units = if units.is_empty() { "0" } else { units };
    if digits.is_empty() {
        units.to_string()
    } else {
        format!("{units}.{digits}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bedrock_host::types::{ModelCost, ModelKind};
    use serde_json::json;

    #[test]
    fn serve_prices_are_exact_decimal_strings_per_token() {
        assert_eq!(per_token(3.0), "0.000003");
        assert_eq!(per_token(0.3), "0.0000003");
        assert_eq!(per_token(3.75), "0.00000375");
        assert_eq!(per_token(15.0), "0.000015");
        assert_eq!(per_token(1_500_000.0), "1.5");
        assert_eq!(per_token(2_000_000.0), "2");
        assert_eq!(per_token(0.0), "0");
        assert_eq!(per_token(f64::NAN), "0");
    }

    #[test]
    fn serve_models_carry_discoverys_metadata() {
        let definition = ModelDefinition {
            id: "us.anthropic.claude-sonnet-4-20250514-v1:0".into(),
            name: "US Claude Sonnet 4".into(),
            provider: "Anthropic".into(),
            reasoning: true,
            input: vec![
                InputModality::Text,
                InputModality::Image,
                InputModality::Document,
            ],
            cost: ModelCost {
                input: 3.0,
                output: 15.0,
                cache_read: 0.3,
                cache_write: 3.75,
            },
            context_window: 200_000,
            max_tokens: 64_000,
            kind: ModelKind::SystemProfile,
            base_model_id: None,
        };
        let value = serde_json::to_value(model(definition.clone(), 7)).unwrap();
        assert_eq!(value["id"], "us.anthropic.claude-sonnet-4-20250514-v1:0");
        assert_eq!(value["object"], "model");
        assert_eq!(value["created"], 7);
        assert_eq!(value["owned_by"], "Anthropic");
        assert_eq!(value["context_length"], 200_000);
        assert_eq!(value["top_provider"]["max_completion_tokens"], 64_000);
        assert_eq!(
            value["architecture"]["input_modalities"],
            json!(["text", "image", "file"])
        );
        assert_eq!(
            value["pricing"],
            json!({"prompt": "0.000003", "completion": "0.000015",
                   "input_cache_read": "0.0000003", "input_cache_write": "0.00000375"})
        );
        let parameters = value["supported_parameters"].as_array().unwrap();
        assert!(parameters.contains(&json!("reasoning")), "{value}");

        let plain = model(
            ModelDefinition {
                reasoning: false,
                ..definition
            },
            7,
        );
        assert!(!plain.supported_parameters.contains(&"reasoning"));
        assert!(plain.supported_parameters.contains(&"tools"));
    }
}
