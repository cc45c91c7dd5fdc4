#!/usr/bin/env bash
# The whole test suite. On a fresh machine it first installs what the tests
# need (scripts/setup.sh, which also puts its tools on PATH). Extra
# arguments go to `cargo test`, run by scripts/cargo (the toolchain that
# builds Bevy 0.20).
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/setup.sh
exec scripts/cargo test --workspace "$@"
