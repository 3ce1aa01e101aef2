#!/usr/bin/env bash
# The benchmarks against the peers, in one command: builds everything in
# release, installs the Node and Python peers, runs the criterion
# micro-benchmarks and every peer against one emulator process, and writes
# docs/benchmarks.md, docs/benchmarks.png and docs/benchmarks-headline.md.
# The emulator serves HTTPS (HTTP/2 by ALPN) under its own CA, which every
# peer trusts; --plain runs the peers over plain HTTP instead.
# usage: bash bench/run.sh [--quick] [--plain]
set -euo pipefail
cd "$(dirname "$0")/.."
quick=() plain=()
for arg in "$@"; do
    case $arg in
        --quick) quick=(--quick) ;;
        --plain) plain=(--plain) ;;
        *) echo "usage: bash bench/run.sh [--quick] [--plain]" >&2; exit 2 ;;
    esac
done

bash scripts/build-component.sh
cargo build --quiet --release -p bedrock-bench -p bedrock-emulator
# Bench-only: never built by the test suite.
cargo build --quiet --release -p bedrock-decode-bench-guest --target wasm32-wasip2

venv=target/bench/venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
$venv/bin/python -m pip install --quiet --disable-pip-version-check -r bench/python/requirements.txt
# Reinstalled only when the lock is newer than the last install (see scripts/test.sh).
if [[ ! bench/node/node_modules/.package-lock.json -nt bench/node/package-lock.json ]]; then
    npm install --prefix bench/node --no-save --silent --no-audit --no-fund
fi

export BEDROCK_COMPONENT="$PWD/target/wasm32-wasip2/release/bedrock_guest.wasm"
cargo bench --quiet -p bedrock-bench --bench micro -- "${quick[@]}"
$venv/bin/python bench/python/orchestrate.py "${quick[@]}" "${plain[@]}"
$venv/bin/python bench/python/report.py
echo "==> docs/benchmarks.md, docs/benchmarks.png, docs/benchmarks-headline.md" >&2
