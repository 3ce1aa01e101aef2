//! What Bedrock's APIs do not say about a model: context window, output
//! limit, reasoning support, the inputs Converse takes, and the price.
//!
//! Bedrock has no API for token limits or prices, so this table fills them
//! in. Sources: the AWS Bedrock pricing page (on-demand, standard tier,
//! US East (N. Virginia), USD per million tokens) and the providers' model
//! cards, cross-checked against the models.dev catalogue as the gateway's own
//! model library ships it (`@mariozechner/pi-ai` 0.73.1,
//! `models.generated.js`). Where they disagree, the provider's model card
//! wins (Claude 3.7 Sonnet: extended thinking, 64K output; gpt-oss and Nova 2
//! Lite: a reasoning setting; Nova Premier and Palmyra: none documented), and
//! where it is silent the lower output limit is kept (too low truncates a
//! reply; too high is refused by Bedrock). Reasoning is claimed only for
//! models that take a thinking or reasoning setting through Converse. A
//! model that is not here falls back to the discovery defaults
//! (`defaultContextWindow`, `defaultMaxTokens`), no reasoning, the modalities
//! ListFoundationModels reports, and a zero cost.
//!
//! Prices are the base on-demand ones: geographic cross-region profiles of
//! some newer models cost about 10% more than `global.` ones, which this table
//! does not model. Cache prices are zero where Bedrock offers no prompt caching
//! for the model.
//!
//! Matching: a model id is reduced to its family key by dropping an ARN's
//! resource prefix (`...:foundation-model/`), a geography prefix (`us.`,
//! `eu.`, `apac.`, `ap.`, `jp.`, `au.`, `ca.`, `us-gov.`, `global.`) and
//! everything from the first `:` (`:0`, `:2:200k`). A table key then matches
//! that id exactly, or as a prefix followed by `-` and a release date
//! (`-20250514`) or version (`-v1`): `anthropic.claude-opus-4` covers
//! `anthropic.claude-opus-4-20250514-v1:0` but not `anthropic.claude-opus-4-1-...`
//! nor a future `anthropic.claude-opus-4-9`, which gets the defaults rather
//! than another model's price. The longest matching key wins.
//!
//! Context-length variants (`anthropic.claude-3-haiku-20240307-v1:0:200k`,
//! `amazon.nova-pro-v1:0:24k`) are provisioned-throughput variants; their
//! `:Nk` suffix states their window, which then replaces the table's.

use crate::types::{InputModality, ModelCost};

/// Prefixes of cross-region (geographic and global) inference profile ids.
pub const GEOGRAPHIES: [&str; 9] = [
    "us", "eu", "apac", "ap", "jp", "au", "ca", "us-gov", "global",
];

/// What the table knows about one model family.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub context_window: u32,
    pub max_tokens: u32,
    pub reasoning: bool,
    pub input: &'static [InputModality],
    pub cost: ModelCost,
}

use InputModality::{Document as DOC, Image as IMG, Text as TXT, Video as VID};

const TEXT: &[InputModality] = &[TXT];
const VISION: &[InputModality] = &[TXT, IMG];
/// Claude reads images and, through Converse, documents (PDF and the rest).
const CLAUDE: &[InputModality] = &[TXT, IMG, DOC];
const CLAUDE_TEXT: &[InputModality] = &[TXT, DOC];
/// Nova Lite, Pro and Premier also read documents and video.
const NOVA: &[InputModality] = &[TXT, IMG, DOC, VID];

const fn cost(input: f64, output: f64, cache_read: f64, cache_write: f64) -> ModelCost {
    ModelCost {
        input,
        output,
        cache_read,
        cache_write,
    }
}

/// `(key, context window, output limit, reasoning, inputs, cost)`.
type Row = (
    &'static str,
    u32,
    u32,
    bool,
    &'static [InputModality],
    ModelCost,
);

