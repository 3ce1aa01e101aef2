//! A reasoning level as each model family takes it.
//!
//! The contract's five levels are a preference: a model with no reasoning
//! setting ([`Reasoning::Unsupported`], [`Reasoning::Builtin`]) gets the
//! request without one, so a gateway may set a level for every model. For
//! the others the level becomes `additionalModelRequestFields` and, where the
//! model requires it, changes to the inference settings:
//!
//! | level   | Claude budget | Claude adaptive effort | Nova 2 / gpt-oss effort |
//! |---------|---------------|------------------------|-------------------------|
//! | minimal | 1 024         | low                    | low                     |
//! | low     | 2 048         | low                    | low                     |
//! | medium  | 8 192         | medium                 | medium                  |
//! | high    | 16 384        | high                   | high                    |
//! | max     | 32 000        | max (Opus), else high  | high                    |
//!
//! The budgets are the gateway library's (`@mariozechner/pi-ai`: 1024, 2048,
//! 8192, 16384), plus 32 000 for `max`, Anthropic's suggested ceiling before
//! batch processing is advised. 1 024 is Claude's minimum budget.
//!
//! * Claude: thinking tokens count against `maxTokens`, so it is raised to
//!   the requested reply length (4 096 when unset) plus the budget, capped at
//!   the model's output limit; the budget shrinks first if the cap leaves
//!   less than 1 024 tokens for the reply. Thinking refuses a modified
//!   `temperature` or `topP`, so both are removed, and it refuses forced tool
//!   use, which is an `invalid-request` here rather than a ValidationException
//!   later. With tools, the Claude 4 budget models get the
//!   interleaved-thinking beta so they can think between tool calls; adaptive
//!   models interleave by themselves.
//! * Nova 2: `temperature` and `topP` must be unset with reasoning on, and
//!   `maxTokens` too at high effort (Nova 2 user guide, "Extended thinking";
//!   the same rule is applied by promptfoo's Bedrock provider).
//! * gpt-oss: `reasoning_effort` alone.

use super::models::{Capabilities, Reasoning};
use crate::error::Error;
use crate::types::ReasoningLevel;
use serde_json::{Map, Value, json};

/// Reply length assumed when the request sets no `max-tokens`.
pub const DEFAULT_REPLY_TOKENS: u32 = 4_096;
/// Least room kept for the reply when the output limit squeezes the budget.
pub const MIN_REPLY_TOKENS: u32 = 1_024;
/// Claude's smallest thinking budget.
pub const MIN_BUDGET_TOKENS: u32 = 1_024;
/// The beta that lets Claude 4 think between tool calls.
pub const INTERLEAVED_THINKING_BETA: &str = "interleaved-thinking-2025-05-14";

/// The inference settings a reasoning level may change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inference {
    pub max_tokens: Option<u32>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
}

/// What else about the request a level depends on.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context {
    /// Tools are sent with the request.
    pub has_tools: bool,
    /// The tool choice forces a tool call (`any` or a named tool).
    pub forces_tool: bool,
    /// The call goes to AWS GovCloud, whose Claude schema lacks `thinking.display`.
    pub govcloud: bool,
}

/// Claude's thinking budget for `level`.
pub fn budget_tokens(level: ReasoningLevel) -> u32 {
    match level {
        ReasoningLevel::Minimal => 1_024,
        ReasoningLevel::Low => 2_048,
        ReasoningLevel::Medium => 8_192,
        ReasoningLevel::High => 16_384,
        ReasoningLevel::Max => 32_000,
    }
}

