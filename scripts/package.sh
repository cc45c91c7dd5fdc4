#!/usr/bin/env bash
# Packages the three crates in publish order and builds each from its
# `.crate` file, as crates.io and docs.rs will: a file the build needs and
# the include lists leave out, or a dependency feature that only the
# workspace's other crates turned on, fails here.
#
# The client and the backend go through cargo's own verification. The
# plugin is type-checked from its unpacked `.crate` against the packaged
# client, with `--ignore-rust-version` (cargo's verification has no such
# flag, and Bevy 0.20 declares Rust 1.97.1), pinned to the workspace's
# Cargo.lock, in the doc check's target directory, whose dependencies it
# shares.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/cargo package --workspace --locked --no-verify
scripts/cargo package -p cognito_login_client -p cognito_login_backend --locked --all-features

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
tar -xzf "target/package/bevy_cognito_login-$version.crate" -C "$unpacked"
plugin="$unpacked/bevy_cognito_login-$version"
cp Cargo.lock "$plugin/"
packaged="$PWD/target/package"
# Every feature but `gilrs`, whose libudev no build here needs.
(
  cd "$plugin"
  CARGO_TARGET_DIR="$OLDPWD/target/doc-check" "$OLDPWD/scripts/cargo" check \
    --features aws-calls,test-utils \
    --config "patch.crates-io.cognito_login_client.path=\"$packaged/cognito_login_client-$version\"" \
    --config "patch.crates-io.cognito_login_backend.path=\"$packaged/cognito_login_backend-$version\""
)
echo "package: the three crates build from their .crate files"
