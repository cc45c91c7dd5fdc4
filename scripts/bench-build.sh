#!/usr/bin/env bash
# What the plugin costs a game's build: two throw-away games in a temporary
# folder, a default-features Bevy + bevy_egui game without the plugin and
# the same game with it, each built cold (debug) in a target dir of its own,
# one after the other, with the toolchain `scripts/cargo` picks. Prints both
# times, the ratio, the shared crates whose features the plugin changes (each
# such crate, and everything above it, is compiled again for the game) and
# the crypto stacks in the game's tree.
#
#   scripts/bench-build.sh                      # the plugin with its default features
#   PLUGIN='default-features = false, features = ["menu"]' scripts/bench-build.sh
#   TREE_ONLY=1 scripts/bench-build.sh          # the feature comparison, no builds
set -euo pipefail
shopt -s inherit_errexit
root=$(cd "$(dirname "$0")/.." && pwd)

# Bevy's default features link ALSA, udev and Wayland.
packages=(pkg-config libdbus-1-dev libasound2-dev libudev-dev libwayland-dev libxkbcommon-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]})) && [ -z "${TREE_ONLY:-}" ]; then
  echo "installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
plugin=${PLUGIN:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

game() {
  local name=$1 dependency=$2 body=$3
  cargo new -q --vcs none "$work/$name"
  cat >>"$work/$name/Cargo.toml" <<EOF
bevy = "0.20"
bevy_egui = "0.43"
$dependency
EOF
  printf '%s\n' "$body" >"$work/$name/src/main.rs"
  # The versions this repository builds with, so only the plugin differs.
  cp "$root/Cargo.lock" "$work/$name/"
}

game without "" 'use bevy::prelude::*;
fn main() {
    App::new()
        .add_plugins((DefaultPlugins, bevy_egui::EguiPlugin::default()))
        .run();
}'
game with "bevy_cognito_login = { path = \"$root\"${plugin:+, $plugin} }" 'use bevy::prelude::*;
use bevy_cognito_login::prelude::*;
fn main() {
    App::new()
        .add_plugins((DefaultPlugins, bevy_egui::EguiPlugin::default()))
        .add_plugins(CognitoLoginPlugin::new(ApiGatewayConfig::new(
            "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
            TokenCheck::for_pool("eu-west-1_AbC123", "1example23456789"),
        )))
        .run();
}'

features() {
  (cd "$work/$1" && cargo tree -q -e normal,build --prefix none -f '{p}|{f}' --no-dedupe) |
    sed 's/ (\*)//' | sort -u >"$work/$1.features"
}
features without
features with
echo "shared crates whose features the plugin changes:"
python3 - "$work/without.features" "$work/with.features" <<'EOF'
import sys
def load(path):
    crates = {}
    for line in open(path):
        package, _, features = line.strip().partition("|")
        name = " ".join(package.split()[:2])
        crates.setdefault(name, set()).update(f for f in features.split(",") if f)
    return crates
without, with_ = load(sys.argv[1]), load(sys.argv[2])
changed = [name for name in sorted(without) if name in with_ and without[name] != with_[name]]
for name in changed:
    print(f"  {name}: +{sorted(with_[name] - without[name])}")
print(f"  ({len(changed)} crates)")
EOF
for crypto in ring aws-lc-sys; do
  if (cd "$work/with" && cargo tree -q -i "$crypto" >/dev/null 2>&1); then
    echo "crypto stack in the game's tree: $crypto"
  fi
done
[ -n "${TREE_ONLY:-}" ] && exit 0

build() {
  local started ended
  started=$(date +%s.%N)
  (cd "$work/$1" && CARGO_TARGET_DIR="$work/$1/target" "$root/scripts/cargo" build -q) >&2
  ended=$(date +%s.%N)
  python3 -c "print(round($ended - $started, 1))"
}
echo "building cold, one game after the other (minutes on 2 cores)…"
without_s=$(build without)
# The plugin added to the warm game: the game's own crates compiled again
# are the ones the plugin changed under it.
(cd "$work/with" && CARGO_TARGET_DIR="$work/without/target" "$root/scripts/cargo" build 2>&1) |
  sed -n 's/^ *Compiling \([^ ]*\) .*/\1/p' | sort -u >"$work/warm.compiled"
cut -d' ' -f1 "$work/without.features" | sort -u >"$work/without.crates"
rebuilt=$(comm -12 "$work/warm.compiled" "$work/without.crates" | grep -vx without | paste -sd' ' -)
echo "the game's crates compiled again when the plugin is added to it: ${rebuilt:-none}"
with_s=$(build with)
python3 - "$without_s" "$with_s" <<'EOF'
import sys
without, with_ = map(float, sys.argv[1:])
print(f"cold debug build: without the plugin {without:.0f} s, with it {with_:.0f} s, "
      f"ratio {with_ / without:.2f} (+{with_ - without:.0f} s)")
EOF
