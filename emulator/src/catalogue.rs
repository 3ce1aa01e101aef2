//! The models and inference profiles the emulator lists, shaped like today's Bedrock.
//!
//! The foundation models are a cross-section of a real us-east-1 listing: several providers,
//! and every kind of entry a discovery client has to leave out (a LEGACY model, a model
//! that does not stream, embedding and image models, provisioned-only context-length
//! variants) next to models that can only be invoked through an inference profile
//! (`inferenceTypesSupported: ["INFERENCE_PROFILE"]`, as Claude 4 is). System-defined
//! profiles cover every geography prefix (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `global.`);
//! real Bedrock lists only the profiles sourced in the caller's region, the emulator lists
//! them all so that clients meet every shape. Two APPLICATION profiles route to Claude: one
//! over an on-demand model in the caller's region, one copied from the US profile of a
//! model that thinks and caches prompts (its models span the US regions, as a copy's do).
//!
//! ARNs carry the emulator's region, so that a client that signs for the region of an ARN
//! model id (as the AWS SDKs do) reaches the emulator with a valid scope.

use serde_json::{Value, json};

/// The account that owns the emulator's profiles (AWS's documentation example account).
pub const ACCOUNT_ID: &str = "123456789012";

/// The id of the application inference profile over an on-demand model.
pub const APPLICATION_PROFILE_ID: &str = "abc123example";

/// The id of the application inference profile copied from the US profile of Claude
/// Sonnet 4.5 (extended thinking, prompt caching).
pub const THINKING_APPLICATION_PROFILE_ID: &str = "f3a9c2d41b7e";

/// One `FoundationModelSummary`.
#[derive(Debug, Clone, Copy)]
pub struct Model {
    pub id: &'static str,
    pub name: &'static str,
    pub provider: &'static str,
    pub input: &'static [&'static str],
    pub output: &'static [&'static str],
    pub streaming: bool,
    pub customizations: &'static [&'static str],
    pub inference_types: &'static [&'static str],
    pub lifecycle: &'static str,
    /// The fewest input tokens a cache point's prefix must hold to be cached, for a model
    /// that offers prompt caching.
    pub cache_min_tokens: Option<usize>,
    /// Takes only adaptive thinking (`thinking: {type: adaptive}`): a token budget is
    /// refused.
    pub adaptive_thinking_only: bool,
}

const TEXT: &[&str] = &["TEXT"];
const TEXT_IMAGE: &[&str] = &["TEXT", "IMAGE"];
const TEXT_IMAGE_VIDEO: &[&str] = &["TEXT", "IMAGE", "VIDEO"];
const EMBEDDING: &[&str] = &["EMBEDDING"];
const IMAGE: &[&str] = &["IMAGE"];
const ON_DEMAND: &[&str] = &["ON_DEMAND"];
const ON_DEMAND_AND_PROFILE: &[&str] = &["ON_DEMAND", "INFERENCE_PROFILE"];
const PROFILE_ONLY: &[&str] = &["INFERENCE_PROFILE"];
const PROVISIONED: &[&str] = &["PROVISIONED"];
const NONE: &[&str] = &[];
const FINE_TUNING: &[&str] = &["FINE_TUNING"];
const NOVA_CUSTOMIZATIONS: &[&str] = &["FINE_TUNING", "DISTILLATION"];

/// A text model that streams: the common case.
const fn chat(
    id: &'static str,
    name: &'static str,
    provider: &'static str,
    input: &'static [&'static str],
    inference_types: &'static [&'static str],
) -> Model {
    Model {
        id,
        name,
        provider,
        input,
        output: TEXT,
        streaming: true,
        customizations: NONE,
        inference_types,
        lifecycle: "ACTIVE",
        cache_min_tokens: None,
        adaptive_thinking_only: false,
    }
}

/// Prompt-cache minimums from the Bedrock user guide's "Prompt caching" table (tokens a
/// cache point's prefix must reach): most Claude models and Nova take about a thousand;
/// Claude Haiku 4.5 and the Opus 4.5-and-later models take 4 096, as Anthropic's "Prompt
/// caching" page lists them.
const CLAUDE_CACHE: Option<usize> = Some(1_024);
const CLAUDE_LARGE_CACHE: Option<usize> = Some(4_096);
const NOVA_CACHE: Option<usize> = Some(1_000);