#[rustfmt::skip]
const TABLE: &[Row] = &[
    // Anthropic. Output limits from Anthropic's model overview; Claude 3 Haiku,
    // Sonnet and Opus have no prompt caching on Bedrock.
    ("anthropic.claude-3-haiku",          200_000,   4_096, false, VISION, cost(0.25, 1.25, 0.0, 0.0)),
    ("anthropic.claude-3-sonnet",         200_000,   4_096, false, VISION, cost(3.0, 15.0, 0.0, 0.0)),
    ("anthropic.claude-3-opus",           200_000,   4_096, false, VISION, cost(15.0, 75.0, 0.0, 0.0)),
    // Claude 3.5 Haiku takes text only on Bedrock.
    ("anthropic.claude-3-5-haiku",        200_000,   8_192, false, CLAUDE_TEXT, cost(0.8, 4.0, 0.08, 1.0)),
    ("anthropic.claude-3-5-sonnet",       200_000,   8_192, false, CLAUDE, cost(3.0, 15.0, 0.3, 3.75)),
    // Claude 3.7 Sonnet introduced extended thinking (64K output with it).
    ("anthropic.claude-3-7-sonnet",       200_000,  64_000, true,  CLAUDE, cost(3.0, 15.0, 0.3, 3.75)),
    ("anthropic.claude-sonnet-4",         200_000,  64_000, true,  CLAUDE, cost(3.0, 15.0, 0.3, 3.75)),
    ("anthropic.claude-sonnet-4-5",       200_000,  64_000, true,  CLAUDE, cost(3.0, 15.0, 0.3, 3.75)),
    ("anthropic.claude-sonnet-4-6",     1_000_000,  64_000, true,  CLAUDE, cost(3.0, 15.0, 0.3, 3.75)),
    ("anthropic.claude-haiku-4-5",        200_000,  64_000, true,  CLAUDE, cost(1.0, 5.0, 0.1, 1.25)),
    ("anthropic.claude-opus-4",           200_000,  32_000, true,  CLAUDE, cost(15.0, 75.0, 1.5, 18.75)),
    ("anthropic.claude-opus-4-1",         200_000,  32_000, true,  CLAUDE, cost(15.0, 75.0, 1.5, 18.75)),
    ("anthropic.claude-opus-4-5",         200_000,  64_000, true,  CLAUDE, cost(5.0, 25.0, 0.5, 6.25)),
    ("anthropic.claude-opus-4-6",       1_000_000, 128_000, true,  CLAUDE, cost(5.0, 25.0, 0.5, 6.25)),
    ("anthropic.claude-opus-4-7",       1_000_000, 128_000, true,  CLAUDE, cost(5.0, 25.0, 0.5, 6.25)),
    // Amazon. Nova cache reads cost a quarter of the input price; cache
    // writes are not charged.
    ("amazon.nova-micro",                 128_000,   8_192, false, TEXT,   cost(0.035, 0.14, 0.00875, 0.0)),
    ("amazon.nova-lite",                  300_000,   8_192, false, NOVA,   cost(0.06, 0.24, 0.015, 0.0)),
    ("amazon.nova-pro",                   300_000,   8_192, false, NOVA,   cost(0.8, 3.2, 0.2, 0.0)),
    ("amazon.nova-premier",             1_000_000,  16_384, false, NOVA,   cost(2.5, 12.5, 0.0, 0.0)),
    // Nova 2 Lite takes an extended-thinking setting (reasoningConfig).
    ("amazon.nova-2-lite",                128_000,   4_096, true,  NOVA,   cost(0.33, 2.75, 0.0, 0.0)),
    ("amazon.titan-text-lite",              4_096,   4_096, false, TEXT,   cost(0.15, 0.2, 0.0, 0.0)),
    ("amazon.titan-text-express",           8_192,   8_192, false, TEXT,   cost(0.2, 0.6, 0.0, 0.0)),
    ("amazon.titan-text-premier",          32_000,   3_072, false, TEXT,   cost(0.5, 1.5, 0.0, 0.0)),
    // Meta.
    ("meta.llama3-8b-instruct",             8_192,   2_048, false, TEXT,   cost(0.3, 0.6, 0.0, 0.0)),
    ("meta.llama3-70b-instruct",            8_192,   2_048, false, TEXT,   cost(2.65, 3.5, 0.0, 0.0)),
    ("meta.llama3-1-8b-instruct",         128_000,   4_096, false, TEXT,   cost(0.22, 0.22, 0.0, 0.0)),
    ("meta.llama3-1-70b-instruct",        128_000,   4_096, false, TEXT,   cost(0.72, 0.72, 0.0, 0.0)),
    ("meta.llama3-1-405b-instruct",       128_000,   4_096, false, TEXT,   cost(2.4, 2.4, 0.0, 0.0)),
    ("meta.llama3-2-1b-instruct",         131_000,   4_096, false, TEXT,   cost(0.1, 0.1, 0.0, 0.0)),
    ("meta.llama3-2-3b-instruct",         131_000,   4_096, false, TEXT,   cost(0.15, 0.15, 0.0, 0.0)),
    ("meta.llama3-2-11b-instruct",        128_000,   4_096, false, VISION, cost(0.16, 0.16, 0.0, 0.0)),
    ("meta.llama3-2-90b-instruct",        128_000,   4_096, false, VISION, cost(0.72, 0.72, 0.0, 0.0)),
    ("meta.llama3-3-70b-instruct",        128_000,   4_096, false, TEXT,   cost(0.72, 0.72, 0.0, 0.0)),
    ("meta.llama4-scout-17b-instruct",  3_500_000,  16_384, false, VISION, cost(0.17, 0.66, 0.0, 0.0)),
    ("meta.llama4-maverick-17b-instruct", 1_000_000, 16_384, false, VISION, cost(0.24, 0.97, 0.0, 0.0)),
    // Mistral AI.
    ("mistral.mistral-7b-instruct",        32_000,   8_192, false, TEXT,   cost(0.15, 0.2, 0.0, 0.0)),
    ("mistral.mixtral-8x7b-instruct",      32_000,   4_096, false, TEXT,   cost(0.45, 0.7, 0.0, 0.0)),
    ("mistral.mistral-small-2402",         32_000,   8_192, false, TEXT,   cost(1.0, 3.0, 0.0, 0.0)),
    ("mistral.mistral-large-2402",         32_000,   8_192, false, TEXT,   cost(4.0, 12.0, 0.0, 0.0)),
    ("mistral.mistral-large-2407",        128_000,   8_192, false, TEXT,   cost(2.0, 6.0, 0.0, 0.0)),
    ("mistral.pixtral-large-2502",        128_000,   8_192, false, VISION, cost(2.0, 6.0, 0.0, 0.0)),
    ("mistral.mistral-large-3-675b-instruct", 256_000, 8_192, false, VISION, cost(0.5, 1.5, 0.0, 0.0)),
    ("mistral.magistral-small-2509",      128_000,  40_000, true,  VISION, cost(0.5, 1.5, 0.0, 0.0)),
    ("mistral.devstral-2-123b",           256_000,   8_192, false, TEXT,   cost(0.4, 2.0, 0.0, 0.0)),
    ("mistral.ministral-3-3b-instruct",   256_000,   8_192, false, VISION, cost(0.1, 0.1, 0.0, 0.0)),
    ("mistral.ministral-3-8b-instruct",   128_000,   4_096, false, TEXT,   cost(0.15, 0.15, 0.0, 0.0)),
    ("mistral.ministral-3-14b-instruct",  128_000,   4_096, false, TEXT,   cost(0.2, 0.2, 0.0, 0.0)),
    // Cohere.
    ("cohere.command-r",                  128_000,   4_096, false, TEXT,   cost(0.5, 1.5, 0.0, 0.0)),
    ("cohere.command-r-plus",             128_000,   4_096, false, TEXT,   cost(3.0, 15.0, 0.0, 0.0)),
    // DeepSeek.
    ("deepseek.r1",                       128_000,  32_768, true,  TEXT,   cost(1.35, 5.4, 0.0, 0.0)),
    ("deepseek.v3",                       163_840,  81_920, true,  TEXT,   cost(0.58, 1.68, 0.0, 0.0)),
    ("deepseek.v3.2",                     163_840,  81_920, true,  TEXT,   cost(0.62, 1.85, 0.0, 0.0)),
    // AI21 Labs.
    ("ai21.jamba-instruct",               256_000,   4_096, false, TEXT,   cost(0.5, 0.7, 0.0, 0.0)),
    ("ai21.jamba-1-5-mini",               256_000,   4_096, false, TEXT,   cost(0.2, 0.4, 0.0, 0.0)),
    ("ai21.jamba-1-5-large",              256_000,   4_096, false, TEXT,   cost(2.0, 8.0, 0.0, 0.0)),
    // OpenAI open-weight models take a reasoning effort.
    ("openai.gpt-oss-20b-1",              128_000,   4_096, true,  TEXT,   cost(0.07, 0.3, 0.0, 0.0)),
    ("openai.gpt-oss-120b-1",             128_000,   4_096, true,  TEXT,   cost(0.15, 0.6, 0.0, 0.0)),
    ("openai.gpt-oss-safeguard-20b",      128_000,   4_096, true,  TEXT,   cost(0.07, 0.2, 0.0, 0.0)),
    ("openai.gpt-oss-safeguard-120b",     128_000,   4_096, true,  TEXT,   cost(0.15, 0.6, 0.0, 0.0)),
    // Qwen: the 2507 releases and the coders are the non-thinking variants.
    ("qwen.qwen3-32b",                     16_384,  16_384, true,  TEXT,   cost(0.15, 0.6, 0.0, 0.0)),
    ("qwen.qwen3-235b-a22b-2507",         262_144, 131_072, false, TEXT,   cost(0.22, 0.88, 0.0, 0.0)),
    ("qwen.qwen3-coder-30b-a3b",          262_144, 131_072, false, TEXT,   cost(0.15, 0.6, 0.0, 0.0)),
    ("qwen.qwen3-coder-480b-a35b",        131_072,  65_536, false, TEXT,   cost(0.22, 1.8, 0.0, 0.0)),
    ("qwen.qwen3-next-80b-a3b",           262_000, 262_000, false, TEXT,   cost(0.14, 1.4, 0.0, 0.0)),
    ("qwen.qwen3-vl-235b-a22b",           262_000, 262_000, false, VISION, cost(0.3, 1.5, 0.0, 0.0)),
    // Writer: no reasoning setting documented (the catalogue says otherwise).
    ("writer.palmyra-x4",                 122_880,   8_192, false, TEXT,   cost(2.5, 10.0, 0.0, 0.0)),
    ("writer.palmyra-x5",               1_040_000,   8_192, false, TEXT,   cost(0.6, 6.0, 0.0, 0.0)),
    // Others on Bedrock today.
    ("google.gemma-3-4b-it",              128_000,   4_096, false, VISION, cost(0.04, 0.08, 0.0, 0.0)),
    ("google.gemma-3-27b-it",             202_752,   8_192, false, VISION, cost(0.12, 0.2, 0.0, 0.0)),
    ("minimax.minimax-m2",                204_608, 128_000, true,  TEXT,   cost(0.3, 1.2, 0.0, 0.0)),
    ("moonshot.kimi-k2-thinking",         256_000, 256_000, true,  TEXT,   cost(0.6, 2.5, 0.0, 0.0)),
    ("nvidia.nemotron-nano-9b-v2",        128_000,   4_096, false, TEXT,   cost(0.06, 0.23, 0.0, 0.0)),
    ("nvidia.nemotron-nano-12b-v2",       128_000,   4_096, false, VISION, cost(0.2, 0.6, 0.0, 0.0)),
    ("zai.glm-4.7",                       204_800, 131_072, true,  TEXT,   cost(0.6, 2.2, 0.0, 0.0)),
];

