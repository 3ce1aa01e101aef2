//! ConverseStream bodies (events, exceptions, errors, odd headers, corrupt
//! and cut frames, raw bytes) through the decoder and the pull loop, in
//! arbitrary chunkings.
#![no_main]

use bedrock_fuzz::script::Script;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|script: Script| {
    bedrock_fuzz::check_converse(&script.body(), &script.chunk_sizes);
});
