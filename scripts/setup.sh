#!/usr/bin/env bash
# Installs what webgpu-lstm needs on Debian 12; safe to run twice.
#  1. Debian packages: chromium (browser tests, SwiftShader), libvulkan1 (Vulkan loader for Dawn),
#     mesa-vulkan-drivers (the shared libraries lavapipe links against).
#  2. Mesa 25 lavapipe from bookworm-backports, unpacked into .cache/lavapipe/ (project-local, git-ignored)
#     with its own ICD json; Debian 12's stock lavapipe (Mesa 22.3) is rejected by Dawn.
#  3. npm packages. onnxruntime-node (the tests' check of our ONNX export) ships its CPU build inside the
#     package; its install script would fetch GPU builds from outside the registries, so it is skipped
#     (ONNXRUNTIME_NODE_INSTALL=skip, the switch its script/install.js documents).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { printf '[setup] %s\n' "$*"; }
need_root() { if [ "$(id -u)" -ne 0 ]; then echo "sudo"; fi; }

packages=(chromium libvulkan1 mesa-vulkan-drivers xz-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  $(need_root) apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $(need_root) apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "Debian packages present: ${packages[*]}"
fi

lvp_dir="$root/.cache/lavapipe"
if [ -f "$lvp_dir/libvulkan_lvp.so" ] && [ -f "$lvp_dir/lvp_icd.json" ]; then
  say "Mesa lavapipe present in .cache/lavapipe"
else
  say "fetching Mesa lavapipe from bookworm-backports into .cache/lavapipe"
  work="$root/.cache/apt-backports"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$lvp_dir"
  echo "deb http://deb.debian.org/debian bookworm-backports main" > "$work/sources.list"
  opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -qq
  (cd "$work" && apt-get "${opts[@]}" download mesa-vulkan-drivers/bookworm-backports)
  deb=$(ls "$work"/mesa-vulkan-drivers_*.deb | head -n 1)
  rm -rf "$work/x" && dpkg-deb -x "$deb" "$work/x"
  cp "$work/x/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" "$lvp_dir/"
  version=$(dpkg-deb -f "$deb" Version)
  printf '{"file_format_version":"1.0.0","ICD":{"api_version":"1.4.305","library_path":"%s"}}\n' \
    "$lvp_dir/libvulkan_lvp.so" > "$lvp_dir/lvp_icd.json"
  echo "$version" > "$lvp_dir/VERSION"
  rm -rf "$work"
  say "lavapipe $version ready"
fi

# npm install (not npm ci): npm 11's ci rejects vite 8's lockfile (an optional dependency it never records).
say "npm install"
ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error
say "done. Train with: npm run train    Test with: npm test"
