//! Bedrock's prompt cache, kept per emulator.
//!
//! For a model that offers caching ([`Model::cache_min_tokens`]), a `cachePoint` block in
//! the tools, the system prompt or a message makes the prompt before it (in Bedrock's
//! reading order: tools, system, messages) cacheable for the point's TTL (`5m` by
//! default, `1h` when asked). The first request with that prefix writes it
//! (`cacheWriteInputTokens`, and `cacheDetails` per TTL); a later request whose prompt
//! starts with a live cached prefix reads it (`cacheReadInputTokens`) and refreshes its
//! TTL. As with Claude, a cache point also finds a prefix cached at any of the
//! [`LOOKBACK_BLOCKS`] block boundaries before it, which is how a conversation whose
//! newest turn carries the point reads the turns cached by the previous request. A prefix
//! shorter than the model's minimum is not cached and costs full price. `inputTokens`
//! counts only what was neither read nor written, and `totalTokens` counts all of it, as
//! Bedrock reports usage.
//!
//! Token counts are the emulator's own (see [`PromptBlock::tokens`]), so usage is
//! deterministic; a prefix is identified by a SHA-256 chain over its blocks, so any
//! change before a cache point (one word, one tool, a block's role) is a miss.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::catalogue::Model;
use crate::converse::{PromptBlock, Role, Section};

/// How many block boundaries before a cache point are searched for a cached prefix
/// (Anthropic's "Prompt caching": the automatic prefix check looks back about 20 blocks).
const LOOKBACK_BLOCKS: usize = 20;

/// A cache point's time to live (`CachePointBlock.ttl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ttl {
    OneHour,
    FiveMinutes,
}

impl Ttl {
    /// A cache point's TTL: `1h` when it says so, else Bedrock's default of five minutes.
    fn of(point: &serde_json::Value) -> Self {
        match point.get("ttl").and_then(|ttl| ttl.as_str()) {
            Some("1h") => Self::OneHour,
            _ => Self::FiveMinutes,
        }
    }

    fn duration(self) -> Duration {
        match self {
            Self::OneHour => Duration::from_secs(60 * 60),
            Self::FiveMinutes => Duration::from_secs(5 * 60),
        }
    }

    /// The name Bedrock's `cacheDetails` use.
    pub fn name(self) -> &'static str {
        match self {
            Self::OneHour => "1h",
            Self::FiveMinutes => "5m",
        }
    }
}

/// What a request's input costs: the metadata event's input side of `usage`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputUsage {
    /// Tokens neither read from nor written to the cache.
    pub input_tokens: usize,
    pub cache_read_tokens: usize,
    /// Tokens written, per TTL, longest TTL first (Bedrock sorts `cacheDetails` so).
    pub cache_writes: Vec<(Ttl, usize)>,
    /// The model offers caching and the request has a cache point: the cache fields are
    /// reported, zero or not.
    pub cacheable: bool,
}

impl InputUsage {
    /// A request no cache applies to.
    pub fn uncached(input_tokens: usize) -> Self {
        Self {
            input_tokens,
            ..Self::default()
        }
    }

    pub fn cache_write_tokens(&self) -> usize {
        self.cache_writes.iter().map(|(_, tokens)| tokens).sum()
    }
}

/// A boundary between two blocks of the prompt: the key of everything before it and its
/// tokens.
struct Boundary {
    key: [u8; 32],
    tokens: usize,
}

/// A cache point: the boundary it closes and its TTL.
struct Point {
    boundary: usize,
    ttl: Ttl,
}

/// The prompt as the cache sees it.
struct Prefixes {
    /// `boundaries[i]` follows the first `i` blocks (cache points aside).
    boundaries: Vec<Boundary>,
    points: Vec<Point>,
}

