/**
 * Chooses and activates a tfjs backend by name, optionally falling back to `cpu` with a loud warning.
 */
import * as tf from '@tensorflow/tfjs-core';

import { addonOrigin, BUILD_FROM_SOURCE_COMMAND, getBinding, isOnednnAvailable, type Precision } from './binding.js';
import './register.js';
import { OnednnError } from './binding-diagnostics.js';
import { PRECISION_CHOICES, setPrecision } from './info.js';
import { describeAdapter, disposeWebGpu, initWebGpu, type WebGpuAdapterInfo, WebGpuUnavailableError } from './webgpu.js';

/** Backend names accepted by {@link selectBackend}. */
export const BACKEND_CHOICES = ['auto', 'onednn', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
/** One of {@link BACKEND_CHOICES}. */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** When the choice fails, use `cpu` and warn instead of throwing. Default `false`. */
  fallback?: boolean;
  /** Receives warnings (multi-line) and `auto`'s one line on why it did not use webgpu. Default `console.warn`. */
  log?: (message: string) => void;
  /** `webgpu`: refuse a software adapter (llvmpipe, lavapipe, SwiftShader). Default `false`; `auto` always refuses one. */
  requireHardware?: boolean;
  /** `webgpu`: Dawn's options, e.g. `['backend=vulkan']` (see `initWebGpu`). Default: Dawn's default, then OpenGL ES on Linux. */
  dawnOptions?: string[];
  /**
   * `onednn`: the compute precision of convolutions and matmuls (see `setPrecision`): `'float32'` (default) or
   * `'bf16'` (mixed precision on AVX512_BF16 / AMX, float32 master weights, batch norm and loss). `'bf16'` with
   * another backend than `onednn` is refused (`OnednnError`, code `ERR_CNN_PRECISION_BACKEND`), and on a CPU
   * without bf16 (`Bf16UnsupportedError`, code `ERR_CNN_BF16_UNSUPPORTED`), `fallback` or not.
   */
  precision?: Precision;
}

/** What {@link selectBackend} activated and why. */
export interface SelectedBackend {
  /** The active tfjs backend name (`tf.getBackend()`), e.g. `"onednn"`. */
  backend: string;
  /** Human-readable reason for the choice. */
  reason: string;
  /** On `webgpu`: the adapter (vendor, architecture, description; `software: true` for an emulated GPU). */
  adapter?: WebGpuAdapterInfo;
  /**
   * Releases what the backend holds outside the JS heap so the process can exit: on `webgpu` the Dawn device
   * (`disposeWebGpu`); a no-op on the others. Call it when the command is done with tensors.
   */
  dispose: () => void;
}

// Optional peer packages: a non-literal specifier keeps bundlers and tsc from resolving them.
async function importOptional(specifier: string): Promise<boolean> {
  try {
    await import(specifier);
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return false;
    throw error;
  }
}

async function activate(name: string): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) throw new OnednnError(`tf.setBackend('${name}') failed to initialise the backend (see the warning above)`, { code: 'ERR_CNN_BACKEND_INIT' });
  await tf.ready();
}

/**
 * "oneDNN 2.6.3 (prebuilt addon /…/@cnn/backend-onednn-linux-x64/prebuilt/onednn_binding.node, libdnnl /…/libdnnl.so.2), isa avx2,
 * kernels avx2, 2 threads": the version, where the addon and libdnnl were loaded from, oneDNN's ISA, the clone
 * of our own kernels in use and the OpenMP threads.
 */
function describeOnednn(): string {
  const binding = getBinding();
  const info = binding.getInfo();
  const origin = addonOrigin(binding);
  return (
    `oneDNN ${info.onednnVersion} (${origin.kind} addon ${origin.addonPath}, libdnnl ${origin.libraryPath || 'unknown'}), ` +
    `isa ${info.isa}, kernels ${info.kernelIsa}, ${info.threads} threads`
  );
}

/** The adapter a `requireHardware` refusal names, if that is the error. */
function webGpuAdapterOf(error: unknown): WebGpuAdapterInfo | undefined {
  return WebGpuUnavailableError.isInstance(error) && error.code === 'ERR_CNN_WEBGPU_SOFTWARE_ADAPTER' ? error.adapter : undefined;
}

