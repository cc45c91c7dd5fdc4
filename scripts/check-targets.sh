#!/usr/bin/env bash
# Type-checks and lints (clippy, `-D warnings`) crates of the workspace for
# Windows (x86_64-pc-windows-gnu) and macOS (aarch64-apple-darwin) on a
# Linux machine, with Debian's Rust and the standard library built from its
# source (`-Zbuild-std`). Nothing is linked or run: it proves that the
# per-OS code (the keychains, the paths) compiles and lints, no more.
#
#   scripts/check-targets.sh                         # the client crate
#   scripts/check-targets.sh -p bevy_cognito_login   # the plugin (cold: > 10 min)
#
# Debian's rustc-web is Rust 1.96: crates that need more (Bevy 0.20 wants
# 1.97.1) cannot be checked this way until Debian catches up. ring's build
# script compiles C for macOS, which wants the SDK's headers: a check never
# links, so three stub headers that only declare stand in for them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

packages=(rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64 clang-19 llvm-19)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

((${#@})) || set -- -p cognito_login_client
target_dir=${CROSS_TARGET_DIR:-$root/target/cross}
stubs=$target_dir/macos-stubs
mkdir -p "$stubs"
cat >"$stubs/TargetConditionals.h" <<'H'
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
H
cat >"$stubs/string.h" <<'H'
typedef __SIZE_TYPE__ size_t;
void *memcpy(void *, const void *, size_t);
void *memmove(void *, const void *, size_t);
void *memset(void *, int, size_t);
int memcmp(const void *, const void *, size_t);
size_t strlen(const char *);
H
cat >"$stubs/assert.h" <<'H'
#define assert(e) ((void)0)
H

for target in x86_64-pc-windows-gnu aarch64-apple-darwin; do
  echo "check-targets: $target $*"
  # Debian's cargo, rustc and clippy only (rustup's proxies come first on
  # PATH, and CI's clippy variables name rustup's driver).
  env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS PATH="/usr/bin:$PATH" \
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$target_dir" \
    CC_aarch64_apple_darwin=clang-19 AR_aarch64_apple_darwin=llvm-ar-19 \
    CFLAGS_aarch64_apple_darwin="-ffreestanding -nostdlibinc -I$stubs" \
    /usr/bin/cargo clippy --locked -Zbuild-std=std,panic_abort --target "$target" \
    --all-features "$@" -- -D warnings
done
