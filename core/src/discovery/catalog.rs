//! From Bedrock's two lists to the gateway's model list.
//!
//! Rules, in the order they apply:
//!
//! * A foundation model is *usable* when it streams
//!   (`responseStreamingSupported`), outputs `TEXT`, is `ACTIVE` (a missing
//!   lifecycle counts as active) and its provider passes the filter.
//! * A usable model is listed under its own id only when it can be invoked on
//!   demand: `inferenceTypesSupported` names `ON_DEMAND`, or is missing.
//!   Newer models (Claude 4, Llama 3.2+, DeepSeek R1, ...) say
//!   `INFERENCE_PROFILE` only: Bedrock refuses their bare id ("on-demand
//!   throughput isn't supported"), so listing it would offer a model that
//!   always fails. `PROVISIONED`-only entries (the `:200k` context-length
//!   variants) need a purchased throughput and are left out the same way.
//!   Such models still lend their properties to their profiles.
//! * An `ACTIVE` inference profile is listed when its base model (the model
//!   id at the end of its first `models[].modelArn`) is usable: it inherits
//!   that model's provider, reasoning, inputs, cost, context window and output
//!   limit. A profile whose base model was filtered out, or is unknown to
//!   ListFoundationModels, is dropped with it.
//! * System-defined profiles are listed by their id (`us.anthropic...`) and
//!   named after their base model and geography (`Claude Sonnet 4 (US)`), so
//!   that the five profiles of one model can be told apart in a picker;
//!   application profiles by their ARN, named `{profile name} ({base model})`.
//! * Each id appears once (the first occurrence wins), and the list is sorted
//!   `global.` profiles first, then by name, then by id.

use super::known_models::{self, Spec};
use super::options::Settings;
use super::parse::{FoundationModelSummary, InferenceProfileSummary};
use crate::types::{InputModality, ModelCost, ModelDefinition, ModelKind};
use std::collections::{HashMap, HashSet};

/// The model list for the given Bedrock answers and settings.
pub fn build(
    foundation_models: &[FoundationModelSummary],
    profiles: &[InferenceProfileSummary],
    settings: &Settings,
) -> Vec<ModelDefinition> {
    let mut usable: HashMap<&str, ModelDefinition> = HashMap::new();
    let mut models = Vec::new();
    for summary in foundation_models {
        let Some(id) = summary.id() else { continue };
        if usable.contains_key(id) || !is_usable(summary, settings) {
            continue;
        }
        let definition = foundation_definition(id, summary, settings);
        if is_on_demand(summary) {
            models.push(definition.clone());
        }
        usable.insert(id, definition);
    }
    for profile in profiles {
        let Some(base) = profile.base_model_id().and_then(|id| usable.get(id)) else {
            continue;
        };
        if let Some(definition) = profile_definition(profile, base) {
            models.push(definition);
        }
    }
    let mut seen = HashSet::new();
    models.retain(|m| seen.insert(m.id.clone()));
    models.sort_by_cached_key(|m| {
        (
            known_models::geography(&m.id) != Some("global"),
            m.name.to_lowercase(),
            m.id.clone(),
        )
    });
    models
}

fn is_usable(summary: &FoundationModelSummary, settings: &Settings) -> bool {
    let streams = summary.response_streaming_supported == Some(true);
    let outputs_text = has(&summary.output_modalities, "TEXT");
    let active = summary
        .model_lifecycle
        .as_ref()
        .and_then(|l| l.status.as_deref())
        .is_none_or(|s| s.trim().eq_ignore_ascii_case("ACTIVE"));
    let provider = summary.provider_name.as_deref();
    streams
        && outputs_text
        && active
        && settings
            .provider_filter
            .allows(provider, summary.id().unwrap_or_default())
}

fn is_on_demand(summary: &FoundationModelSummary) -> bool {
    match &summary.inference_types_supported {
        Some(types) if !types.is_empty() => has(&summary.inference_types_supported, "ON_DEMAND"),
        _ => true,
    }
}

fn has(list: &Option<Vec<String>>, value: &str) -> bool {
    list.iter()
        .flatten()
        .any(|v| v.trim().eq_ignore_ascii_case(value))
}