interface Choice {
  reason: string;
  adapter?: WebGpuAdapterInfo;
}

async function chooseWebGpu(opts: SelectBackendOptions, requireHardware: boolean, label: string): Promise<Choice> {
  const adapter = await initWebGpu({ requireHardware, dawnOptions: opts.dawnOptions });
  try {
    await activate('webgpu');
  } catch (error) {
    disposeWebGpu();
    throw new WebGpuUnavailableError(`Backend "webgpu" failed to initialise on ${describeAdapter(adapter)}: ${String(error)}`, 'ERR_CNN_WEBGPU_INIT', {
      cause: error,
    });
  }
  return { reason: `${label}: WebGPU on ${describeAdapter(adapter)}`, adapter };
}

async function choose(name: BackendChoice, opts: SelectBackendOptions, log: (message: string) => void): Promise<Choice> {
  switch (name) {
    case 'webgpu':
      return chooseWebGpu(opts, opts.requireHardware ?? false, 'requested webgpu');
    case 'onednn': {
      const described = describeOnednn(); // throws OnednnUnavailableError with the fix
      await activate('onednn');
      return { reason: `requested onednn: ${described}` };
    }
    case 'auto': {
      // A hardware WebGPU adapter first; never a software one (slower than the CPU backends).
      try {
        return await chooseWebGpu(opts, true, 'auto');
      } catch (error) {
        disposeWebGpu();
        const adapter = webGpuAdapterOf(error);
        const why = adapter
          ? `only a software adapter: ${adapter.device || adapter.description}`
          : (error instanceof Error ? error.message : String(error)).split('. Fix:')[0]!.replace(/^Backend "webgpu"(: )?/, '');
        const next = isOnednnAvailable() ? 'onednn' : 'cpu';
        // Silent when the optional peer is simply not installed: webgpu was never a candidate then.
        if (!(WebGpuUnavailableError.isInstance(error) && error.code === 'ERR_CNN_WEBGPU_NOT_INSTALLED')) log(`auto: not using webgpu (${why}); using ${next}`);
      }
      if (isOnednnAvailable()) {
        const described = describeOnednn();
        await activate('onednn');
        return { reason: `auto: native ${described}` };
      }
      await activate('cpu');
      let why = 'unknown';
      try {
        getBinding();
      } catch (error) {
        why = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
      }
      return { reason: `auto: onednn unavailable (${why}); using the JS cpu backend` };
    }
    case 'tensorflow': {
      const loaded = (await importOptional('@tensorflow/tfjs-node-gpu')) || (await importOptional('@tensorflow/tfjs-node'));
      if (!loaded) {
        throw new OnednnError(
          'Backend "tensorflow" needs @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu), ' +
            'which is not installed. Fix: pnpm add @tensorflow/tfjs-node@4.22.0',
          { code: 'ERR_CNN_BACKEND_INIT' },
        );
      }
      await activate('tensorflow');
      return { reason: 'requested tensorflow: libtensorflow through @tensorflow/tfjs-node' };
    }
    case 'wasm': {
      if (!(await importOptional('@tensorflow/tfjs-backend-wasm'))) {
        throw new OnednnError(
          'Backend "wasm" needs @tensorflow/tfjs-backend-wasm, which is not installed. ' + 'Fix: pnpm add @tensorflow/tfjs-backend-wasm@4.22.0',
          { code: 'ERR_CNN_BACKEND_INIT' },
        );
      }
      await activate('wasm');
      return { reason: 'requested wasm: @tensorflow/tfjs-backend-wasm' };
    }
    case 'cpu':
      await activate('cpu');
      return { reason: 'requested cpu: the JS reference backend' };
  }
}

