//! What each model family accepts in a Converse request beyond the common
//! shape: how it takes a reasoning level, whether it verifies replayed
//! thinking signatures, and which prompt-cache retentions it offers.
//!
//! Bedrock answers a setting a model does not take with a ValidationException
//! (`extraneous key [thinking] is not permitted`, a refused `cachePoint`, a
//! refused `reasoningText.signature`), so the request mapping asks this table
//! before it adds one. A model the table does not know gets nothing extra: no
//! reasoning setting, no cache points, thinking replayed as plain text.
//!
//! Matching: the id is reduced to its family (ARN resource prefix, geography
//! prefix and `:N` suffixes dropped, through
//! [`known_models::family_id`](crate::discovery::known_models::family_id)),
//! then to a model name by dropping a trailing version (`-v1`) and release
//! date (`-20250514`): `us.anthropic.claude-sonnet-4-20250514-v1:0` is
//! `anthropic.claude-sonnet-4`. Names are matched exactly, so
//! `anthropic.claude-opus-4` never stands for `anthropic.claude-opus-4-5`;
//! a few rows match a whole family by prefix (`openai.gpt-oss-`).
//!
//! Sources (checked while writing this table; uncertain points are marked):
//!
//! * Claude extended thinking (`thinking: {type: enabled, budget_tokens}`):
//!   the Bedrock user guide's "Extended thinking" page (Claude 3.7 Sonnet,
//!   the Claude 4 family). Interleaved thinking between tool calls is a beta
//!   of the Claude 4 models only (`anthropic_beta:
//!   ["interleaved-thinking-2025-05-14"]`), not of Claude 3.7 Sonnet.
//! * Claude adaptive thinking (`thinking: {type: adaptive}` plus
//!   `output_config: {effort}`): the Bedrock user guide's "Adaptive thinking"
//!   page lists Claude Opus 4.6, Sonnet 4.6 and Opus 4.7; Opus 4.7 refuses
//!   `type: enabled`, and on 4.6 it is deprecated. Adaptive thinking
//!   interleaves by itself (no beta). The `max` effort is documented for the
//!   Opus models; whether Sonnet 4.6 takes it is not clear, so it gets `high`
//!   (uncertain). Opus 4.7 omits thinking text unless asked
//!   (`display: summarized`), per Anthropic's "What's new in Claude Opus 4.7".
//! * Prompt caching: the Bedrock user guide's "Prompt caching" page (Claude
//!   3.5 Haiku, 3.7 Sonnet, the Claude 4 family; Nova Micro, Lite, Pro and
//!   Premier). The one-hour TTL (`cachePoint.ttl: "1h"`, announced on
//!   2026-01-26) is documented for Claude Haiku 4.5, Sonnet 4.5 and Opus 4.5;
//!   the 4.6 and 4.7 models are taken to have it too (reported working by
//!   client projects; not on that page). Claude 3.5 Sonnet v2 had caching
//!   only as a closed preview and gets none. Nova 2 Lite: not documented,
//!   none (uncertain).
//! * Nova 2 reasoning (`reasoningConfig: {type: enabled, maxReasoningEffort:
//!   low|medium|high}`): the Nova 2 user guide, "Extended thinking".
//! * gpt-oss (`reasoning_effort: low|medium|high` as an additional field):
//!   the Bedrock user guide's "OpenAI models" page (fields other than the
//!   mapped ones go to `additionalModelRequestFields`).
//! * Models that reason on their own and take no setting (DeepSeek R1, Kimi
//!   K2 Thinking, Magistral, MiniMax M2): their Bedrock model cards document
//!   no switch. Other reasoning-capable models (DeepSeek V3.x, Qwen3, GLM)
//!   have no documented Converse switch either; a level is ignored for them.
//! * Sampling: Claude Opus 4.1 and the models after it refuse `temperature`
//!   and `topP` together ("temperature and top_p cannot both be specified",
//!   Anthropic's migration notes for the 4.5 models; for Opus 4.1 from client
//!   projects' reports, uncertain).
//! * Signatures: only Claude verifies replayed thinking; other models refuse
//!   the `signature` field ("This model doesn't support the
//!   reasoningContent.reasoningText.signature field", as reported by the
//!   gateway's own library, which replays accordingly).

use crate::discovery::known_models;