pub const MODELS: &[Model] = &[
    // Amazon.
    Model {
        streaming: false,
        output: EMBEDDING,
        ..chat(
            "amazon.titan-embed-text-v2:0",
            "Titan Text Embeddings V2",
            "Amazon",
            TEXT,
            ON_DEMAND,
        )
    },
    Model {
        streaming: false,
        output: IMAGE,
        ..chat(
            "amazon.nova-canvas-v1:0",
            "Nova Canvas",
            "Amazon",
            TEXT_IMAGE,
            &["ON_DEMAND", "PROVISIONED"],
        )
    },
    Model {
        customizations: NOVA_CUSTOMIZATIONS,
        cache_min_tokens: NOVA_CACHE,
        ..chat(
            "amazon.nova-micro-v1:0",
            "Nova Micro",
            "Amazon",
            TEXT,
            ON_DEMAND_AND_PROFILE,
        )
    },
    Model {
        customizations: NOVA_CUSTOMIZATIONS,
        cache_min_tokens: NOVA_CACHE,
        ..chat(
            "amazon.nova-lite-v1:0",
            "Nova Lite",
            "Amazon",
            TEXT_IMAGE_VIDEO,
            ON_DEMAND_AND_PROFILE,
        )
    },
    Model {
        customizations: NOVA_CUSTOMIZATIONS,
        cache_min_tokens: NOVA_CACHE,
        ..chat(
            "amazon.nova-pro-v1:0",
            "Nova Pro",
            "Amazon",
            TEXT_IMAGE_VIDEO,
            ON_DEMAND_AND_PROFILE,
        )
    },
    chat(
        "amazon.nova-pro-v1:0:300k",
        "Nova Pro",
        "Amazon",
        TEXT_IMAGE_VIDEO,
        PROVISIONED,
    ),
    Model {
        cache_min_tokens: NOVA_CACHE,
        ..chat(
            "amazon.nova-premier-v1:0",
            "Nova Premier",
            "Amazon",
            TEXT_IMAGE_VIDEO,
            PROFILE_ONLY,
        )
    },
    // Anthropic.
    Model {
        lifecycle: "LEGACY",
        ..chat(
            "anthropic.claude-v2:1",
            "Claude",
            "Anthropic",
            TEXT,
            ON_DEMAND,
        )
    },
    Model {
        customizations: FINE_TUNING,
        ..chat(
            "anthropic.claude-3-haiku-20240307-v1:0",
            "Claude 3 Haiku",
            "Anthropic",
            TEXT_IMAGE,
            ON_DEMAND_AND_PROFILE,
        )
    },
    chat(
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        "Claude 3 Haiku",
        "Anthropic",
        TEXT_IMAGE,
        PROVISIONED,
    ),
    chat(
        "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "Claude 3.5 Sonnet",
        "Anthropic",
        TEXT_IMAGE,
        ON_DEMAND_AND_PROFILE,
    ),
    Model {
        cache_min_tokens: CLAUDE_CACHE,
        ..chat(
            "anthropic.claude-3-7-sonnet-20250219-v1:0",
            "Claude 3.7 Sonnet",
            "Anthropic",
            TEXT_IMAGE,
            PROFILE_ONLY,
        )
    },
    Model {
        cache_min_tokens: CLAUDE_CACHE,
        ..chat(
            "anthropic.claude-sonnet-4-20250514-v1:0",
            "Claude Sonnet 4",
            "Anthropic",
            TEXT_IMAGE,
            PROFILE_ONLY,
        )
    },
    Model {
        cache_min_tokens: CLAUDE_CACHE,
        ..chat(
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "Claude Sonnet 4.5",
            "Anthropic",
            TEXT_IMAGE,
            PROFILE_ONLY,
        )
    },
    Model {
        cache_min_tokens: CLAUDE_LARGE_CACHE,
        ..chat(
            "anthropic.claude-haiku-4-5-20251001-v1:0",
            "Claude Haiku 4.5",
            "Anthropic",
            TEXT_IMAGE,
            PROFILE_ONLY,
        )
    },
    Model {
        cache_min_tokens: CLAUDE_CACHE,
        ..chat(
            "anthropic.claude-opus-4-1-20250805-v1:0",
            "Claude Opus 4.1",
            "Anthropic",
            TEXT_IMAGE,
            PROFILE_ONLY,
        )
    },
    // Adaptive thinking only: Bedrock's "Adaptive thinking" page, Anthropic's "What's new
    // in Claude Opus 4.7" (`type: enabled` is refused).
    Model {
        cache_min_tokens: CLAUDE_LARGE_CACHE,
        adaptive_thinking_only: true,
        ..chat(
            "anthropic.claude-opus-4-7",
            "Claude Opus 4.7",
            "Anthropic",
            TEXT_IMAGE,
            PROFILE_ONLY,
        )
    },
    // Meta.
    chat(
        "meta.llama3-8b-instruct-v1:0",
        "Llama 3 8B Instruct",
        "Meta",
        TEXT,
        ON_DEMAND,
    ),
    chat(
        "meta.llama3-1-70b-instruct-v1:0",
        "Llama 3.1 70B Instruct",
        "Meta",
        TEXT,
        ON_DEMAND_AND_PROFILE,
    ),
    chat(
        "meta.llama3-2-11b-instruct-v1:0",
        "Llama 3.2 11B Instruct",
        "Meta",
        TEXT_IMAGE,
        PROFILE_ONLY,
    ),
    chat(
        "meta.llama3-3-70b-instruct-v1:0",
        "Llama 3.3 70B Instruct",
        "Meta",
        TEXT,
        PROFILE_ONLY,
    ),
    chat(
        "meta.llama4-maverick-17b-instruct-v1:0",
        "Llama 4 Maverick 17B Instruct",
        "Meta",
        TEXT_IMAGE,
        PROFILE_ONLY,
    ),
    // Mistral AI.
    chat(
        "mistral.mistral-large-2402-v1:0",
        "Mistral Large (24.02)",
        "Mistral AI",
        TEXT,
        ON_DEMAND,
    ),
    chat(
        "mistral.mistral-small-2402-v1:0",
        "Mistral Small (24.02)",
        "Mistral AI",
        TEXT,
        ON_DEMAND,
    ),
    chat(
        "mistral.pixtral-large-2502-v1:0",
        "Pixtral Large (25.02)",
        "Mistral AI",
        TEXT_IMAGE,
        PROFILE_ONLY,
    ),
    // Cohere.
    chat(
        "cohere.command-r-v1:0",
        "Command R",
        "Cohere",
        TEXT,
        ON_DEMAND,
    ),
    chat(
        "cohere.command-r-plus-v1:0",
        "Command R+",
        "Cohere",
        TEXT,
        ON_DEMAND,
    ),
    Model {
        streaming: false,
        output: EMBEDDING,
        ..chat(
            "cohere.embed-english-v3",
            "Embed English",
            "Cohere",
            TEXT,
            ON_DEMAND,
        )
    },
    Model {
        streaming: false,
        output: EMBEDDING,
        ..chat(
            "cohere.embed-multilingual-v3",
            "Embed Multilingual",
            "Cohere",
            TEXT,
            ON_DEMAND,
        )
    },
    // Outputs text, but does not stream.
    Model {
        streaming: false,
        ..chat(
            "cohere.rerank-v3-5:0",
            "Rerank 3.5",
            "Cohere",
            TEXT,
            ON_DEMAND,
        )
    },
    // DeepSeek.
    chat(
        "deepseek.r1-v1:0",
        "DeepSeek-R1",
        "DeepSeek",
        TEXT,
        PROFILE_ONLY,
    ),
    // AI21 Labs.
    chat(
        "ai21.jamba-1-5-large-v1:0",
        "Jamba 1.5 Large",
        "AI21 Labs",
        TEXT,
        ON_DEMAND,
    ),
    chat(
        "ai21.jamba-1-5-mini-v1:0",
        "Jamba 1.5 Mini",
        "AI21 Labs",
        TEXT,
        ON_DEMAND,
    ),
    // OpenAI.
    chat(
        "openai.gpt-oss-120b-1:0",
        "gpt-oss-120b",
        "OpenAI",
        TEXT,
        ON_DEMAND,
    ),
    chat(
        "openai.gpt-oss-20b-1:0",
        "gpt-oss-20b",
        "OpenAI",
        TEXT,
        ON_DEMAND,
    ),
    // Qwen, Writer, Stability AI.
    chat(
        "qwen.qwen3-32b-v1:0",
        "Qwen3 32B (dense)",
        "Qwen",
        TEXT,
        ON_DEMAND,
    ),
    chat(
        "writer.palmyra-x5-v1:0",
        "Palmyra X5",
        "Writer",
        TEXT,
        PROFILE_ONLY,
    ),
    Model {
        streaming: false,
        output: IMAGE,
        ..chat(
            "stability.sd3-5-large-v1:0",
            "Stable Diffusion 3.5 Large",
            "Stability AI",
            TEXT_IMAGE,
            ON_DEMAND,
        )
    },
];

