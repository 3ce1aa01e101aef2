//! The event-stream frame decoder on arbitrary bytes.
//!
//! Input: a flags byte, a chunk-size count, the chunk sizes, then the body.
//! Flag bit 0 repairs the body's checksums first, so the fuzzer's mutations
//! of lengths, headers and payloads reach the header parser instead of
//! stopping at a checksum.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let Some((&count, rest)) = rest.split_first() else { return };
    let count = usize::from(count % 16).min(rest.len());
    let (sizes, body) = rest.split_at(count);
    let mut body = body.to_vec();
    if flags & 1 == 1 {
        bedrock_fuzz::fix_checksums(&mut body);
    }
    bedrock_fuzz::check_frames(&body, sizes);
});