fn foundation_definition(
    id: &str,
    summary: &FoundationModelSummary,
    settings: &Settings,
) -> ModelDefinition {
    let known = known_models::lookup(id);
    let name = summary
        .model_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(id);
    let provider = summary
        .provider_name
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| id.split('.').next().unwrap_or(id));
    let input = match &known {
        Some(spec) => spec.input.to_vec(),
        None => reported_inputs(summary.input_modalities.as_deref().unwrap_or_default()),
    };
    let Spec {
        context_window,
        max_tokens,
        reasoning,
        cost,
        ..
    } = known.unwrap_or(Spec {
        context_window: settings.default_context_window,
        max_tokens: settings.default_max_tokens,
        reasoning: false,
        input: &[],
        cost: ModelCost {
            input: 0.0,
            output: 0.0,
            cache_read: 0.0,
            cache_write: 0.0,
        },
    });
    ModelDefinition {
        id: id.to_string(),
        name: name.to_string(),
        provider: provider.to_string(),
        reasoning,
        input,
        cost,
        context_window,
        max_tokens,
        kind: ModelKind::FoundationModel,
        base_model_id: None,
    }
}

/// ListFoundationModels' modalities in the contract's terms; text always
/// comes first (every model kept outputs text, and reads it).
fn reported_inputs(modalities: &[String]) -> Vec<InputModality> {
    let mut input = vec![InputModality::Text];
    for modality in modalities {
        let mapped = match modality.trim().to_ascii_uppercase().as_str() {
            "IMAGE" => InputModality::Image,
            "DOCUMENT" => InputModality::Document,
            "VIDEO" => InputModality::Video,
            "AUDIO" | "SPEECH" => InputModality::Audio,
            _ => continue,
        };
        if !input.contains(&mapped) {
            input.push(mapped);
        }
    }
    input
}

fn profile_definition(
    profile: &InferenceProfileSummary,
    base: &ModelDefinition,
) -> Option<ModelDefinition> {
    let active = profile
        .status
        .as_deref()
        .is_none_or(|s| s.trim().eq_ignore_ascii_case("ACTIVE"));
    if !active {
        return None;
    }
    let arn = profile
        .inference_profile_arn
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let application = match profile.profile_type.as_deref().map(str::trim) {
        Some(t) if t.eq_ignore_ascii_case("APPLICATION") => true,
        Some(t) if t.eq_ignore_ascii_case("SYSTEM_DEFINED") => false,
        // A type this build does not know: the ARN's resource type decides.
        _ => arn.is_some_and(|a| a.contains(":application-inference-profile/")),
    };
    let profile_name = profile
        .inference_profile_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let (id, kind, name) = if application {
        // Only the ARN names an application profile in a model-id field.
        let name = match profile_name {
            Some(own) => format!("{own} ({})", base.name),
            None => base.name.clone(),
        };
        (arn?.to_string(), ModelKind::ApplicationProfile, name)
    } else {
        let id = profile
            .inference_profile_id
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .or_else(|| arn.and_then(|a| a.rsplit_once('/')).map(|(_, id)| id))?;
        let name = match known_models::geography(id) {
            Some(geo) => format!("{} ({})", base.name, geography_label(geo)),
            None => profile_name.map_or_else(|| base.name.clone(), str::to_string),
        };
        (id.to_string(), ModelKind::SystemProfile, name)
    };
    Some(ModelDefinition {
        id,
        name,
        kind,
        base_model_id: Some(base.id.clone()),
        ..base.clone()
    })
}

