#!/usr/bin/env bash
# Checks the `webgpu` backend on a machine with an NVIDIA GPU, in under 5 minutes:
#  1. the driver (nvidia-smi) and Vulkan: libvulkan.so.1 loadable, an NVIDIA ICD manifest (nvidia_icd.json) whose
#     library exists, and in a container NVIDIA_DRIVER_CAPABILITIES including `graphics` (Dawn reaches the GPU
#     through Vulkan; `compute,utility` alone gives CUDA but no Vulkan);
#  2. the adapter the backend picks must be an NVIDIA hardware one (a software adapter — llvmpipe, lavapipe,
#     SwiftShader — is refused: its figures would say nothing about the GPU);
#  3. the webgpu parity tests (op level and training) with CI=true, so a missing adapter fails instead of skipping;
#  4. `pnpm bench:backends` on onednn and webgpu (the JS cpu backend is left out: airbench94 steps take tens of
#     seconds there), its JSON lines saved to runs/gpu-check/bench-<UTC time>.jsonl with the GPU's name.
# Needs a built workspace (scripts/setup.sh, with CNN_WEBGPU_ADAPTER=none on the GPU machine).
# Usage: scripts/gpu-check.sh [--adapter-only]   (--adapter-only: step 2 alone, e.g. to see a refusal)
set -euo pipefail
cd "$(dirname "$0")/.."

adapter_only=0
case "${1:-}" in
  "") ;;
  --adapter-only) adapter_only=1 ;;
  *) echo "usage: scripts/gpu-check.sh [--adapter-only]" >&2; exit 2 ;;
esac

fail() { echo "gpu-check: FAIL: $*" >&2; exit 1; }
step() { echo "gpu-check: $*"; }
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
deadline=$((SECONDS + 290))
# Seconds left of the budget, for `timeout` (1 when spent: the step then fails at once with its own message).
left() { local l=$((deadline - SECONDS)); [ "$l" -gt 1 ] || l=1; echo "$l"; }

[ -f packages/backend-onednn/dist/index.js ] || fail "packages/backend-onednn/dist missing: run scripts/setup.sh (or pnpm install && pnpm build) first"

gpu_name=""
if [ "$adapter_only" = 0 ]; then
  # --- 1. driver and Vulkan ICD ------------------------------------------------------------------------------
  command -v nvidia-smi >/dev/null 2>&1 || fail "nvidia-smi not found: no NVIDIA driver visible (in a container: run it with the NVIDIA runtime / --gpus all)"
  gpu_name="$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | head -n1)"
  [ -n "$gpu_name" ] || fail "nvidia-smi lists no GPU"
  step "GPU: $gpu_name"
  if [ -f /.dockerenv ] || [ -n "${NVIDIA_VISIBLE_DEVICES:-}" ]; then
    caps="${NVIDIA_DRIVER_CAPABILITIES:-}"
    case ",$caps," in
      *,all,* | *,graphics,*) step "NVIDIA_DRIVER_CAPABILITIES=$caps (includes graphics)" ;;
      *) fail "NVIDIA_DRIVER_CAPABILITIES='$caps' lacks graphics: the container gets no Vulkan driver. Start it with -e NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics" ;;
    esac
  fi
  ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1' || fail "libvulkan.so.1 not found: apt-get install libvulkan1"
  icd=""
  for f in ${VK_DRIVER_FILES:-} ${VK_ICD_FILENAMES:-} /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json; do
    f="${f//:/ }"
    for g in $f; do [ -f "$g" ] && grep -qi nvidia "$g" && { icd="$g"; break 2; }; done
  done
  [ -n "$icd" ] || fail "no NVIDIA Vulkan ICD manifest (nvidia_icd.json) in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d. The driver's container toolkit mounts it with the graphics capability; headless, write one whose library_path is libEGL_nvidia.so.0"
  lib="$(sed -n 's/.*"library_path"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$icd" | head -n1)"
  [ -n "$lib" ] || fail "$icd names no library_path"
  if [ "${lib#/}" != "$lib" ]; then
    [ -e "$lib" ] || fail "$icd points at $lib, which does not exist"
  else
    ldconfig -p 2>/dev/null | grep -q "$lib" || fail "$icd points at $lib, which the dynamic linker cannot find (ldconfig -p)"
  fi
  step "Vulkan ICD: $icd -> $lib"
  if command -v vulkaninfo >/dev/null 2>&1; then
    vulkaninfo --summary 2>/dev/null | grep -E 'deviceName|driverName' | sed 's/^/gpu-check:   /' || true
  fi
fi

# --- 2. the adapter ------------------------------------------------------------------------------------------
step "adapter check (hardware, NVIDIA)"
adapter_json="$(cd packages/backend-onednn && timeout "$(left)" node scripts/webgpu-adapter.mjs --require-hardware --vendor nvidia)" ||
  fail "the webgpu backend has no NVIDIA hardware adapter (see the reason above)"
step "adapter: $adapter_json"
[ "$adapter_only" = 0 ] || exit 0

# --- 3. parity tests -----------------------------------------------------------------------------------------
step "parity tests (CI=true: a missing adapter fails)"
CI=true timeout "$(left)" pnpm --filter @cnn/backend-onednn exec vitest run src/webgpu-select.test.ts src/webgpu-parity.test.ts ||
  fail "webgpu op-level parity tests"
CI=true timeout "$(left)" pnpm --filter @cnn/train exec vitest run src/webgpu-training.test.ts || fail "webgpu training parity tests"

# --- 4. bench -------------------------------------------------------------------------------------------------
mkdir -p runs/gpu-check
out="runs/gpu-check/bench-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
step "bench:backends (onednn, webgpu) -> $out"
printf '{"bench":"gpu","name":"%s"}\n' "$gpu_name" >"$out.tmp"
timeout "$(left)" pnpm --silent bench:backends -- --backends onednn,webgpu --steps 5 --runs 3 | grep '^{' | tee -a "$out.tmp" ||
  fail "bench:backends"
mv "$out.tmp" "$out"
step "done in ${SECONDS}s; figures in $out (measured on: $gpu_name)"