/// How a model takes a reasoning level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reasoning {
    /// No setting this plugin knows of: a requested level is ignored.
    Unsupported,
    /// The model reasons on every request; there is nothing to send.
    Builtin,
    /// Claude extended thinking with a token budget.
    ClaudeBudget {
        /// Takes the interleaved-thinking beta when tools are present.
        interleaved: bool,
    },
    /// Claude adaptive thinking steered by an effort.
    ClaudeAdaptive {
        /// Takes the `max` effort.
        max_effort: bool,
        /// Omits thinking text unless `display: summarized` is asked for.
        omits_thinking: bool,
    },
    /// Nova 2 `reasoningConfig` with `maxReasoningEffort`.
    NovaEffort,
    /// OpenAI open-weight models' `reasoning_effort`.
    OpenAiEffort,
}

/// Prompt-cache retentions a model offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptCache {
    /// Cache points are refused: none are placed.
    Unsupported,
    /// The default five minutes only.
    Short,
    /// Five minutes, or one hour with `ttl: "1h"`.
    ShortAndLong,
}

/// What the request mapping needs to know about one model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    pub reasoning: Reasoning,
    /// Replayed thinking keeps its signature (Claude checks it); otherwise
    /// thinking is replayed as plain text.
    pub verifies_signatures: bool,
    pub prompt_cache: PromptCache,
    /// Takes `temperature` or `topP`, not both.
    pub one_sampling_setting: bool,
    /// The model's output limit, when the discovery table knows it.
    pub output_limit: Option<u32>,
}

impl Capabilities {
    /// A model nobody described: nothing beyond the common shape.
    const UNKNOWN: Capabilities = Capabilities {
        reasoning: Reasoning::Unsupported,
        verifies_signatures: false,
        prompt_cache: PromptCache::Unsupported,
        one_sampling_setting: false,
        output_limit: None,
    };
}

/// How a row's name is compared with a model name.
#[derive(Clone, Copy)]
enum Match {
    Exact,
    Prefix,
}

use Match::{Exact, Prefix};
use PromptCache::{Short, ShortAndLong, Unsupported as NoCache};
use Reasoning::{Builtin, NovaEffort, OpenAiEffort, Unsupported as NoReasoning};

const BUDGET: Reasoning = Reasoning::ClaudeBudget { interleaved: false };
const BUDGET_INTERLEAVED: Reasoning = Reasoning::ClaudeBudget { interleaved: true };
const fn adaptive(max_effort: bool, omits_thinking: bool) -> Reasoning {
    Reasoning::ClaudeAdaptive {
        max_effort,
        omits_thinking,
    }
}

/// Takes `temperature` or `topP`, not both.
const ONE: bool = true;
const BOTH: bool = false;

/// `(name, how it matches, reasoning, prompt cache, sampling)`. Signatures
/// follow the vendor: every `anthropic.claude` model verifies them.
#[rustfmt::skip]
const TABLE: &[(&str, Match, Reasoning, PromptCache, bool)] = &[
    ("anthropic.claude",                 Exact,  NoReasoning,                NoCache,       BOTH),
    ("anthropic.claude-instant",         Exact,  NoReasoning,                NoCache,       BOTH),
    ("anthropic.claude-3-haiku",         Exact,  NoReasoning,                NoCache,       BOTH),
    ("anthropic.claude-3-sonnet",        Exact,  NoReasoning,                NoCache,       BOTH),
    ("anthropic.claude-3-opus",          Exact,  NoReasoning,                NoCache,       BOTH),
    ("anthropic.claude-3-5-sonnet",      Exact,  NoReasoning,                NoCache,       BOTH),
    ("anthropic.claude-3-5-haiku",       Exact,  NoReasoning,                Short,         BOTH),
    ("anthropic.claude-3-7-sonnet",      Exact,  BUDGET,                     Short,         BOTH),
    ("anthropic.claude-sonnet-4",        Exact,  BUDGET_INTERLEAVED,         Short,         BOTH),
    ("anthropic.claude-opus-4",          Exact,  BUDGET_INTERLEAVED,         Short,         BOTH),
    ("anthropic.claude-opus-4-1",        Exact,  BUDGET_INTERLEAVED,         Short,         ONE),
    ("anthropic.claude-sonnet-4-5",      Exact,  BUDGET_INTERLEAVED,         ShortAndLong,  ONE),
    ("anthropic.claude-haiku-4-5",       Exact,  BUDGET_INTERLEAVED,         ShortAndLong,  ONE),
    ("anthropic.claude-opus-4-5",        Exact,  BUDGET_INTERLEAVED,         ShortAndLong,  ONE),
    ("anthropic.claude-sonnet-4-6",      Exact,  adaptive(false, false),     ShortAndLong,  ONE),
    ("anthropic.claude-opus-4-6",        Exact,  adaptive(true, false),      ShortAndLong,  ONE),
    ("anthropic.claude-opus-4-7",        Exact,  adaptive(true, true),       ShortAndLong,  ONE),
    // A Claude model newer than this table: every Claude released since
    // Opus 4.6 takes adaptive thinking (the newest take nothing else),
    // five-minute caching and one sampling setting. Older ones are all
    // listed above.
    ("anthropic.claude-",                Prefix, adaptive(false, true),      Short,         ONE),
    ("amazon.nova-micro",                Exact,  NoReasoning,                Short,         BOTH),
    ("amazon.nova-lite",                 Exact,  NoReasoning,                Short,         BOTH),
    ("amazon.nova-pro",                  Exact,  NoReasoning,                Short,         BOTH),
    ("amazon.nova-premier",              Exact,  NoReasoning,                Short,         BOTH),
    ("amazon.nova-2-lite",               Exact,  NovaEffort,                 NoCache,       BOTH),
    ("amazon.nova-2-pro",                Exact,  NovaEffort,                 NoCache,       BOTH),
    ("openai.gpt-oss-",                  Prefix, OpenAiEffort,               NoCache,       BOTH),
    ("deepseek.r1",                      Exact,  Builtin,                    NoCache,       BOTH),
    ("moonshot.kimi-k2-thinking",        Exact,  Builtin,                    NoCache,       BOTH),
    ("mistral.magistral-small-2509",     Exact,  Builtin,                    NoCache,       BOTH),
    ("minimax.minimax-m2",               Exact,  Builtin,                    NoCache,       BOTH),
];