fn geography_label(geo: &str) -> String {
    match geo {
        "global" => "Global".to_string(),
        other => other.to_ascii_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::options::ProviderFilter;
    use crate::discovery::parse;

    fn settings(filter: &[&str]) -> Settings {
        Settings {
            region: "us-east-1".into(),
            provider_filter: ProviderFilter::new(filter),
            refresh_interval: 3600,
            default_context_window: 32_000,
            default_max_tokens: 4096,
        }
    }

    fn summary(id: &str, provider: &str, types: &[&str]) -> FoundationModelSummary {
        FoundationModelSummary {
            model_arn: Some(format!("arn:aws:bedrock:us-east-1::foundation-model/{id}")),
            model_id: Some(id.into()),
            model_name: Some(format!("Name of {id}")),
            provider_name: Some(provider.into()),
            input_modalities: Some(vec!["TEXT".into()]),
            output_modalities: Some(vec!["TEXT".into()]),
            response_streaming_supported: Some(true),
            customizations_supported: None,
            inference_types_supported: Some(types.iter().map(|t| t.to_string()).collect()),
            model_lifecycle: Some(parse::ModelLifecycle {
                status: Some("ACTIVE".into()),
            }),
        }
    }

    fn profile(id: &str, base: &str, kind: &str) -> InferenceProfileSummary {
        InferenceProfileSummary {
            inference_profile_name: Some(format!("Profile {id}")),
            inference_profile_arn: Some(format!(
                "arn:aws:bedrock:us-east-1:123456789012:inference-profile/{id}"
            )),
            inference_profile_id: Some(id.into()),
            description: None,
            models: Some(vec![parse::InferenceProfileModel {
                model_arn: Some(format!(
                    "arn:aws:bedrock:us-west-2::foundation-model/{base}"
                )),
            }]),
            status: Some("ACTIVE".into()),
            profile_type: Some(kind.into()),
        }
    }

    fn ids(models: &[ModelDefinition]) -> Vec<&str> {
        models.iter().map(|m| m.id.as_str()).collect()
    }

    #[test]
    fn each_exclusion_rule() {
        let mut legacy = summary("anthropic.claude-v2:1", "Anthropic", &["ON_DEMAND"]);
        legacy.model_lifecycle = Some(parse::ModelLifecycle {
            status: Some("LEGACY".into()),
        });
        let mut silent = summary("cohere.rerank-v3-5:0", "Cohere", &["ON_DEMAND"]);
        silent.response_streaming_supported = Some(false);
        let mut unknown_streaming = summary("x.unsure-v1", "X", &["ON_DEMAND"]);
        unknown_streaming.response_streaming_supported = None;
        let mut embed = summary("amazon.titan-embed-text-v2:0", "Amazon", &["ON_DEMAND"]);
        embed.output_modalities = Some(vec!["EMBEDDING".into()]);
        let mut no_lifecycle = summary("meta.llama3-8b-instruct-v1:0", "Meta", &["ON_DEMAND"]);
        no_lifecycle.model_lifecycle = None;
        let mut no_types = summary("ai21.jamba-1-5-mini-v1:0", "AI21 Labs", &[]);
        no_types.inference_types_supported = None;
        let list = [
            legacy,
            silent,
            unknown_streaming,
            embed,
            no_lifecycle,
            no_types,
            summary(
                "anthropic.claude-3-haiku-20240307-v1:0:200k",
                "Anthropic",
                &["PROVISIONED"],
            ),
            summary(
                "anthropic.claude-sonnet-4-20250514-v1:0",
                "Anthropic",
                &["INFERENCE_PROFILE"],
            ),
        ];
        let models = build(&list, &[], &settings(&[]));
        assert_eq!(
            ids(&models),
            ["ai21.jamba-1-5-mini-v1:0", "meta.llama3-8b-instruct-v1:0"]
        );
    }

    #[test]
    fn profiles_inherit_and_follow_their_base_model() {
        let list = [
            summary(
                "anthropic.claude-sonnet-4-20250514-v1:0",
                "Anthropic",
                &["INFERENCE_PROFILE"],
            ),
            summary(
                "meta.llama3-2-11b-instruct-v1:0",
                "Meta",
                &["INFERENCE_PROFILE"],
            ),
        ];
        let profiles = [
            profile(
                "us.anthropic.claude-sonnet-4-20250514-v1:0",
                "anthropic.claude-sonnet-4-20250514-v1:0",
                "SYSTEM_DEFINED",
            ),
            profile(
                "us.meta.llama3-2-11b-instruct-v1:0",
                "meta.llama3-2-11b-instruct-v1:0",
                "SYSTEM_DEFINED",
            ),
            profile(
                "us.amazon.nova-pro-v1:0",
                "amazon.nova-pro-v1:0",
                "SYSTEM_DEFINED",
            ),
        ];
        let models = build(&list, &profiles, &settings(&["ANTHROPIC"]));
        assert_eq!(
            ids(&models),
            ["us.anthropic.claude-sonnet-4-20250514-v1:0"],
            "filtered and unknown bases drop"
        );
        let m = &models[0];
        assert_eq!(
            m.name,
            "Name of anthropic.claude-sonnet-4-20250514-v1:0 (US)"
        );
        assert_eq!(m.kind, ModelKind::SystemProfile);
        assert_eq!(
            m.base_model_id.as_deref(),
            Some("anthropic.claude-sonnet-4-20250514-v1:0")
        );
        assert_eq!(m.provider, "Anthropic");
        assert!(m.reasoning);
        assert_eq!((m.context_window, m.max_tokens), (200_000, 64_000));
        assert_eq!(m.cost.output, 15.0);
    }

    #[test]
    fn unknown_models_get_the_defaults_and_their_reported_inputs() {
        let mut s = summary("newco.mystery-thinking-v1:0", "", &["ON_DEMAND"]);
        s.input_modalities = Some(vec![
            "IMAGE".into(),
            "TEXT".into(),
            "SPEECH".into(),
            "HOLOGRAM".into(),
        ]);
        s.model_name = None;
        let models = build(&[s], &[], &settings(&[]));
        let m = &models[0];
        assert_eq!(m.name, "newco.mystery-thinking-v1:0");
        assert_eq!(m.provider, "newco");
        assert!(!m.reasoning, "reasoning comes from the table, not the name");
        assert_eq!(
            m.input,
            [
                InputModality::Text,
                InputModality::Image,
                InputModality::Audio
            ]
        );
        assert_eq!((m.context_window, m.max_tokens), (32_000, 4096));
        assert_eq!(
            m.cost,
            ModelCost {
                input: 0.0,
                output: 0.0,
                cache_read: 0.0,
                cache_write: 0.0
            }
        );
    }

    #[test]
    fn application_profiles_unknown_types_and_inactive_profiles() {
        let list = [summary(
            "anthropic.claude-3-haiku-20240307-v1:0",
            "Anthropic",
            &["ON_DEMAND"],
        )];
        let base = "anthropic.claude-3-haiku-20240307-v1:0";
        let app_arn =
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123example";
        let mut app = profile("abc123example", base, "APPLICATION");
        app.inference_profile_arn = Some(app_arn.into());
        app.inference_profile_name = Some("claims-assistant".into());
        let mut untyped = profile(
            "eu.anthropic.claude-3-haiku-20240307-v1:0",
            base,
            "FUTURE_KIND",
        );
        untyped.profile_type = Some("FUTURE_KIND".into());
        let mut inactive = profile(
            "apac.anthropic.claude-3-haiku-20240307-v1:0",
            base,
            "SYSTEM_DEFINED",
        );
        inactive.status = Some("DELETING".into());
        let mut app_without_arn = profile("zzz", base, "APPLICATION");
        app_without_arn.inference_profile_arn = None;
        let models = build(
            &list,
            &[app, untyped, inactive, app_without_arn],
            &settings(&[]),
        );
        assert_eq!(
            ids(&models),
            [app_arn, base, "eu.anthropic.claude-3-haiku-20240307-v1:0"]
        );
        assert_eq!(models[0].kind, ModelKind::ApplicationProfile);
        assert_eq!(models[0].name, format!("claims-assistant (Name of {base})"));
        assert_eq!(models[2].kind, ModelKind::SystemProfile);
    }

    #[test]
    fn duplicates_and_order() {
        let list = [
            summary("amazon.nova-lite-v1:0", "Amazon", &["ON_DEMAND"]),
            summary("amazon.nova-lite-v1:0", "Amazon", &["ON_DEMAND"]),
            summary("amazon.nova-micro-v1:0", "Amazon", &["ON_DEMAND"]),
        ];
        let mut profiles = vec![
            profile(
                "us.amazon.nova-micro-v1:0",
                "amazon.nova-micro-v1:0",
                "SYSTEM_DEFINED",
            ),
            profile(
                "global.amazon.nova-micro-v1:0",
                "amazon.nova-micro-v1:0",
                "SYSTEM_DEFINED",
            ),
            profile(
                "us.amazon.nova-lite-v1:0",
                "amazon.nova-lite-v1:0",
                "SYSTEM_DEFINED",
            ),
            profile(
                "global.amazon.nova-lite-v1:0",
                "amazon.nova-lite-v1:0",
                "SYSTEM_DEFINED",
            ),
        ];
        profiles.push(profiles[0].clone());
        let models = build(&list, &profiles, &settings(&[]));
        assert_eq!(
            ids(&models),
            [
                "global.amazon.nova-lite-v1:0",
                "global.amazon.nova-micro-v1:0",
                "amazon.nova-lite-v1:0",
                "us.amazon.nova-lite-v1:0",
                "amazon.nova-micro-v1:0",
                "us.amazon.nova-micro-v1:0",
            ]
        );
        assert_eq!(models[0].name, "Name of amazon.nova-lite-v1:0 (Global)");
    }
}
