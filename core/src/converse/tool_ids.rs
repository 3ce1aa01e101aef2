//! Tool-call ids as Bedrock's models accept them.
//!
//! A gateway replays ids minted by whichever provider served earlier turns:
//! OpenAI's Responses API ids run to hundreds of characters with `|` in them,
//! others carry `.` or `:`. Bedrock's own shape (`ToolUseId`) allows
//! `[a-zA-Z0-9_.:-]{1,64}`, but Claude behind it refuses anything outside
//! `^[a-zA-Z0-9_-]+$`, so ids are held to the stricter rule for every model.
//!
//! The mapping is a pure function of the id, so a tool call and its result
//! map to the same id without any state shared between them or between
//! requests, and two different ids never meet: an id that already fits is
//! kept as it is; any other becomes its sanitised head plus a hash of the
//! whole original.

use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// Longest id accepted.
pub const MAX_LEN: usize = 64;
/// Hex digits of the hash that make a rewritten id unique (64 bits).
const HASH_HEX: usize = 16;

/// `id` as Bedrock accepts it: unchanged if it already fits.
pub fn bedrock_id(id: &str) -> Cow<'_, str> {
    if is_acceptable(id) {
        return Cow::Borrowed(id);
    }
    let head: String = id
        .chars()
        .map(|c| if is_allowed(c) { c } else { '_' })
        .take(MAX_LEN - HASH_HEX - 1)
        .collect();
    let head = if head.is_empty() {
        "call"
    } else {
        head.as_str()
    };
    let digest = Sha256::digest(id.as_bytes());
    let hash: String = digest
        .iter()
        .take(HASH_HEX / 2)
        .map(|b| format!("{b:02x}"))
        .collect();
    Cow::Owned(format!("{head}-{hash}"))
}

/// Fits `[a-zA-Z0-9_-]{1,64}`.
pub fn is_acceptable(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_LEN && id.chars().all(is_allowed)
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptable_ids_are_kept() {
        for id in [
            "toolu_01A09q90qw90lq917835lq9",
            "call-1",
            "a",
            &"x".repeat(64),
        ] {
            assert!(
                matches!(bedrock_id(id), Cow::Borrowed(same) if same == id),
                "{id}"
            );
        }
    }

    #[test]
    fn other_ids_are_rewritten_deterministically() {
        let openai = format!("fc_{}|call_{}", "a".repeat(200), "b".repeat(40));
        for id in [
            openai.as_str(),
            "call.1",
            "tooluse:abc",
            "",
            "ünï",
            &"x".repeat(65),
        ] {
            let mapped = bedrock_id(id);
            assert!(is_acceptable(&mapped), "{id} -> {mapped}");
            assert_eq!(mapped, bedrock_id(id), "same id, same mapping");
        }
        assert!(bedrock_id("call.1").starts_with("call_1-"));
        assert!(bedrock_id("").starts_with("call-"));
    }

    #[test]
    fn distinct_ids_stay_distinct() {
        // Same sanitised head, different originals.
        let (a, b) = (bedrock_id("call.1"), bedrock_id("call:1"));
        assert_ne!(a, b);
        let long_a = format!("{}a", "x".repeat(100));
        let long_b = format!("{}b", "x".repeat(100));
        assert_ne!(bedrock_id(&long_a), bedrock_id(&long_b));
        // A rewritten id cannot equal a kept one it did not come from.
        assert_ne!(bedrock_id("call_1"), bedrock_id("call.1"));
    }
}