/// Applies `level` for a model with `capabilities`: adjusts `inference` and
/// returns the fields to merge into `additionalModelRequestFields`.
pub fn apply(
    level: ReasoningLevel,
    capabilities: &Capabilities,
    context: Context,
    inference: &mut Inference,
) -> Result<Map<String, Value>, Error> {
    let mut fields = Map::new();
    match capabilities.reasoning {
        Reasoning::Unsupported | Reasoning::Builtin => {}
        Reasoning::ClaudeBudget { interleaved } => {
            refuse_forced_tool(context)?;
            let budget =
                claude_max_tokens(budget_tokens(level), capabilities.output_limit, inference);
            fields.insert(
                "thinking".into(),
                json!({ "type": "enabled", "budget_tokens": budget }),
            );
            if interleaved && context.has_tools {
                fields.insert("anthropic_beta".into(), json!([INTERLEAVED_THINKING_BETA]));
            }
        }
        Reasoning::ClaudeAdaptive {
            max_effort,
            omits_thinking,
        } => {
            refuse_forced_tool(context)?;
            // The budget table sizes the room left for thinking.
            claude_max_tokens(budget_tokens(level), capabilities.output_limit, inference);
            let mut thinking = json!({ "type": "adaptive" });
            if omits_thinking && !context.govcloud {
                thinking["display"] = json!("summarized");
            }
            let effort = match level {
                ReasoningLevel::Max if max_effort => "max",
                other => effort(other),
            };
            fields.insert("thinking".into(), thinking);
            fields.insert("output_config".into(), json!({ "effort": effort }));
        }
        Reasoning::NovaEffort => {
            let effort = effort(level);
            inference.temperature = None;
            inference.top_p = None;
            if effort == "high" {
                inference.max_tokens = None;
            }
            fields.insert(
                "reasoningConfig".into(),
                json!({ "type": "enabled", "maxReasoningEffort": effort }),
            );
        }
        Reasoning::OpenAiEffort => {
            fields.insert("reasoning_effort".into(), json!(effort(level)));
        }
    }
    Ok(fields)
}

/// Low, medium or high: what every effort-based model takes.
fn effort(level: ReasoningLevel) -> &'static str {
    match level {
        ReasoningLevel::Minimal | ReasoningLevel::Low => "low",
        ReasoningLevel::Medium => "medium",
        ReasoningLevel::High | ReasoningLevel::Max => "high",
    }
}

/// Makes room for thinking in `maxTokens` and drops the sampling settings
/// Claude refuses while thinking; returns the budget that fits.
fn claude_max_tokens(budget: u32, output_limit: Option<u32>, inference: &mut Inference) -> u32 {
    let budget = match output_limit {
        Some(limit) => budget
            .min(limit.saturating_sub(MIN_REPLY_TOKENS))
            .max(MIN_BUDGET_TOKENS),
        None => budget,
    };
    let wanted = inference
        .max_tokens
        .unwrap_or(DEFAULT_REPLY_TOKENS)
        .saturating_add(budget);
    inference.max_tokens = Some(output_limit.map_or(wanted, |limit| wanted.min(limit)));
    inference.temperature = None;
    inference.top_p = None;
    budget
}

