//! Prompt-cache points.
//!
//! Bedrock caches the prompt prefix that ends at a `cachePoint` block. Two
//! points cover what a gateway resends on every turn: one after the system
//! prompt (which, in Bedrock's order tools → system → messages, also covers
//! the tool definitions) and one at the end of the last user turn, so the
//! next turn reads the whole conversation so far from the cache. Bedrock
//! allows four per request.
//!
//! A model without prompt caching refuses the block, so none is placed for
//! it ([`PromptCache::Unsupported`]): caching is an optimisation, and the
//! request goes out without it. Long retention on a model that only offers
//! five minutes falls back to five minutes for the same reason. The TTL is
//! only written for one hour (`{"type": "default", "ttl": "1h"}`); five
//! minutes is the default and is left implicit, which every caching model
//! accepts (the `ttl` member is newer than the block). Both points carry the
//! same TTL, which satisfies Bedrock's rule that TTLs do not grow along the
//! prompt. Field names are botocore's `CachePointBlock` (`type`: `default`;
//! `ttl`: `5m` | `1h`).

use super::conversation::MessageJson;
use super::models::PromptCache;
use crate::types::CacheRetention;
use serde_json::{Value, json};

/// The block to place for `retention` on a model offering `offered`, if any.
pub fn cache_point(retention: Option<CacheRetention>, offered: PromptCache) -> Option<Value> {
    match (retention?, offered) {
        (CacheRetention::None, _) | (_, PromptCache::Unsupported) => None,
        (CacheRetention::Long, PromptCache::ShortAndLong) => {
            Some(json!({ "cachePoint": { "type": "default", "ttl": "1h" } }))
        }
        (CacheRetention::Short | CacheRetention::Long, _) => {
            Some(json!({ "cachePoint": { "type": "default" } }))
        }
    }
}

/// Places `point` after the system prompt (when there is one) and at the end
/// of the last user turn.
pub fn place(point: &Value, system: &mut Vec<Value>, messages: &mut [MessageJson]) {
    if !system.is_empty() {
        system.push(point.clone());
    }
    if let Some(last_user) = messages.iter_mut().rev().find(|m| m.role == "user") {
        last_user.content.push(point.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_per_retention_and_model() {
        let short = json!({"cachePoint": {"type": "default"}});
        let long = json!({"cachePoint": {"type": "default", "ttl": "1h"}});
        let cases = [
            (None, PromptCache::ShortAndLong, None),
            (Some(CacheRetention::None), PromptCache::ShortAndLong, None),
            (Some(CacheRetention::Short), PromptCache::Unsupported, None),
            (Some(CacheRetention::Long), PromptCache::Unsupported, None),
            (
                Some(CacheRetention::Short),
                PromptCache::Short,
                Some(&short),
            ),
            (
                Some(CacheRetention::Short),
                PromptCache::ShortAndLong,
                Some(&short),
            ),
            (Some(CacheRetention::Long), PromptCache::Short, Some(&short)),
            (
                Some(CacheRetention::Long),
                PromptCache::ShortAndLong,
                Some(&long),
            ),
        ];
        for (retention, offered, expected) in cases {
            assert_eq!(
                cache_point(retention, offered).as_ref(),
                expected,
                "{retention:?} on {offered:?}"
            );
        }
    }

    #[test]
    fn placed_after_system_and_last_user_turn() {
        let point = json!({"cachePoint": {"type": "default"}});
        let mut system = vec![json!({"text": "sys"})];
        let mut messages = vec![
            MessageJson {
                role: "user",
                content: vec![json!({"text": "a"})],
            },
            MessageJson {
                role: "assistant",
                content: vec![json!({"text": "b"})],
            },
            MessageJson {
                role: "user",
                content: vec![json!({"text": "c"})],
            },
            MessageJson {
                role: "assistant",
                content: vec![json!({"text": "prefill"})],
            },
        ];
        place(&point, &mut system, &mut messages);
        assert_eq!(system, [json!({"text": "sys"}), point.clone()]);
        assert_eq!(messages[0].content.len(), 1);
        assert_eq!(messages[2].content, [json!({"text": "c"}), point.clone()]);
        assert_eq!(messages[3].content.len(), 1);

        let mut no_system = Vec::new();
        place(&point, &mut no_system, &mut messages[..1]);
        assert!(no_system.is_empty(), "no system prompt, no point for it");
    }
}