/// A cross-region geography: its id prefix, the label in profile names, and the regions
/// its profiles route to.
struct Geography {
    prefix: &'static str,
    label: &'static str,
    regions: &'static [&'static str],
}

const US: Geography = Geography {
    prefix: "us",
    label: "US",
    regions: &["us-east-1", "us-east-2", "us-west-2"],
};
const EU: Geography = Geography {
    prefix: "eu",
    label: "EU",
    regions: &["eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1"],
};
const APAC: Geography = Geography {
    prefix: "apac",
    label: "APAC",
    regions: &[
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-south-1",
        "ap-southeast-1",
        "ap-southeast-2",
    ],
};
const JP: Geography = Geography {
    prefix: "jp",
    label: "JP",
    regions: &["ap-northeast-1", "ap-northeast-3"],
};
const AU: Geography = Geography {
    prefix: "au",
    label: "AU",
    regions: &["ap-southeast-2", "ap-southeast-4"],
};
const GLOBAL: Geography = Geography {
    prefix: "global",
    label: "Global",
    regions: &["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"],
};

/// The system-defined profiles: each geography and the models it routes to.
const SYSTEM_PROFILES: &[(&Geography, &[&str])] = &[
    (
        &US,
        &[
            "amazon.nova-micro-v1:0",
            "amazon.nova-lite-v1:0",
            "amazon.nova-pro-v1:0",
            "amazon.nova-premier-v1:0",
            "anthropic.claude-3-haiku-20240307-v1:0",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "anthropic.claude-3-7-sonnet-20250219-v1:0",
            "anthropic.claude-sonnet-4-20250514-v1:0",
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
            "anthropic.claude-opus-4-1-20250805-v1:0",
            "anthropic.claude-opus-4-7",
            "meta.llama3-1-70b-instruct-v1:0",
            "meta.llama3-2-11b-instruct-v1:0",
            "meta.llama3-3-70b-instruct-v1:0",
            "meta.llama4-maverick-17b-instruct-v1:0",
            "mistral.pixtral-large-2502-v1:0",
            "deepseek.r1-v1:0",
            "writer.palmyra-x5-v1:0",
        ],
    ),
    (
        &EU,
        &[
            "amazon.nova-micro-v1:0",
            "amazon.nova-lite-v1:0",
            "amazon.nova-pro-v1:0",
            "anthropic.claude-3-haiku-20240307-v1:0",
            "anthropic.claude-3-7-sonnet-20250219-v1:0",
            "anthropic.claude-sonnet-4-20250514-v1:0",
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
            "mistral.pixtral-large-2502-v1:0",
        ],
    ),
    (
        &APAC,
        &[
            "amazon.nova-lite-v1:0",
            "amazon.nova-pro-v1:0",
            "anthropic.claude-3-haiku-20240307-v1:0",
            "anthropic.claude-3-5-sonnet-20240620-v1:0",
            "anthropic.claude-sonnet-4-20250514-v1:0",
        ],
    ),
    (
        &JP,
        &[
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
        ],
    ),
    (
        &AU,
        &[
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
        ],
    ),
    (
        &GLOBAL,
        &[
            "anthropic.claude-sonnet-4-20250514-v1:0",
            "anthropic.claude-sonnet-4-5-20250929-v1:0",
            "anthropic.claude-haiku-4-5-20251001-v1:0",
            "anthropic.claude-opus-4-7",
        ],
    ),
];

