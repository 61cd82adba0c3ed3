#!/usr/bin/env bash
# Installs the Debian 12 packages vitc's main job and tests need beyond Node 20 (run as root).
# Idempotent: prints nothing and touches nothing when everything is already installed.
#   libegl1 libegl-mesa0 libgl1-mesa-dri  Mesa llvmpipe, reached by Dawn's OpenGL backend through EGL
#   libvulkan1                            the Vulkan loader, for Dawn's Vulkan backend
#   chromium                              ships SwiftShader (libvk_swiftshader.so and its ICD json) and
#                                         is the headless browser of the browser tests
set -euo pipefail

packages=(libegl1 libegl-mesa0 libgl1-mesa-dri libvulkan1 chromium)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-machine.sh: missing Debian packages: ${missing[*]}; run this script as root (it uses apt-get)" >&2
  exit 1
fi
echo "setup-machine.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
