#!/usr/bin/env bash
# The README's screenshots, taken from the example game's real window: the
# smoke test saves what it sees as it plays (target/smoke/*.png, under Xvfb
# with Mesa's software Vulkan), and this copies the four the README shows
# into docs/. Run it after a change to the menu's look or words.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/setup.sh
rm -rf target/smoke
scripts/cargo test --test it -- --exact \
  example_smoke::a_player_signs_up_plays_and_is_signed_in_again_at_the_next_launch
for name in menu signed-in account menu-ja; do
  cp "target/smoke/$name.png" "docs/$name.png"
done
echo "docs/: menu.png signed-in.png account.png menu-ja.png"