/**
 * Activates a backend (`await tf.setBackend(...)`, then `tf.ready()`).
 *
 * - `onednn`: this package's native backend (the reason names the oneDNN version, where the addon and libdnnl
 *   were loaded from — prebuilt or source build — the ISA and threads); `tensorflow`: `@tensorflow/tfjs-node-gpu`, else
 *   `@tensorflow/tfjs-node` (dynamic import); `wasm`: `@tensorflow/tfjs-backend-wasm`; `cpu`: the JS backend;
 *   `webgpu`: `@tensorflow/tfjs-backend-webgpu` on Dawn (the `webgpu` package), both optional peers (see
 *   `initWebGpu`); the reason and `adapter` name the adapter and say when it is a software one, which
 *   `requireHardware: true` refuses (`WebGpuUnavailableError`, code `ERR_CNN_WEBGPU_SOFTWARE_ADAPTER`);
 *   `auto`: `webgpu` on a hardware adapter, else `onednn` when its addon loads, else `cpu` — never a software
 *   adapter; when webgpu is installed but not used, one `log` line says why.
 * - Call the result's `dispose()` when done, so a `webgpu` device does not keep the process alive.
 * - With `fallback: true` a failing choice activates `cpu` and logs a multi-line warning naming the cause and
 *   the fix; otherwise the error is thrown.
 *
 * @returns the active backend and the reason it was chosen.
 * @throws Error `Unknown backend "x"; expected one of auto, onednn, webgpu, tensorflow, wasm, cpu` for other names;
 *   `OnednnError` (code `ERR_CNN_PRECISION_BACKEND`) for `precision: 'bf16'` with a backend other than `onednn`;
 *   `Bf16UnsupportedError` (code `ERR_CNN_BF16_UNSUPPORTED`) for `precision: 'bf16'` on a CPU without
 *   AVX512_BF16 / AMX; `OnednnUnavailableError` for `precision: 'bf16'` when the addon cannot load;
 *   `WebGpuUnavailableError` (codes `ERR_CNN_WEBGPU_NOT_INSTALLED`, `ERR_CNN_WEBGPU_NO_ADAPTER`,
 *   `ERR_CNN_WEBGPU_SOFTWARE_ADAPTER`, `ERR_CNN_WEBGPU_INIT`) for `webgpu` without `fallback`.
 */
export async function selectBackend(name: BackendChoice, opts: SelectBackendOptions = {}): Promise<SelectedBackend> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(name)) {
    throw new OnednnError(`Unknown backend "${String(name)}"; expected one of ${BACKEND_CHOICES.join(', ')}`, { code: 'ERR_CNN_UNKNOWN_BACKEND' });
  }
  const precision = opts.precision ?? 'float32';
  if (!PRECISION_CHOICES.includes(precision)) {
    throw new OnednnError(`Unknown precision "${String(precision)}"; expected one of ${PRECISION_CHOICES.join(', ')}`, { code: 'ERR_CNN_ONEDNN' });
  }
  if (precision === 'bf16') {
    if (name !== 'onednn') {
      throw new OnednnError(`precision bf16 runs on the onednn backend only; backend "${name}" computes in float32. Use backend onednn or precision float32`, {
        code: 'ERR_CNN_PRECISION_BACKEND',
      });
    }
    setPrecision('bf16'); // throws OnednnUnavailableError / Bf16UnsupportedError before anything is activated
  }
  const log = opts.log ?? ((message: string) => console.warn(message));
  try {
    const { reason, adapter } = await choose(name, opts, log);
    const backend = tf.getBackend();
    if (backend === 'onednn' && precision === 'float32') setPrecision('float32');
    if (precision === 'bf16') return { backend, reason: `${reason}, precision bf16`, dispose: () => {} };
    return adapter ? { backend, reason, adapter, dispose: disposeWebGpu } : { backend, reason, dispose: () => {} };
  } catch (error) {
    if (!opts.fallback) throw error;
    const cause = error instanceof Error ? error.message : String(error);
    const bar = '='.repeat(78);
    log(
      [
        bar,
        `WARNING: backend "${name}" could not be used; FALLING BACK to the slow JS "cpu" backend.`,
        `Cause: ${cause}`,
        'Fix: do what the cause names (onednn: build the addon from source with a C++17 compiler and oneDNN 2.x/3.x:',
        `     ${BUILD_FROM_SOURCE_COMMAND}), or pick another backend.`,
        bar,
      ].join('\n'),
    );
    await activate('cpu');
    return { backend: tf.getBackend(), reason: `fallback from ${name}: ${cause.split('\n')[0]}`, dispose: () => {} };
  }
}
