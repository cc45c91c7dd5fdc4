#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh machine: the Debian
# packages of the OS keychain (libdbus, for the Secret Service store), of
# gamepads in the example game (libudev), of the real-window smoke test and
# its screen reader (AT-SPI), and of the real keychains (Secret Service,
# keyutils); the cognito-local emulator (npm), cfn-lint, pycognito (PyPI;
# the SRP reference implementation) and moto's server (PyPI; the emulator
# that asks for MFA at sign-in). Does nothing when all are there.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(pkg-config libdbus-1-dev libudev-dev xvfb openbox mesa-vulkan-drivers libvulkan1 xdotool imagemagick gnome-keyring dbus-x11 libsecret-tools keyutils at-spi2-core python3-gi gir1.2-atspi-2.0 chromium)
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
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

if [ ! -x backend/tests/cognito-local/node_modules/.bin/cognito-local ]; then
  npm ci --prefix backend/tests/cognito-local --no-audit --no-fund
fi

python3 -c "import cfnlint" 2>/dev/null || python3 -m pip install --quiet cfn-lint==1.58.0
python3 -c "import pycognito" 2>/dev/null || python3 -m pip install --quiet pycognito==2024.5.1
python3 -c "import moto, moto.server, sys; sys.exit(moto.__version__ != '5.2.1')" 2>/dev/null ||
  python3 -m pip install --quiet "moto[server]==5.2.1"