/// What the table says about `model_id` (a model id, a profile id or an
/// ARN), or `None` for a model it does not know.
pub fn lookup(model_id: &str) -> Option<Spec> {
    let family = family_id(model_id);
    let (_, context_window, max_tokens, reasoning, input, cost) = TABLE
        .iter()
        .filter(|row| key_matches(row.0, family))
        .max_by_key(|row| row.0.len())?;
    Some(Spec {
        context_window: context_length_variant(model_id).unwrap_or(*context_window),
        max_tokens: *max_tokens,
        reasoning: *reasoning,
        input,
        cost: *cost,
    })
}

/// The cross-region geography a profile id starts with (`us`, `global`, ...).
pub fn geography(model_id: &str) -> Option<&'static str> {
    let (first, rest) = model_id.split_once('.')?;
    // `provider.model` has one dot too: a prefix needs a full id after it.
    if !rest.contains('.') {
        return None;
    }
    GEOGRAPHIES.iter().copied().find(|g| *g == first)
}

/// `model_id` without ARN prefix, geography prefix or `:` suffixes.
pub fn family_id(model_id: &str) -> &str {
    let id = model_id.rsplit_once('/').map_or(model_id, |(_, id)| id);
    let id = match geography(id) {
        Some(geo) => &id[geo.len() + 1..],
        None => id,
    };
    id.split(':').next().unwrap_or(id)
}

