#!/usr/bin/env bash
# The fuzz targets in fuzz/, with cargo fuzz (installed into target/tools
# when missing) on the nightly toolchain:
#
#   scripts/fuzz.sh build          # build every target
#   scripts/fuzz.sh run [SECONDS]  # run each for SECONDS (default 30)
#
# Each run starts from the seeds in fuzz/seeds/<target> and what earlier
# runs here found (target/fuzz/corpus/<target>). A crash fails the script
# and leaves its input in fuzz/artifacts/<target>/; it then becomes a test
# of the crate it crashed.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(response token redirect keychain translations route_body)
tools="$PWD/target/tools"
build="$PWD/target/fuzz"
if ! [ -x "$tools/bin/cargo-fuzz" ]; then
  cargo install cargo-fuzz --version 0.13.2 --locked --root "$tools" --quiet
fi
export PATH="$tools/bin:$PATH"
# Rust checks no memory here: a panic is what the targets look for, with
# overflow checks on (debug assertions).
fuzz=(cargo +nightly fuzz)
options=(--sanitizer none --debug-assertions --target-dir "$build")

case "${1:-}" in
  build)
    "${fuzz[@]}" build "${options[@]}" --fuzz-dir fuzz
    ;;
  run)
    seconds=${2:-30}
    for target in "${targets[@]}"; do
      corpus="$build/corpus/$target"
      mkdir -p "$corpus"
      start=$SECONDS
      "${fuzz[@]}" run "${options[@]}" --fuzz-dir fuzz "$target" "$corpus" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$build/$target.log" 2>&1 || {
        tail -n 60 "$build/$target.log" >&2
        echo "fuzz: $target crashed; its input is in fuzz/artifacts/$target/" >&2
        exit 1
      }
      runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/$target.log" | grep -o '[0-9]*$' || true)
      echo "fuzz: $target ran ${runs:-?} inputs in $((SECONDS - start)) s, no crash"
    done
    ;;
  *)
    echo "usage: scripts/fuzz.sh build | run [SECONDS]" >&2
    exit 2
    ;;
esac
