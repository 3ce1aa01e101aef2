#!/usr/bin/env bash
# Fuzzes the event-stream frame decoder and the ConverseStream event mapping
# with libFuzzer (cargo fuzz), both targets side by side, each for SECONDS
# (default 60). Exits non-zero if either finds a crash; the input that
# crashed is kept under fuzz/artifacts/<target>/.
#
# cargo fuzz needs nightly compiler flags; RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them for this crate alone (fuzz/ is a workspace of its
# own, outside the product's build).
#
#   scripts/fuzz.sh 300        # five minutes per target
#   scripts/fuzz.sh 60 -jobs=2 # extra arguments go to libFuzzer
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || (( seconds == 0 )); then
    echo "usage: scripts/fuzz.sh SECONDS [libFuzzer options]" >&2
    exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "==> installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

# Seed the frame target with the event-stream vectors written by AWS (kept
# out of the repository: fuzz/corpus is ignored). Its input starts with a
# flags byte and a chunk-size count, both 0 here: the frames as they are.
vectors=../shared/vectors/eventstream
corpus=fuzz/corpus/frame_decoder
mkdir -p "$corpus" fuzz/corpus/converse_stream
if [[ -d "$vectors" ]]; then
    while IFS= read -r -d '' file; do
        { printf '\0\0'; cat "$file"; } >"$corpus/seed-$(basename "$(dirname "$file")")-$(basename "$file")"
    done < <(find "$vectors/aws-sdk-go/encoded" "$vectors/smithy-rs" -type f -print0)
fi

echo "==> building the fuzz targets"
cargo fuzz build --fuzz-dir fuzz -O
logs=$(mktemp -d)
pids=()
for target in frame_decoder converse_stream; do
    echo "==> fuzzing $target for ${seconds}s (log: $logs/$target.log)"
    cargo fuzz run --fuzz-dir fuzz -O "$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 "$@" >"$logs/$target.log" 2>&1 &
    pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || status=1
done
for target in frame_decoder converse_stream; do
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$logs/$target.log" | grep -Eo '[0-9]+$' || echo "?")
    cov=$(grep -Eo 'cov: [0-9]+' "$logs/$target.log" | tail -1 || true)
    echo "==> $target: $runs executions in ${seconds}s, ${cov:-no coverage reported}"
    if grep -qE '^(==[0-9]+==ERROR|thread .* panicked|SUMMARY: libFuzzer)' "$logs/$target.log"; then
        echo "!!! $target found a crash:" >&2
        grep -E -A5 'panicked|ERROR|Test unit written' "$logs/$target.log" >&2 || true
        status=1
    fi
done
exit "$status"
