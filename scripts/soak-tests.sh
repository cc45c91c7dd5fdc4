#!/usr/bin/env bash
# Runs the whole suite N times (default 5) on a clean clone of HEAD and
# prints how often each test failed: a test that fails once in N is a defect.
#
#   scripts/soak-tests.sh [N]             # the machine as it is
#   SOAK_BUSY=1 scripts/soak-tests.sh 5   # with a busy loop on every core
#
# The clone builds in a target directory of its own, target/soak-build,
# kept between soaks, so only its first run builds (not this checkout's
# target: cargo names a workspace's artifacts by their paths inside it, and a
# build here during the soak would swap the clone's test binaries for this
# checkout's). Before each run `git clean` leaves the clone as fresh as CI's
# (no local data, no node_modules). Every run's log and the whole table are
# kept in target/soak/.
set -euo pipefail
runs=${1:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/target/soak"
export CARGO_TARGET_DIR=${SOAK_TARGET_DIR:-$repo/target/soak-build}
clone=$(mktemp -d)
busy=()
cleanup() {
  ((${#busy[@]})) && kill "${busy[@]}" 2>/dev/null
  rm -rf "$clone"
}
trap cleanup EXIT
rm -rf "$out" && mkdir -p "$out"
git clone --quiet "$repo" "$clone"
echo "soaking $(git -C "$clone" rev-parse --short HEAD), $runs runs"

if [ "${SOAK_BUSY:-0}" = 1 ]; then
  for _ in $(seq "$(nproc)"); do
    (while :; do :; done) &
    busy+=($!)
  done
  echo "with ${#busy[@]} busy loops beside it"
fi

for run in $(seq "$runs"); do
  git -C "$clone" clean -ffdxq
  start=$SECONDS
  status=0
  (cd "$clone" && scripts/test.sh --no-fail-fast) >"$out/run-$run.log" 2>&1 || status=$?
  # One line per test: "<binary> <test> ok|FAILED", the binary named by the
  # target cargo printed before it.
  awk -v run="$run" '
    /^ *Running / { binary = $2 }
    /^test .* \.\.\. (ok|FAILED)$/ { print binary, $2, $NF }
  ' "$out/run-$run.log" >"$out/run-$run.tests"
  passed=$(grep -c ' ok$' "$out/run-$run.tests" || true)
  failed=$(grep -c ' FAILED$' "$out/run-$run.tests" || true)
  echo "run $run: $passed passed, $failed failed, exit $status, $((SECONDS - start)) s"
  ((passed + failed)) || echo "  no test ran: see $out/run-$run.log"
done

# test | passed | failed, the tests that ever failed first.
cat "$out"/run-*.tests | awk '
  { key = $1 " " $2; seen[key] = 1; if ($3 == "ok") ok[key]++; else bad[key]++ }
  END { for (key in seen) printf "%d %d %s\n", bad[key], ok[key], key }
' | sort -k1,1nr -k3 | awk '{ printf "%-6s %-6s %s %s\n", $2, $1, $3, $4 }' >"$out/table.txt"
tests=$(wc -l <"$out/table.txt")
flaky=$(awk '$2 > 0' "$out/table.txt" | wc -l)
echo
echo "passed failed binary test  ($tests tests; the whole table: $out/table.txt)"
awk '$2 > 0' "$out/table.txt"
echo "$flaky of $tests tests failed at least once in $runs runs"
[ "$flaky" -eq 0 ]
