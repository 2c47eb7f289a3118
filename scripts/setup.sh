#!/usr/bin/env bash
# Prepares a fresh machine (Debian, Node 20) to build, run and test the toolkit. Idempotent.
#  - apt: libdnnl-dev (oneDNN, the native backend's library), chromium and fonts-dejavu-core (the report's and
#    the web demo's browser tests, chart text), clang-format (CI's check of the native sources), python3-torch and
#    python3-torchvision (parity tests that generate PyTorch fixtures), redis-server and openssl (@cnn/tune's queue
#    tests start private Redis instances, one with a self-signed TLS certificate; the system service is not used),
#    patchelf (the backend's prepack bundles libdnnl into its prebuilt addon), qemu-user (the integration test runs
#    the prebuilt on an emulated CPU without AVX2), each only when missing;
#  - a software WebGPU adapter for the `webgpu` backend's parity tests (no GPU needed), only when missing:
#    by default Dawn's OpenGL ES backend on Debian's own Mesa llvmpipe (libegl1, libegl-dev, libegl-mesa0,
#    libgl1-mesa-dri; the backend sets EGL_PLATFORM=surfaceless itself); with CNN_WEBGPU_ADAPTER=vulkan instead
#    Mesa >= 25 lavapipe over Vulkan from <codename>-backports (Debian 12's own Mesa 22 lavapipe is refused by
#    Dawn), the extra apt source copied at run time from this machine's own debian.sources entry;
#    CNN_WEBGPU_ADAPTER=none skips it;
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

# --- software WebGPU adapter -------------------------------------------------------------------------------
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
pkg_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
adapter="${CNN_WEBGPU_ADAPTER:-gles}"
case "$adapter" in
  none) ;;
  gles)
    gl=()
    for p in libegl1 libegl-dev libegl-mesa0 libgl1-mesa-dri; do pkg_installed "$p" || gl+=("$p"); done
    if [ ${#gl[@]} -gt 0 ]; then
      echo "setup: installing ${gl[*]} (software WebGPU adapter: Dawn's OpenGL ES backend on Mesa llvmpipe)"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${gl[@]}" >/dev/null
    fi
    ;;
  vulkan)
    mesa="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)"
    if [ -z "$mesa" ] || dpkg --compare-versions "$mesa" lt 25; then
      codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
      [ -n "$codename" ] || { echo "setup: no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }
      backports="/etc/apt/sources.list.d/${codename}-backports.sources"
      if ! grep -rqs -- "${codename}-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        src=/etc/apt/sources.list.d/debian.sources
        [ -f "$src" ] || { echo "setup: $src not found; add ${codename}-backports to apt yourself" >&2; exit 1; }
        # The first stanza that lists the plain release suite, with its Suites line replaced: same mirror, same key.
        stanza="$(awk -v RS= -v ORS='\n\n' -v c="$codename" '$0 ~ ("\nSuites:([^\n]* )?" c "( |\n|$)") { print; exit }' "$src" |
          sed -E "s/^Suites:.*/Suites: ${codename}-backports/")"
        [ -n "$stanza" ] || { echo "setup: no '$codename' stanza in $src" >&2; exit 1; }
        echo "setup: adding ${codename}-backports to apt (copied from $src) for Mesa >= 25 lavapipe"
        printf '%s\n' "$stanza" | $SUDO tee "$backports" >/dev/null
      fi
      $SUDO apt-get update -qq
      echo "setup: installing Mesa >= 25 lavapipe from ${codename}-backports"
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends -t "${codename}-backports" \
        mesa-vulkan-drivers libdrm2 libdrm-amdgpu1 libvulkan1 >/dev/null
    fi
    ;;
  *) echo "setup: CNN_WEBGPU_ADAPTER must be gles, vulkan or none, got '$adapter'" >&2; exit 1 ;;
esac

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version | cut -d. -f1)" != 10 ]; then
  echo "setup: installing pnpm@10.34.9 with npm"
  npm install -g pnpm@10.34.9 >/dev/null
fi

echo "setup: pnpm install"
pnpm install --frozen-lockfile
echo "setup: build"
pnpm build