/// One APPLICATION inference profile.
struct ApplicationProfile {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    model: &'static str,
    /// The geography of the system profile it was copied from; `None` for a profile over a
    /// model in the caller's region.
    copied_from: Option<&'static Geography>,
    created_at: &'static str,
}

const APPLICATION_PROFILES: &[ApplicationProfile] = &[
    ApplicationProfile {
        id: APPLICATION_PROFILE_ID,
        name: "claims-assistant",
        description: "Claims team assistant, tagged for cost allocation",
        model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
        copied_from: None,
        created_at: "2025-01-15T09:30:00Z",
    },
    ApplicationProfile {
        id: THINKING_APPLICATION_PROFILE_ID,
        name: "support-reasoning",
        description: "Support team assistant, copied from the US Claude Sonnet 4.5 profile",
        model: "anthropic.claude-sonnet-4-5-20250929-v1:0",
        copied_from: Some(&US),
        created_at: "2025-10-02T14:00:00Z",
    },
];

/// When the profiles were created, as Bedrock reports it (ISO 8601).
const PROFILES_CREATED_AT: &str = "2024-08-27T00:00:00Z";

pub fn model(id: &str) -> Option<&'static Model> {
    MODELS.iter().find(|m| m.id == id)
}

/// The model a system-defined inference profile (`us.anthropic...`) routes to.
pub fn system_profile_model(profile_id: &str) -> Option<&'static Model> {
    let (prefix, model_id) = profile_id.split_once('.')?;
    SYSTEM_PROFILES
        .iter()
        .find(|(geography, _)| geography.prefix == prefix)
        .filter(|(_, model_ids)| model_ids.contains(&model_id))
        .and_then(|_| model(model_id))
}