fn refuse_forced_tool(context: Context) -> Result<(), Error> {
    if context.forces_tool {
        return Err(Error::InvalidRequest(
            "Claude cannot think and be forced to call a tool: use tool-choice `auto` (or `none`), or no reasoning level"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::converse::models::{PromptCache, capabilities};

    fn run(
        level: ReasoningLevel,
        model: &str,
        context: Context,
        inference: &mut Inference,
    ) -> Value {
        Value::Object(apply(level, &capabilities(model), context, inference).unwrap())
    }

    const SONNET_4: &str = "us.anthropic.claude-sonnet-4-20250514-v1:0";
    const SONNET_3_7: &str = "anthropic.claude-3-7-sonnet-20250219-v1:0";
    const OPUS_4: &str = "anthropic.claude-opus-4-20250514-v1:0";

    fn sampled(max_tokens: Option<u32>) -> Inference {
        Inference {
            max_tokens,
            temperature: Some(0.7),
            top_p: Some(0.9),
        }
    }

    #[test]
    fn claude_budgets_per_level() {
        for (level, budget) in [
            (ReasoningLevel::Minimal, 1024),
            (ReasoningLevel::Low, 2048),
            (ReasoningLevel::Medium, 8192),
            (ReasoningLevel::High, 16384),
            (ReasoningLevel::Max, 32000),
        ] {
            let mut inference = sampled(Some(1000));
            let fields = run(level, SONNET_4, Context::default(), &mut inference);
            assert_eq!(
                fields,
                json!({"thinking": {"type": "enabled", "budget_tokens": budget}}),
                "{level:?}"
            );
            assert_eq!(
                inference,
                Inference {
                    max_tokens: Some(1000 + budget),
                    temperature: None,
                    top_p: None
                }
            );
        }
    }

    #[test]
    fn claude_max_tokens_fit_the_output_limit() {
        // Opus 4 writes at most 32 000 tokens: the budget leaves 1 024 for the reply.
        let mut inference = sampled(None);
        let fields = run(
            ReasoningLevel::Max,
            OPUS_4,
            Context::default(),
            &mut inference,
        );
        assert_eq!(
            fields["thinking"]["budget_tokens"],
            32_000 - MIN_REPLY_TOKENS
        );
        assert_eq!(inference.max_tokens, Some(32_000));
        // Unset max-tokens: the default reply plus the budget.
        let mut inference = Inference::default();
        run(
            ReasoningLevel::Medium,
            SONNET_4,
            Context::default(),
            &mut inference,
        );
        assert_eq!(inference.max_tokens, Some(DEFAULT_REPLY_TOKENS + 8192));
        // Too long a reply is capped at the limit.
        let mut inference = sampled(Some(64_000));
        run(
            ReasoningLevel::High,
            SONNET_4,
            Context::default(),
            &mut inference,
        );
        assert_eq!(inference.max_tokens, Some(64_000));
        // An unknown limit caps nothing.
        let caps = Capabilities {
            output_limit: None,
            ..capabilities(SONNET_4)
        };
        let mut inference = sampled(Some(500));
        apply(
            ReasoningLevel::Low,
            &caps,
            Context::default(),
            &mut inference,
        )
        .unwrap();
        assert_eq!(inference.max_tokens, Some(2548));
    }

    #[test]
    fn interleaved_thinking_needs_tools_and_claude_4() {
        let tools = Context {
            has_tools: true,
            ..Context::default()
        };
        let fields = run(
            ReasoningLevel::Low,
            SONNET_4,
            tools,
            &mut Inference::default(),
        );
        assert_eq!(fields["anthropic_beta"], json!([INTERLEAVED_THINKING_BETA]));
        let fields = run(
            ReasoningLevel::Low,
            SONNET_4,
            Context::default(),
            &mut Inference::default(),
        );
        assert!(fields.get("anthropic_beta").is_none());
        let fields = run(
            ReasoningLevel::Low,
            SONNET_3_7,
            tools,
            &mut Inference::default(),
        );
        assert!(
            fields.get("anthropic_beta").is_none(),
            "Claude 3.7 has no interleaved thinking"
        );
        let fields = run(
            ReasoningLevel::Low,
            "anthropic.claude-opus-4-6-v1",
            tools,
            &mut Inference::default(),
        );
        assert!(
            fields.get("anthropic_beta").is_none(),
            "adaptive thinking interleaves by itself"
        );
    }

    #[test]
    fn adaptive_thinking_efforts() {
        let opus_4_6 = "global.anthropic.claude-opus-4-6-v1";
        for (level, effort) in [
            (ReasoningLevel::Minimal, "low"),
            (ReasoningLevel::Low, "low"),
            (ReasoningLevel::Medium, "medium"),
            (ReasoningLevel::High, "high"),
            (ReasoningLevel::Max, "max"),
        ] {
            let mut inference = sampled(Some(2000));
            let fields = run(level, opus_4_6, Context::default(), &mut inference);
            assert_eq!(
                fields,
                json!({"thinking": {"type": "adaptive"}, "output_config": {"effort": effort}})
            );
            assert_eq!(
                inference,
                Inference {
                    max_tokens: Some(2000 + budget_tokens(level)),
                    temperature: None,
                    top_p: None
                }
            );
        }
        let sonnet_4_6 = run(
            ReasoningLevel::Max,
            "anthropic.claude-sonnet-4-6",
            Context::default(),
            &mut Inference::default(),
        );
        assert_eq!(sonnet_4_6["output_config"]["effort"], "high");
        // Opus 4.7 omits thinking text unless asked; GovCloud has no such field.
        let opus_4_7 = "us.anthropic.claude-opus-4-7";
        let fields = run(
            ReasoningLevel::High,
            opus_4_7,
            Context::default(),
            &mut Inference::default(),
        );
        assert_eq!(
            fields["thinking"],
            json!({"type": "adaptive", "display": "summarized"})
        );
        let gov = Context {
            govcloud: true,
            ..Context::default()
        };
        let fields = run(
            ReasoningLevel::High,
            opus_4_7,
            gov,
            &mut Inference::default(),
        );
        assert_eq!(fields["thinking"], json!({"type": "adaptive"}));
    }

    #[test]
    fn claude_refuses_forced_tools_while_thinking() {
        let forced = Context {
            has_tools: true,
            forces_tool: true,
            govcloud: false,
        };
        for model in [SONNET_4, "anthropic.claude-opus-4-7"] {
            let Err(Error::InvalidRequest(m)) = apply(
                ReasoningLevel::Low,
                &capabilities(model),
                forced,
                &mut Inference::default(),
            ) else {
                panic!("{model}")
            };
            assert!(m.contains("tool-choice `auto`"), "{m}");
        }
        // Without thinking support there is nothing to refuse.
        assert!(
            apply(
                ReasoningLevel::Low,
                &capabilities("meta.llama3-70b-instruct-v1:0"),
                forced,
                &mut Inference::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn nova_2_reasoning() {
        let nova = "us.amazon.nova-2-lite-v1:0";
        let mut inference = sampled(Some(800));
        let fields = run(
            ReasoningLevel::Medium,
            nova,
            Context::default(),
            &mut inference,
        );
        assert_eq!(
            fields,
            json!({"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "medium"}})
        );
        assert_eq!(
            inference,
            Inference {
                max_tokens: Some(800),
                temperature: None,
                top_p: None
            }
        );
        let mut inference = sampled(Some(800));
        let fields = run(
            ReasoningLevel::Max,
            nova,
            Context::default(),
            &mut inference,
        );
        assert_eq!(fields["reasoningConfig"]["maxReasoningEffort"], "high");
        assert_eq!(
            inference,
            Inference::default(),
            "high effort takes no maxTokens"
        );
        let fields = run(
            ReasoningLevel::Minimal,
            nova,
            Context::default(),
            &mut Inference::default(),
        );
        assert_eq!(fields["reasoningConfig"]["maxReasoningEffort"], "low");
    }

    #[test]
    fn gpt_oss_effort() {
        let mut inference = sampled(Some(100));
        let fields = run(
            ReasoningLevel::High,
            "openai.gpt-oss-120b-1:0",
            Context::default(),
            &mut inference,
        );
        assert_eq!(fields, json!({"reasoning_effort": "high"}));
        assert_eq!(inference, sampled(Some(100)), "sampling settings stay");
    }

    #[test]
    fn models_without_a_setting_are_left_alone() {
        for model in [
            "us.deepseek.r1-v1:0",
            "meta.llama3-70b-instruct-v1:0",
            "amazon.nova-pro-v1:0",
            "unknown.model",
        ] {
            let mut inference = sampled(Some(100));
            let fields = run(
                ReasoningLevel::High,
                model,
                Context::default(),
                &mut inference,
            );
            assert_eq!(fields, json!({}), "{model}");
            assert_eq!(inference, sampled(Some(100)), "{model}");
        }
        assert_eq!(
            capabilities("amazon.nova-pro-v1:0").prompt_cache,
            PromptCache::Short
        );
    }
}
