#!/usr/bin/env bash
# The whole test suite. On a fresh machine it first installs what the tests
# need (scripts/setup.sh, which also puts its tools on PATH). Extra
# arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/setup.sh
exec cargo test --workspace "$@"
