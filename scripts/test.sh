#!/usr/bin/env bash
# The whole test suite: native unit tests, the AWS test vectors, and the
# built component driven through the host harness against the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d ../shared/vectors ]]; then
    echo "error: ../shared/vectors is missing: the suite runs AWS's test vectors from there" >&2
    [[ -n "${CI:-}" ]] && exit 1
fi
bash scripts/build-component.sh
# Real AWS clients the emulator is checked against.
if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
export BEDROCK_PYTHON="$PWD/.venv/bin/python"
export BEDROCK_COMPONENT="$PWD/target/wasm32-wasip2/release/bedrock_guest.wasm"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast "$@"
else
    cargo test --workspace --no-fail-fast "$@"
fi
