/**
 * The `webgpu` backend in Node: `@tensorflow/tfjs-backend-webgpu` running on Dawn's Node bindings (the npm
 * package `webgpu`), both optional peers loaded on demand. Works on any GPU Dawn reaches — Vulkan (Linux,
 * Windows, NVIDIA/AMD/Intel), Metal (macOS), D3D12 (Windows) — and on software adapters (Mesa llvmpipe /
 * lavapipe, SwiftShader), which this module names as such: they run the same shaders on the CPU, are slower
 * than the `cpu` backend and are only for testing.
 *
 * @packageDocumentation
 */
import { CnnError } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';

import { registerWebGpuKernels } from './webgpu-kernels.js';

/** Codes of {@link WebGpuUnavailableError}. */
export type WebGpuErrorCode =
  /** The `webgpu` or `@tensorflow/tfjs-backend-webgpu` package is not installed (or failed to load). */
  | 'ERR_CNN_WEBGPU_NOT_INSTALLED'
  /** Dawn found no adapter (no GPU driver / Vulkan ICD, no software adapter). */
  | 'ERR_CNN_WEBGPU_NO_ADAPTER'
  /** Only a software adapter was found and `requireHardware` was set. */
  | 'ERR_CNN_WEBGPU_SOFTWARE_ADAPTER'
  /** The adapter was found but the device or the tfjs backend failed to initialise. */
  | 'ERR_CNN_WEBGPU_INIT';

/** Why the `webgpu` backend cannot be used; the message names what to install or set. */
export class WebGpuUnavailableError extends CnnError {
  /** The adapter that was refused (`ERR_CNN_WEBGPU_SOFTWARE_ADAPTER`) or failed (`ERR_CNN_WEBGPU_INIT`), if any. */
  readonly adapter?: WebGpuAdapterInfo;
  /** @param code - one of {@link WebGpuErrorCode}. */
  constructor(message: string, code: WebGpuErrorCode, options?: { cause?: unknown; adapter?: WebGpuAdapterInfo }) {
    super(message, { code, cause: options?.cause });
    if (options?.adapter) this.adapter = options.adapter;
  }
}

/** The adapter the `webgpu` backend runs on (WebGPU's `GPUAdapterInfo` plus how Dawn reached it). */
export interface WebGpuAdapterInfo {
  /** `GPUAdapterInfo.vendor`, e.g. `"nvidia"`, `"mesa"`; may be empty. */
  vendor: string;
  /** `GPUAdapterInfo.architecture`, e.g. `"ampere"`, `"software"`; may be empty. */
  architecture: string;
  /** `GPUAdapterInfo.device`, e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`; may be empty. */
  device: string;
  /** `GPUAdapterInfo.description`, e.g. the driver string. */
  description: string;
  /** True for an adapter that emulates a GPU on the CPU (llvmpipe, lavapipe, SwiftShader, softpipe, WARP). */
  software: boolean;
  /** The Dawn options the adapter was requested with (`[]` = Dawn's default: Vulkan / Metal / D3D12). */
  dawnOptions: string[];
  /** `'core'`, or `'compatibility'` on Dawn's OpenGL ES backend. */
  featureLevel: 'core' | 'compatibility';
}

/** Options of {@link initWebGpu}. */
export interface WebGpuOptions {
  /** Refuse a software adapter (`ERR_CNN_WEBGPU_SOFTWARE_ADAPTER`). Default `false`. */
  requireHardware?: boolean;
  /**
   * Dawn's options (`create(options)` of the `webgpu` package, e.g. `['backend=vulkan']`). Default: Dawn's
   * default backend first; on Linux, when it finds no adapter, its OpenGL ES backend in compatibility mode
   * (`['backend=opengles']`, `EGL_PLATFORM=surfaceless` unless set), which reaches Mesa's llvmpipe.
   */
  dawnOptions?: string[];
  /** Module specifiers to load. Default `{ webgpu: 'webgpu', backend: '@tensorflow/tfjs-backend-webgpu' }`. */
  modules?: { webgpu?: string; backend?: string };
}

/** The npm packages the `webgpu` backend loads, with the versions this toolkit is tested with. */
export const WEBGPU_PACKAGES = { webgpu: 'webgpu@0.6.2', backend: '@tensorflow/tfjs-backend-webgpu@4.22.0' } as const;