/// The model the application inference profile `id` routes to.
pub fn application_profile_model(id: &str) -> Option<&'static Model> {
    APPLICATION_PROFILES
        .iter()
        .find(|p| p.id == id)
        .map(|p| model(p.model).expect("application profiles route to catalogue models"))
}

pub fn foundation_model_arn(region: &str, model_id: &str) -> String {
    format!("arn:aws:bedrock:{region}::foundation-model/{model_id}")
}

/// The ARN of the application profile `id` in `region`.
pub fn application_profile_arn(region: &str, id: &str) -> String {
    format!("arn:aws:bedrock:{region}:{ACCOUNT_ID}:application-inference-profile/{id}")
}

impl Model {
    /// The `FoundationModelSummary` JSON.
    pub fn summary(&self, region: &str) -> Value {
        json!({
            "modelArn": foundation_model_arn(region, self.id),
            "modelId": self.id,
            "modelName": self.name,
            "providerName": self.provider,
            "inputModalities": self.input,
            "outputModalities": self.output,
            "responseStreamingSupported": self.streaming,
            "customizationsSupported": self.customizations,
            "inferenceTypesSupported": self.inference_types,
            "modelLifecycle": { "status": self.lifecycle },
        })
    }
}

/// One `InferenceProfileSummary`, with its type (`SYSTEM_DEFINED` or `APPLICATION`).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub profile_type: &'static str,
    pub summary: Value,
}

/// Every inference profile, system-defined ones first, in a stable order.
pub fn profiles(region: &str) -> Vec<Profile> {
    let mut profiles = Vec::new();
    for (geography, model_ids) in SYSTEM_PROFILES {
        for model_id in *model_ids {
            let model = model(model_id).expect("profiles route to catalogue models");
            let id = format!("{}.{model_id}", geography.prefix);
            let summary = json!({
                "inferenceProfileName": format!("{} {} {}", geography.label, model.provider, model.name),
                "description": format!(
                    "Routes requests to {} {} in {}.",
                    model.provider,
                    model.name,
                    listed(geography.regions)
                ),
                "createdAt": PROFILES_CREATED_AT,
                "updatedAt": PROFILES_CREATED_AT,
                "inferenceProfileArn": format!("arn:aws:bedrock:{region}:{ACCOUNT_ID}:inference-profile/{id}"),
                "models": geography
                    .regions
                    .iter()
                    .map(|r| json!({ "modelArn": foundation_model_arn(r, model_id) }))
                    .collect::<Vec<_>>(),
                "inferenceProfileId": id,
                "status": "ACTIVE",
                "type": "SYSTEM_DEFINED",
            });
            profiles.push(Profile {
                profile_type: "SYSTEM_DEFINED",
                summary,
            });
        }
    }
    for app in APPLICATION_PROFILES {
        let regions = match app.copied_from {
            Some(geography) => geography.regions.to_vec(),
            None => vec![region],
        };
        profiles.push(Profile {
            profile_type: "APPLICATION",
            summary: json!({
                "inferenceProfileName": app.name,
                "description": app.description,
                "createdAt": app.created_at,
                "updatedAt": app.created_at,
                "inferenceProfileArn": application_profile_arn(region, app.id),
                "models": regions
                    .iter()
                    .map(|r| json!({ "modelArn": foundation_model_arn(r, app.model) }))
                    .collect::<Vec<_>>(),
                "inferenceProfileId": app.id,
                "status": "ACTIVE",
                "type": "APPLICATION",
            }),
        });
    }
    profiles
}

