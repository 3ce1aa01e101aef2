//! Fresh identifiers: request ids, and the key ids, secrets and tokens the emulator issues.
//!
//! Unique within the process (a counter) and across processes (std's randomly keyed
//! hasher). A local test endpoint needs nothing stronger, so no RNG crate is pulled in.

use std::hash::{BuildHasher, DefaultHasher, Hash, Hasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};

/// The alphabet of AWS access key ids (after their four-letter prefix) and role ids.
pub const KEY_ID: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Base64's alphabet, which secret access keys and session tokens are drawn from.
pub const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// URL-safe base64, for tokens that travel in headers clients may not quote (IMDS).
pub const BASE64_URL: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    RandomState::new().hash_one(n)
}

/// A fresh UUID-shaped request id, as AWS sends in `x-amzn-RequestId`.
pub fn request_id() -> String {
    let (high, low) = (random_u64(), random_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xfff,
        ((low >> 48) & 0x3fff) | 0x8000,
        low & 0xffff_ffff_ffff
    )
}

/// `len` random characters of `alphabet` (32 or 64 long, so every byte maps without bias).
pub fn random(alphabet: &[u8], len: usize) -> String {
    spell(alphabet, len, std::iter::repeat_with(random_u64))
}

/// `len` characters of `alphabet` that depend only on `seed`: ids AWS keeps stable for a
/// resource, such as a role's `AROA...` id. std's `DefaultHasher::new()` has fixed keys.
pub fn stable(seed: &str, alphabet: &[u8], len: usize) -> String {
    let words = (0u64..).map(|round| {
        let mut hasher = DefaultHasher::new();
        (seed, round).hash(&mut hasher);
        hasher.finish()
    });
    spell(alphabet, len, words)
}

fn spell(alphabet: &[u8], len: usize, words: impl Iterator<Item = u64>) -> String {
    debug_assert!(256 % alphabet.len() == 0, "alphabet length must divide 256");
    words
        .flat_map(u64::to_le_bytes)
        .take(len)
        .map(|byte| char::from(alphabet[usize::from(byte) % alphabet.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_uuid_shaped_and_unique() {
        let (a, b) = (request_id(), request_id());
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
        assert_ne!(a, b);
    }

    #[test]
    fn random_and_stable_strings() {
        let key = random(KEY_ID, 16);
        assert_eq!(key.len(), 16);
        assert!(key.bytes().all(|b| KEY_ID.contains(&b)));
        assert_ne!(random(BASE64, 40), random(BASE64, 40));
        assert_eq!(random(BASE64_URL, 100).len(), 100);
        assert_eq!(stable("role", KEY_ID, 17), stable("role", KEY_ID, 17));
        assert_ne!(stable("role", KEY_ID, 17), stable("other", KEY_ID, 17));
        assert_eq!(stable("role", KEY_ID, 17).len(), 17);
    }
}
