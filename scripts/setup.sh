#!/usr/bin/env bash
# Prepares a fresh machine (Debian, Node 20) to build, run and test the toolkit. Idempotent.
#  - apt: libdnnl-dev (oneDNN, the native backend's library), chromium and fonts-dejavu-core (the report's and
#    the web demo's browser tests, chart text), clang-format (CI's check of the native sources), python3-torch and
#    python3-torchvision (parity tests that generate PyTorch fixtures), redis-server and openssl (@cnn/tune's queue
#    tests start private Redis instances, one with a self-signed TLS certificate; the system service is not used),
#    patchelf (the backend's prepack bundles libdnnl into its prebuilt addon), qemu-user (the integration test runs
#    the prebuilt on an emulated CPU without AVX2), each only when missing;
#  - pnpm 10.34.9 when pnpm is missing (pnpm 11 needs Node 22);
#  - workspace dependencies (frozen lockfile; builds the native addon), then every package.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -f /usr/include/oneapi/dnnl/dnnl.hpp ] || missing+=(libdnnl-dev)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
command -v clang-format >/dev/null 2>&1 || missing+=(clang-format)
# PyTorch for the parity tests that generate their fixtures (Debian's python3-torch 1.13)
/usr/bin/python3 -c 'import torch, torchvision' >/dev/null 2>&1 || missing+=(python3-torch python3-torchvision)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
tools=()
command -v patchelf >/dev/null 2>&1 || tools+=(patchelf)
command -v qemu-x86_64 >/dev/null 2>&1 || tools+=(qemu-user)
if [ ${#missing[@]} -gt 0 ] || [ ${#tools[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} ${tools[*]} with apt-get"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  [ ${#tools[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version | cut -d. -f1)" != 10 ]; then
  echo "setup: installing pnpm@10.34.9 with npm"
  npm install -g pnpm@10.34.9 >/dev/null
fi

echo "setup: pnpm install"
pnpm install --frozen-lockfile
echo "setup: build"
pnpm build