/// `a, b and c`.
fn listed(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model_id;

    #[test]
    fn ids_are_unique_and_converse_stream_accepts_them() {
        let mut ids: Vec<String> = MODELS.iter().map(|m| m.id.to_owned()).collect();
        for profile in profiles("us-east-1") {
            ids.push(
                profile.summary["inferenceProfileId"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
            ids.push(
                profile.summary["inferenceProfileArn"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        ids.retain(|id| APPLICATION_PROFILES.iter().all(|app| app.id != id));
        for id in &ids {
            assert!(model_id::is_valid(id), "ConverseStream would refuse {id}");
        }
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate ids");
    }

    #[test]
    fn the_catalogue_has_what_discovery_must_filter() {
        let has = |f: &dyn Fn(&Model) -> bool| MODELS.iter().any(f);
        assert!(has(&|m| m.lifecycle == "LEGACY"));
        assert!(has(&|m| !m.streaming && m.output == TEXT));
        assert!(has(&|m| m.output == EMBEDDING && m.provider == "Amazon"));
        assert!(has(&|m| m.output == EMBEDDING && m.provider == "Cohere"));
        assert!(has(&|m| m.output == IMAGE));
        assert!(has(
            &|m| m.inference_types == PROFILE_ONLY && m.id.starts_with("anthropic.claude-sonnet-4")
        ));
        // Prompt caching at each documented minimum, and adaptive-only thinking.
        for min in [CLAUDE_CACHE, CLAUDE_LARGE_CACHE, NOVA_CACHE] {
            assert!(
                has(&|m| m.cache_min_tokens == min && m.streaming),
                "{min:?}"
            );
        }
        assert!(has(&|m| m.cache_min_tokens.is_none() && m.output == TEXT));
        assert!(has(&|m| m.adaptive_thinking_only
            && system_profile_model(&format!("global.{}", m.id)).is_some()));
        let providers: std::collections::BTreeSet<&str> =
            MODELS.iter().map(|m| m.provider).collect();
        for provider in [
            "Anthropic",
            "Amazon",
            "Meta",
            "Mistral AI",
            "Cohere",
            "DeepSeek",
            "AI21 Labs",
            "OpenAI",
        ] {
            assert!(providers.contains(provider), "{provider}");
        }
    }

    #[test]
    fn profiles_cover_every_geography_and_route_to_regional_models() {
        let profiles = profiles("us-east-1");
        for prefix in ["us.", "eu.", "apac.", "jp.", "au.", "global."] {
            assert!(
                profiles.iter().any(|p| p.summary["inferenceProfileId"]
                    .as_str()
                    .unwrap()
                    .starts_with(prefix)),
                "{prefix}"
            );
        }
        let eu = profiles
            .iter()
            .find(|p| p.summary["inferenceProfileId"] == "eu.amazon.nova-pro-v1:0")
            .unwrap();
        assert_eq!(
            eu.summary["models"][1]["modelArn"],
            "arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-pro-v1:0"
        );
        assert_eq!(eu.summary["inferenceProfileName"], "EU Amazon Nova Pro");
        assert_eq!(
            eu.summary["description"],
            "Routes requests to Amazon Nova Pro in eu-central-1, eu-west-1, eu-west-3 and eu-north-1."
        );
        let app: Vec<&Profile> = profiles
            .iter()
            .filter(|p| p.profile_type == "APPLICATION")
            .collect();
        assert_eq!(app.len(), 2);
        assert_eq!(
            app[0].summary["inferenceProfileArn"],
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123example"
        );
        // A copy of the US profile spans the US regions.
        assert_eq!(
            app[1].summary["models"][2]["modelArn"],
            "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
        );
        assert!(
            profiles.len() > 30,
            "enough profiles for several default pages"
        );
    }
}