/// What `model_id` (a model id, an inference profile id or an ARN) accepts.
pub fn capabilities(model_id: &str) -> Capabilities {
    let name = model_name(known_models::family_id(model_id.trim()));
    let row = TABLE
        .iter()
        .filter(|(key, how, ..)| match how {
            Exact => name == *key,
            Prefix => name.starts_with(key),
        })
        // An exact row beats a prefix row; a longer prefix beats a shorter.
        .max_by_key(|(key, how, ..)| (matches!(how, Exact), key.len()));
    let Some((_, _, reasoning, prompt_cache, one_sampling_setting)) = row else {
        return Capabilities::UNKNOWN;
    };
    Capabilities {
        reasoning: *reasoning,
        verifies_signatures: name.starts_with("anthropic.claude"),
        prompt_cache: *prompt_cache,
        one_sampling_setting: *one_sampling_setting,
        output_limit: known_models::lookup(model_id).map(|spec| spec.max_tokens),
    }
}

/// A family id without its trailing version and release date, lowercased:
/// `anthropic.claude-opus-4-1-20250805-v1` → `anthropic.claude-opus-4-1`.
fn model_name(family: &str) -> String {
    let mut name = family.to_ascii_lowercase();
    let is_version = |s: &str| {
        s.strip_prefix('v')
            .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
    };
    let is_date = |s: &str| s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit());
    for strip in [is_version as fn(&str) -> bool, is_date] {
        if let Some((head, last)) = name.rsplit_once('-')
            && strip(last)
        {
            name.truncate(head.len());
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_drop_version_and_date() {
        for (family, name) in [
            (
                "anthropic.claude-opus-4-1-20250805-v1",
                "anthropic.claude-opus-4-1",
            ),
            ("anthropic.claude-opus-4-6-v1", "anthropic.claude-opus-4-6"),
            ("anthropic.claude-opus-4-7", "anthropic.claude-opus-4-7"),
            ("anthropic.claude-v2", "anthropic.claude"),
            ("amazon.nova-2-lite-v1", "amazon.nova-2-lite"),
            ("deepseek.r1-v1", "deepseek.r1"),
            ("openai.gpt-oss-120b-1", "openai.gpt-oss-120b-1"),
            (
                "Anthropic.Claude-3-5-Haiku-20241022-V1",
                "anthropic.claude-3-5-haiku",
            ),
        ] {
            assert_eq!(model_name(family), name, "{family}");
        }
    }

    #[test]
    fn profiles_and_arns_share_their_models_row() {
        let base = capabilities("anthropic.claude-sonnet-4-5-20250929-v1:0");
        for id in [
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "apac.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "ca.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
        ] {
            assert_eq!(capabilities(id), base, "{id}");
        }
        assert_eq!(base.reasoning, BUDGET_INTERLEAVED);
        assert_eq!(base.prompt_cache, ShortAndLong);
        assert!(base.verifies_signatures);
        assert_eq!(base.output_limit, Some(64_000));
    }

    #[test]
    fn claude_generations() {
        let reasoning = |id: &str| capabilities(id).reasoning;
        assert_eq!(
            reasoning("anthropic.claude-3-7-sonnet-20250219-v1:0"),
            BUDGET
        );
        assert_eq!(
            reasoning("anthropic.claude-opus-4-20250514-v1:0"),
            BUDGET_INTERLEAVED
        );
        assert_eq!(
            reasoning("anthropic.claude-opus-4-1-20250805-v1:0"),
            BUDGET_INTERLEAVED
        );
        assert_eq!(
            reasoning("us.anthropic.claude-opus-4-6-v1"),
            adaptive(true, false)
        );
        assert_eq!(
            reasoning("anthropic.claude-sonnet-4-6"),
            adaptive(false, false)
        );
        assert_eq!(
            reasoning("global.anthropic.claude-opus-4-7"),
            adaptive(true, true)
        );
        assert_eq!(
            reasoning("anthropic.claude-3-5-sonnet-20241022-v2:0"),
            NoReasoning
        );
        assert_eq!(reasoning("anthropic.claude-v2:1"), NoReasoning);
        // Newer than the table: adaptive, the only mode the newest models take.
        assert_eq!(
            reasoning("anthropic.claude-opus-5-v1:0"),
            adaptive(false, true)
        );
        assert_eq!(
            capabilities("anthropic.claude-opus-5-v1:0").prompt_cache,
            Short
        );
    }

    #[test]
    fn caching_per_family() {
        let cache = |id: &str| capabilities(id).prompt_cache;
        assert_eq!(cache("anthropic.claude-3-haiku-20240307-v1:0"), NoCache);
        assert_eq!(cache("anthropic.claude-3-5-sonnet-20241022-v2:0"), NoCache);
        assert_eq!(cache("anthropic.claude-3-5-haiku-20241022-v1:0"), Short);
        assert_eq!(cache("us.anthropic.claude-3-7-sonnet-20250219-v1:0"), Short);
        assert_eq!(cache("anthropic.claude-sonnet-4-20250514-v1:0"), Short);
        assert_eq!(
            cache("anthropic.claude-haiku-4-5-20251001-v1:0"),
            ShortAndLong
        );
        assert_eq!(cache("us.amazon.nova-pro-v1:0"), Short);
        assert_eq!(cache("amazon.nova-premier-v1:0"), Short);
        assert_eq!(cache("meta.llama3-3-70b-instruct-v1:0"), NoCache);
    }

    #[test]
    fn sampling_settings() {
        let one = |id: &str| capabilities(id).one_sampling_setting;
        assert!(!one("anthropic.claude-opus-4-20250514-v1:0"));
        assert!(!one("anthropic.claude-sonnet-4-20250514-v1:0"));
        assert!(one("anthropic.claude-opus-4-1-20250805-v1:0"));
        assert!(one("us.anthropic.claude-haiku-4-5-20251001-v1:0"));
        assert!(one("anthropic.claude-opus-4-7"));
        assert!(
            one("anthropic.claude-sonnet-5-v1:0"),
            "newer than the table"
        );
        assert!(!one("amazon.nova-pro-v1:0"));
    }

    #[test]
    fn other_reasoning_models() {
        assert_eq!(
            capabilities("us.amazon.nova-2-lite-v1:0").reasoning,
            NovaEffort
        );
        assert_eq!(
            capabilities("openai.gpt-oss-120b-1:0").reasoning,
            OpenAiEffort
        );
        assert_eq!(
            capabilities("openai.gpt-oss-safeguard-20b").reasoning,
            OpenAiEffort
        );
        assert_eq!(capabilities("us.deepseek.r1-v1:0").reasoning, Builtin);
        assert!(!capabilities("us.deepseek.r1-v1:0").verifies_signatures);
        assert_eq!(capabilities("deepseek.v3-v1:0").reasoning, NoReasoning);
    }

    #[test]
    fn unknown_models_get_nothing_extra() {
        for id in [
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
            "vendor.some-thinking-model-v1:0",
            "",
            "anthropic",
        ] {
            assert_eq!(capabilities(id), Capabilities::UNKNOWN, "{id}");
        }
    }
}