impl Prefixes {
    fn of(model: &Model, prompt: &[PromptBlock<'_>]) -> Self {
        let mut hash = Sha256::new_with_prefix(model.id.as_bytes());
        let mut boundaries = vec![Boundary {
            key: hash.clone().finalize().into(),
            tokens: 0,
        }];
        let mut points = Vec::new();
        let mut tokens = 0;
        for block in prompt {
            if let Some(point) = block.cache_point() {
                points.push(Point {
                    boundary: boundaries.len() - 1,
                    ttl: Ttl::of(point),
                });
                continue;
            }
            hash.update([0]);
            hash.update(section_tag(block.section));
            hash.update(block.block.to_string());
            tokens += block.tokens();
            boundaries.push(Boundary {
                key: hash.clone().finalize().into(),
                tokens,
            });
        }
        Self { boundaries, points }
    }

    fn total_tokens(&self) -> usize {
        self.boundaries.last().map_or(0, |b| b.tokens)
    }
}

/// What the chain hashes for a block's place: its section and, for a message, its index
/// and role, so that moving a block to another message changes every key after it.
fn section_tag(section: Section) -> String {
    match section {
        Section::Tools => "tools".into(),
        Section::System => "system".into(),
        Section::Message { index, role } => {
            let role = match role {
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            format!("message {index} {role}")
        }
    }
}

/// A cached prefix.
#[derive(Debug, Clone, Copy)]
struct Entry {
    expires: Instant,
    ttl: Ttl,
}

/// The cached prefixes of one emulator, for every model.
#[derive(Debug, Default)]
pub struct PromptCache {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

impl PromptCache {
    /// Reads and writes the cache for a request to `model` with `prompt` at `now`, and
    /// reports what its input costs.
    pub fn serve(&self, model: &Model, prompt: &[PromptBlock<'_>], now: Instant) -> InputUsage {
        let prefixes = Prefixes::of(model, prompt);
        let total = prefixes.total_tokens();
        let Some(min_tokens) = model
            .cache_min_tokens
            .filter(|_| !prefixes.points.is_empty())
        else {
            return InputUsage::uncached(total);
        };
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, entry| entry.expires > now);

        // The longest live prefix any cache point reaches back to.
        let mut read: Option<&Boundary> = None;
        for point in &prefixes.points {
            let earliest = point.boundary.saturating_sub(LOOKBACK_BLOCKS);
            let hit = prefixes.boundaries[earliest..=point.boundary]
                .iter()
                .rev()
                .find(|b| entries.contains_key(&b.key));
            if let Some(hit) = hit.filter(|hit| read.is_none_or(|r| hit.tokens > r.tokens)) {
                read = Some(hit);
            }
        }
        if let Some(hit) = read
            && let Some(entry) = entries.get_mut(&hit.key)
        {
            entry.expires = now + entry.ttl.duration();
        }

        // Every point past the read prefix writes what lies between it and the last
        // point written (or the read prefix), at its own TTL.
        let read_tokens = read.map_or(0, |r| r.tokens);
        let mut covered = read_tokens;
        let mut writes = BTreeMap::new();
        for point in &prefixes.points {
            let boundary = &prefixes.boundaries[point.boundary];
            if boundary.tokens < min_tokens || boundary.tokens <= covered {
                continue;
            }
            *writes.entry(point.ttl).or_default() += boundary.tokens - covered;
            covered = boundary.tokens;
            entries.insert(
                boundary.key,
                Entry {
                    expires: now + point.ttl.duration(),
                    ttl: point.ttl,
                },
            );
        }
        let usage = InputUsage {
            input_tokens: 0,
            cache_read_tokens: read_tokens,
            cache_writes: writes.into_iter().collect(),
            cacheable: true,
        };
        InputUsage {
            input_tokens: total - read_tokens - usage.cache_write_tokens(),
            ..usage
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue;
    use crate::converse::ConverseRequest;
    use serde_json::{Value, json};

    const SONNET_4: &str = "anthropic.claude-sonnet-4-20250514-v1:0";

    fn model(id: &str) -> &'static Model {
        catalogue::model(id).unwrap()
    }

    fn words(n: usize) -> String {
        vec!["cached"; n].join(" ")
    }

    fn point(ttl: Option<&str>) -> Value {
        match ttl {
            Some(ttl) => json!({ "cachePoint": { "type": "default", "ttl": ttl } }),
            None => json!({ "cachePoint": { "type": "default" } }),
        }
    }

    /// A request whose system prompt is `system` words and whose messages are `turns`.
    fn request(system: Vec<Value>, messages: Value) -> ConverseRequest {
        let body = json!({ "system": system, "messages": messages });
        ConverseRequest::parse(body.to_string().as_bytes()).unwrap()
    }

    fn serve(cache: &PromptCache, id: &str, request: &ConverseRequest, at: Instant) -> InputUsage {
        cache.serve(model(id), &request.prompt(), at)
    }

    fn user(text: &str, cached: bool) -> Value {
        let mut content = vec![json!({ "text": text })];
        if cached {
            content.push(point(None));
        }
        json!({ "role": "user", "content": content })
    }

    #[test]
    fn a_cached_system_prompt_is_written_then_read() {
        let cache = PromptCache::default();
        let now = Instant::now();
        let system = vec![json!({ "text": words(1100) }), point(None)];
        let first = request(system.clone(), json!([user("one two three", false)]));
        assert_eq!(
            serve(&cache, SONNET_4, &first, now),
            InputUsage {
                input_tokens: 3,
                cache_read_tokens: 0,
                cache_writes: vec![(Ttl::FiveMinutes, 1100)],
                cacheable: true,
            }
        );
        let second = request(system, json!([user("four five", false)]));
        let later = now + Duration::from_secs(60);
        let read = serve(&cache, SONNET_4, &second, later);
        assert_eq!((read.input_tokens, read.cache_read_tokens), (2, 1100));
        assert!(read.cache_writes.is_empty());
        // Reading refreshed the TTL: four more minutes on, it is still there.
        let again = serve(
            &cache,
            SONNET_4,
            &second,
            later + Duration::from_secs(4 * 60),
        );
        assert_eq!(again.cache_read_tokens, 1100);
        // Another model has a cache of its own.
        let other = serve(
            &cache,
            "anthropic.claude-3-7-sonnet-20250219-v1:0",
            &second,
            later,
        );
        assert_eq!(other.cache_writes, [(Ttl::FiveMinutes, 1100)]);
    }

    #[test]
    fn entries_expire_with_their_ttl() {
        let cache = PromptCache::default();
        let now = Instant::now();
        let short = request(
            vec![json!({ "text": words(1100) }), point(Some("5m"))],
            json!([user("hi", false)]),
        );
        let long = request(
            vec![json!({ "text": words(1200) }), point(Some("1h"))],
            json!([user("hi", false)]),
        );
        assert_eq!(
            serve(&cache, SONNET_4, &long, now).cache_writes,
            [(Ttl::OneHour, 1200)]
        );
        serve(&cache, SONNET_4, &short, now);
        let after = now + Duration::from_secs(6 * 60);
        assert_eq!(
            serve(&cache, SONNET_4, &long, after).cache_read_tokens,
            1200
        );
        let expired = serve(&cache, SONNET_4, &short, after);
        assert_eq!(expired.cache_read_tokens, 0);
        assert_eq!(expired.cache_writes, [(Ttl::FiveMinutes, 1100)]);
    }

    #[test]
    fn a_conversation_reads_its_earlier_turns_and_writes_the_new_one() {
        let cache = PromptCache::default();
        let now = Instant::now();
        let system = vec![json!({ "text": words(1100) }), point(Some("1h"))];
        let first = request(system.clone(), json!([user("what is up", true)]));
        let written = serve(&cache, SONNET_4, &first, now);
        assert_eq!(written.input_tokens, 0);
        assert_eq!(
            written.cache_writes,
            [(Ttl::OneHour, 1100), (Ttl::FiveMinutes, 3)]
        );
        // The next turn moves the message point to its own end; the lookback finds the
        // first turn's prefix.
        let second = request(
            system,
            json!([
                user("what is up", false),
                { "role": "assistant", "content": [{ "text": "not much" }] },
                user("and now", true),
            ]),
        );
        let usage = serve(&cache, SONNET_4, &second, now + Duration::from_secs(1));
        assert_eq!(usage.cache_read_tokens, 1103);
        assert_eq!(usage.cache_writes, [(Ttl::FiveMinutes, 4)]);
        assert_eq!(usage.input_tokens, 0);
    }

    #[test]
    fn a_changed_prefix_misses() {
        let cache = PromptCache::default();
        let now = Instant::now();
        let cached = |text: &str| {
            request(
                vec![
                    json!({ "text": format!("{} {text}", words(1100)) }),
                    point(None),
                ],
                json!([user("hi", false)]),
            )
        };
        serve(&cache, SONNET_4, &cached("alpha"), now);
        let changed = serve(&cache, SONNET_4, &cached("beta"), now);
        assert_eq!(changed.cache_read_tokens, 0);
        assert_eq!(changed.cache_write_tokens(), 1101);
    }

    #[test]
    fn short_prefixes_and_models_without_caching_are_not_cached() {
        let cache = PromptCache::default();
        let now = Instant::now();
        let short = request(
            vec![json!({ "text": words(1000) }), point(None)],
            json!([user("hi", false)]),
        );
        for _ in 0..2 {
            let usage = serve(&cache, SONNET_4, &short, now);
            assert_eq!(usage.input_tokens, 1001);
            assert_eq!(
                (usage.cache_read_tokens, usage.cache_write_tokens()),
                (0, 0)
            );
            assert!(usage.cacheable);
        }
        // Claude Haiku 4.5 needs 4 096 tokens.
        let mid = request(
            vec![json!({ "text": words(2000) }), point(None)],
            json!([user("hi", false)]),
        );
        let haiku = "anthropic.claude-haiku-4-5-20251001-v1:0";
        assert_eq!(serve(&cache, haiku, &mid, now).cache_write_tokens(), 0);
        assert_eq!(
            serve(&cache, SONNET_4, &mid, now).cache_write_tokens(),
            2000
        );
        let uncached = serve(&cache, "meta.llama3-8b-instruct-v1:0", &mid, now);
        assert_eq!(uncached, InputUsage::uncached(2001));
        let no_point = request(
            vec![json!({ "text": words(2000) })],
            json!([user("hi", false)]),
        );
        let plain = serve(&cache, SONNET_4, &no_point, now);
        assert_eq!(plain, InputUsage::uncached(2001));
    }
}