// Just what is used of WebGPU's types, so the declarations need no @webgpu/types.
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}
interface GpuDeviceLike {
  destroy(): void;
}
interface GpuAdapterLike {
  readonly info: GpuAdapterInfoLike;
  readonly features: { has(name: string): boolean };
  readonly limits: Record<string, number>;
  requestDevice(descriptor: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<GpuDeviceLike>;
}
interface GpuLike {
  requestAdapter(options: { powerPreference?: string; featureLevel?: string }): Promise<GpuAdapterLike | null>;
}

interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface BackendModule {
  WebGPUBackend: new (device: GpuDeviceLike, adapterInfo?: GpuAdapterInfoLike) => tf.KernelBackend;
}

interface WebGpuState {
  info: WebGpuAdapterInfo;
  device: GpuDeviceLike;
}
let state: WebGpuState | null = null;

const SOFTWARE_PATTERN = /llvmpipe|lavapipe|swiftshader|softpipe|software|microsoft basic render/i;

/**
 * True when an adapter emulates a GPU on the CPU: `architecture === 'software'` (lavapipe, SwiftShader report
 * it), or a vendor/device/description naming llvmpipe, lavapipe, SwiftShader, softpipe or WARP (Dawn's OpenGL
 * ES backend leaves `architecture` empty and names llvmpipe in the device string).
 */
export function isSoftwareAdapter(info: Partial<Pick<WebGpuAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>>): boolean {
  if (info.architecture === 'software') return true;
  return SOFTWARE_PATTERN.test([info.vendor, info.device, info.description].filter(Boolean).join(' '));
}

/**
 * One line naming the adapter: `"llvmpipe (LLVM 15.0.6, 256 bits) (vendor mesa, architecture -, OpenGL ES 3.2
 * Mesa 22.3.6; Dawn backend=opengles, compatibility) — SOFTWARE adapter: the GPU is emulated on the CPU, slower
 * than the cpu backend; not a GPU and not a benchmark"`.
 */
export function describeAdapter(info: WebGpuAdapterInfo): string {
  const how = `Dawn ${info.dawnOptions.length ? info.dawnOptions.join(' ') : 'default backend'}, ${info.featureLevel}`;
  const name = info.device || info.description || 'unnamed adapter';
  const base = `${name} (vendor ${info.vendor || '-'}, architecture ${info.architecture || '-'}, ${info.description || '-'}; ${how})`;
  return info.software ? `${base} — SOFTWARE adapter: the GPU is emulated on the CPU, slower than the cpu backend; not a GPU and not a benchmark` : base;
}

async function importPeer<T>(specifier: string, what: string): Promise<T> {
  try {
    return (await import(/* @vite-ignore */ specifier)) as T;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    const detail = missing ? 'is not installed' : `failed to load (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
    throw new WebGpuUnavailableError(
      `Backend "webgpu" needs ${what} ("${specifier}"), which ${detail}. ` +
        `Fix: pnpm add ${WEBGPU_PACKAGES.webgpu} ${WEBGPU_PACKAGES.backend} (the webgpu package needs glibc >= 2.34 on Linux).`,
      'ERR_CNN_WEBGPU_NOT_INSTALLED',
      { cause: error },
    );
  }
}

/** `navigator.gpu` (and the WebGPU constants such as `GPUBufferUsage`) for tfjs-backend-webgpu, which reads globals. */
function installGlobals(dawn: DawnModule, gpu: GpuLike): void {
  const g = globalThis as Record<string, unknown>;
  for (const [key, value] of Object.entries(dawn.globals)) if (g[key] === undefined) g[key] = value;
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  // Node >= 21 defines `navigator` with a getter and no `gpu`: define the property rather than assign it.
  Object.defineProperty(g.navigator as object, 'gpu', { value: gpu, configurable: true, writable: true });
}

async function requestAdapter(dawn: DawnModule, options: WebGpuOptions): Promise<{ gpu: GpuLike; adapter: GpuAdapterLike; info: WebGpuAdapterInfo } | null> {
  const attempts: { dawnOptions: string[]; featureLevel: 'core' | 'compatibility' }[] = options.dawnOptions
    ? [
        { dawnOptions: options.dawnOptions, featureLevel: 'core' },
        { dawnOptions: options.dawnOptions, featureLevel: 'compatibility' },
      ]
    : [{ dawnOptions: [], featureLevel: 'core' }];
  if (!options.dawnOptions && process.platform === 'linux') attempts.push({ dawnOptions: ['backend=opengles'], featureLevel: 'compatibility' });
  for (const attempt of attempts) {
    if (attempt.dawnOptions.includes('backend=opengles') && process.env.EGL_PLATFORM === undefined) process.env.EGL_PLATFORM = 'surfaceless';
    const gpu = dawn.create(attempt.dawnOptions);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel: attempt.featureLevel });
    if (!adapter) continue;
    const raw = adapter.info;
    const fields = { vendor: raw.vendor ?? '', architecture: raw.architecture ?? '', device: raw.device ?? '', description: raw.description ?? '' };
    return { gpu, adapter, info: { ...fields, software: isSoftwareAdapter(fields), ...attempt } };
  }
  return null;
}

/**
 * Loads `webgpu` (Dawn) and `@tensorflow/tfjs-backend-webgpu` — `navigator.gpu` defined before the backend
 * module is imported, as it checks for it at import — finds an adapter, creates the device and registers the
 * tfjs backend `'webgpu'` on it (with this toolkit's custom kernels, see `webgpu-kernels.ts`). Does not
 * activate it: `tf.setBackend('webgpu')` does (or `selectBackend('webgpu')`). Idempotent while initialised.
 *
 * @returns the adapter, `software: true` for an emulated one.
 * @throws WebGpuUnavailableError `ERR_CNN_WEBGPU_NOT_INSTALLED` (a package is missing: the message names the
 *   `pnpm add`), `ERR_CNN_WEBGPU_NO_ADAPTER` (no adapter: the message names the Vulkan ICD / Mesa to install),
 *   `ERR_CNN_WEBGPU_SOFTWARE_ADAPTER` (software adapter under `requireHardware`), `ERR_CNN_WEBGPU_INIT`.
 */
export async function initWebGpu(options: WebGpuOptions = {}): Promise<WebGpuAdapterInfo> {
  if (state) {
    if (options.requireHardware && state.info.software) throw softwareRefused(state.info);
    return state.info;
  }
  const dawn = await importPeer<DawnModule>(options.modules?.webgpu ?? 'webgpu', 'Dawn for Node, the npm package "webgpu"');
  const found = await requestAdapter(dawn, options);
  if (!found) {
    throw new WebGpuUnavailableError(
      `Backend "webgpu": Dawn found no WebGPU adapter${options.dawnOptions ? ` with options [${options.dawnOptions.join(', ')}]` : ''}. ` +
        'Fix: on a GPU machine install the driver with Vulkan support (libvulkan1 and the vendor ICD, e.g. ' +
        '/usr/share/vulkan/icd.d/nvidia_icd.json; in a container set NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics); ' +
        'for a software adapter (tests only) run scripts/setup.sh (Mesa llvmpipe through EGL), or pick --backend onednn/cpu.',
      'ERR_CNN_WEBGPU_NO_ADAPTER',
    );
  }
  const { gpu, adapter, info } = found;
  if (options.requireHardware && info.software) throw softwareRefused(info);
  installGlobals(dawn, gpu);
  const backendModule = await importPeer<BackendModule>(options.modules?.backend ?? '@tensorflow/tfjs-backend-webgpu', 'tfjs-backend-webgpu');
  let device: GpuDeviceLike;
  try {
    const limits = adapter.limits;
    const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
    // The limits tfjs-backend-webgpu asks for (base.ts), so big tensors fit as they do in the browser.
    device = await adapter.requestDevice({
      requiredFeatures,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      },
    });
  } catch (error) {
    throw new WebGpuUnavailableError(`Backend "webgpu": requestDevice failed on ${describeAdapter(info)}: ${String(error)}`, 'ERR_CNN_WEBGPU_INIT', {
      cause: error,
    });
  }
  // The module registered a 'webgpu' factory that requests its own adapter; use the one chosen here.
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new backendModule.WebGPUBackend(device, adapter.info), 2);
  registerWebGpuKernels();
  state = { info, device };
  return info;
}

function softwareRefused(info: WebGpuAdapterInfo): WebGpuUnavailableError {
  return new WebGpuUnavailableError(
    `Backend "webgpu": the only adapter is a software one, refused by requireHardware: ${describeAdapter(info)}. ` +
      'Fix: run on a machine with a GPU and its Vulkan/Metal/D3D12 driver (NVIDIA: libvulkan1, nvidia_icd.json, ' +
      'NVIDIA_DRIVER_CAPABILITIES including graphics), or drop requireHardware to test on the software adapter.',
    'ERR_CNN_WEBGPU_SOFTWARE_ADAPTER',
    { adapter: info },
  );
}

/** The adapter of the initialised `webgpu` backend, or `null` before {@link initWebGpu}. */
export function webGpuAdapter(): WebGpuAdapterInfo | null {
  return state?.info ?? null;
}

/**
 * Releases the `webgpu` backend: removes it from tfjs (disposing its buffers; the active backend, if it was
 * `webgpu`, falls back to tfjs' next one on the next op) and destroys the device, so Dawn holds nothing that
 * keeps the Node process alive. A later {@link initWebGpu} starts afresh. No-op when not initialised.
 */
export function disposeWebGpu(): void {
  if (!state) return;
  const { device } = state;
  state = null;
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  device.destroy();
}

/**
 * Whether a WebGPU adapter is reachable here, without keeping it: `null` when one is (a software adapter counts;
 * see {@link WebGpuAdapterInfo.software}), else the reason — the message of {@link initWebGpu}'s
 * `ERR_CNN_WEBGPU_NOT_INSTALLED` or `ERR_CNN_WEBGPU_NO_ADAPTER` error, which names what to install or set. A probe
 * started while `webgpu` is already initialised answers `null` and leaves it as it is; otherwise the adapter and
 * device it opened are released again ({@link disposeWebGpu}), so the probe keeps nothing alive. Use it to skip or
 * fail GPU tests with a reason, as `tf.findBackend` is used in tfjs' own test suites.
 *
 * @throws WebGpuUnavailableError with any other code (`ERR_CNN_WEBGPU_INIT`: the adapter exists but the device failed).
 */
export async function probeWebGpu(): Promise<string | null> {
  if (state) return null;
  try {
    await initWebGpu();
    return null;
  } catch (error) {
    if (WebGpuUnavailableError.isInstance(error) && (error.code === 'ERR_CNN_WEBGPU_NO_ADAPTER' || error.code === 'ERR_CNN_WEBGPU_NOT_INSTALLED'))
      return error.message;
    throw error;
  } finally {
    disposeWebGpu();
  }
}
