#!/usr/bin/env bash
# The one entry point: installs what this machine lacks, restores the local tools, then runs a Cake target.
#   ./build.sh build | test | demo | bench | pack | clean | train-default | ablation   [extra Cake arguments]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

target="${1:-build}"
[ $# -gt 0 ] && shift

# Debian packages the build and the tests need (PLATFORM.md): ffmpeg for media, Mesa lavapipe + Vulkan loader + glslc
# for the Vulkan path and its tests, DejaVu fonts for the text in training curves (curves.png).
packages=(ffmpeg mesa-vulkan-drivers libvulkan1 vulkan-tools glslc spirv-tools fonts-dejavu-core)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "build.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "build.sh: missing system packages: ${missing[*]}. Install them as root with: $cmd" >&2
    exit 1
  fi
fi

if ! command -v dotnet >/dev/null; then
  echo "build.sh: the .NET SDK 10 is missing. Install it (https://dot.net, or 'apt-get install dotnet-sdk-10.0' from Microsoft's feed) and re-run." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet tool restore >/dev/null
exec dotnet tool run dotnet-cake -- build.cake --target="$target" "$@"
