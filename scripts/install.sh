#!/usr/bin/env bash
# Installs the `bedrock-host` CLI and its provider component so that the CLI
# finds the plugin without --component: `cargo install --path cli` puts the
# binary in <root>/bin, and the component goes to
# <root>/share/bedrock-host/bedrock_guest.wasm, where the CLI looks for it
# (after --component and $BEDROCK_COMPONENT, and beside the executable).
#
# Usage: scripts/install.sh [--root DIR]
# The root defaults to cargo's own: $CARGO_INSTALL_ROOT, else $CARGO_HOME,
# else ~/.cargo (so the CLI lands on the PATH rustup set up).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}"
while [[ $# -gt 0 ]]; do
    case "$1" in
        --root) root="$2"; shift 2 ;;
        --root=*) root="${1#--root=}"; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown argument $1 (expected --root DIR)" >&2; exit 2 ;;
    esac
done
bash scripts/build-component.sh
cargo install --locked --path cli --root "$root"
install -d "$root/share/bedrock-host"
install -m 0644 target/wasm32-wasip2/release/bedrock_guest.wasm "$root/share/bedrock-host/bedrock_guest.wasm"
echo "installed $root/bin/bedrock-host" >&2
echo "installed $root/share/bedrock-host/bedrock_guest.wasm" >&2