/// `key` names the family of `family`: equal, or followed by a date or a
/// version segment.
fn key_matches(key: &str, family: &str) -> bool {
    let Some(rest) = family.strip_prefix(key) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('-') else {
        return rest.is_empty();
    };
    let segment = rest.split('-').next().unwrap_or_default();
    let is_date = segment.len() == 8 && segment.bytes().all(|b| b.is_ascii_digit());
    let is_version = segment
        .strip_prefix('v')
        .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()));
    is_date || is_version
}

/// The window a `:Nk` suffix states, in tokens.
fn context_length_variant(model_id: &str) -> Option<u32> {
    let id = model_id.rsplit_once('/').map_or(model_id, |(_, id)| id);
    id.split(':').skip(1).find_map(|part| {
        let thousands = part.strip_suffix('k')?;
        if thousands.is_empty() || !thousands.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        thousands.parse::<u32>().ok()?.checked_mul(1000)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reduce_to_their_family() {
        for (id, family) in [
            (
                "anthropic.claude-3-haiku-20240307-v1:0",
                "anthropic.claude-3-haiku-20240307-v1",
            ),
            (
                "us.anthropic.claude-sonnet-4-20250514-v1:0",
                "anthropic.claude-sonnet-4-20250514-v1",
            ),
            (
                "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
                "anthropic.claude-3-haiku-20240307-v1",
            ),
            (
                "global.anthropic.claude-haiku-4-5-20251001-v1:0",
                "anthropic.claude-haiku-4-5-20251001-v1",
            ),
            (
                "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b-instruct-v1:0",
                "meta.llama3-8b-instruct-v1",
            ),
            (
                "arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-pro-v1:0",
                "amazon.nova-pro-v1",
            ),
            ("amazon.nova-pro-v1:0:300k", "amazon.nova-pro-v1"),
            ("deepseek.v3.2", "deepseek.v3.2"),
            ("us.deepseek.v3.2", "deepseek.v3.2"),
            ("us.anthropic", "us.anthropic"),
        ] {
            assert_eq!(family_id(id), family, "{id}");
        }
        assert_eq!(geography("apac.amazon.nova-lite-v1:0"), Some("apac"));
        assert_eq!(geography("anthropic.claude-v2:1"), None);
        assert_eq!(geography("deepseek.v3.2"), None);
    }

    #[test]
    fn keys_match_dates_and_versions_only() {
        let window = |id| lookup(id).map(|s| (s.context_window, s.max_tokens));
        assert_eq!(
            window("anthropic.claude-opus-4-20250514-v1:0"),
            Some((200_000, 32_000))
        );
        assert_eq!(
            window("anthropic.claude-opus-4-5-20251101-v1:0"),
            Some((200_000, 64_000))
        );
        assert_eq!(
            window("anthropic.claude-opus-4-6-v1"),
            Some((1_000_000, 128_000))
        );
        assert_eq!(
            window("anthropic.claude-opus-4-9-20270101-v1:0"),
            None,
            "no borrowed price"
        );
        assert_eq!(window("cohere.command-r-plus-v1:0").unwrap().0, 128_000);
        assert_eq!(
            lookup("cohere.command-r-plus-v1:0").unwrap().cost.input,
            3.0,
            "longest key wins"
        );
        assert_eq!(lookup("cohere.command-r-v1:0").unwrap().cost.input, 0.5);
        assert_eq!(
            window("mistral.mistral-7b-instruct-v0:2"),
            Some((32_000, 8_192))
        );
        assert_eq!(window("openai.gpt-oss-120b-1:0"), Some((128_000, 4_096)));
        assert_eq!(lookup("deepseek.v3.2").unwrap().cost.input, 0.62);
        assert_eq!(lookup("deepseek.v3-v1:0").unwrap().cost.input, 0.58);
        assert_eq!(window("amazon.titan-embed-text-v2:0"), None);
        assert_eq!(
            window("anthropic.claude-3-5-sonnet-20241022-v2:0"),
            Some((200_000, 8_192))
        );
    }

    #[test]
    fn profiles_and_arns_share_their_base_models_entry() {
        let base = lookup("anthropic.claude-sonnet-4-5-20250929-v1:0").unwrap();
        for id in [
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/au.anthropic.claude-sonnet-4-5-20250929-v1:0",
        ] {
            assert_eq!(lookup(id).as_ref(), Some(&base), "{id}");
        }
        assert!(base.reasoning);
        assert_eq!(
            base.input,
            [
                InputModality::Text,
                InputModality::Image,
                InputModality::Document
            ]
        );
        assert_eq!(base.cost, cost(3.0, 15.0, 0.3, 3.75));
    }

    #[test]
    fn reasoning_comes_from_the_table() {
        assert!(
            lookup("anthropic.claude-3-7-sonnet-20250219-v1:0")
                .unwrap()
                .reasoning
        );
        assert!(
            !lookup("anthropic.claude-3-5-sonnet-20240620-v1:0")
                .unwrap()
                .reasoning
        );
        assert!(lookup("deepseek.r1-v1:0").unwrap().reasoning);
        assert!(!lookup("amazon.nova-pro-v1:0").unwrap().reasoning);
        assert_eq!(
            lookup("vendor.some-thinking-reasoning-model-v1:0"),
            None,
            "names decide nothing"
        );
    }

    #[test]
    fn context_length_variants_state_their_window() {
        assert_eq!(
            lookup("anthropic.claude-3-haiku-20240307-v1:0:48k")
                .unwrap()
                .context_window,
            48_000
        );
        assert_eq!(
            lookup("anthropic.claude-3-haiku-20240307-v1:0:200k")
                .unwrap()
                .context_window,
            200_000
        );
        assert_eq!(
            lookup("amazon.nova-pro-v1:0").unwrap().context_window,
            300_000
        );
        assert_eq!(
            context_length_variant("meta.llama3-2-11b-instruct-v1:0:mm"),
            None
        );
        assert_eq!(context_length_variant("x.y-v1:0:k"), None);
    }

    #[test]
    fn the_table_is_sane() {
        for row in TABLE {
            let (key, window, max_tokens, _, input, cost) = row;
            assert!(key.contains('.') && !key.contains(':'), "{key}");
            assert!(geography(key).is_none(), "{key} must not carry a geography");
            assert!(*max_tokens <= *window && *max_tokens > 0, "{key}");
            assert!(input.contains(&InputModality::Text), "{key}");
            assert!(cost.input > 0.0 && cost.output > 0.0, "{key}");
            assert!(cost.cache_read <= cost.input, "{key}");
            assert_eq!(
                TABLE.iter().filter(|r| r.0 == *key).count(),
                1,
                "{key} twice"
            );
        }
    }
}
