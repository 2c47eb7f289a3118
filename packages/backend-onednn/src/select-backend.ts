/**
 * Chooses and activates a tfjs backend by name, optionally falling back to `cpu` with a loud warning.
 */
import * as tf from '@tensorflow/tfjs-core';

import { addonOrigin, BUILD_FROM_SOURCE_COMMAND, getBinding, isOnednnAvailable } from './binding.js';
import './register.js';
import { OnednnError } from './binding-diagnostics.js';

/** Backend names accepted by {@link selectBackend}. */
export const BACKEND_CHOICES = ['auto', 'onednn', 'tensorflow', 'wasm', 'cpu'] as const;
/** One of {@link BACKEND_CHOICES}. */
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /** When the choice fails, use `cpu` and warn instead of throwing. Default `false`. */
  fallback?: boolean;
  /** Receives warnings (multi-line). Default `console.warn`. */
  log?: (message: string) => void;
}

/** What {@link selectBackend} activated and why. */
export interface SelectedBackend {
  /** The active tfjs backend name (`tf.getBackend()`), e.g. `"onednn"`. */
  backend: string;
  /** Human-readable reason for the choice. */
  reason: string;
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

async function choose(name: BackendChoice): Promise<string> {
  switch (name) {
    case 'onednn': {
      const described = describeOnednn(); // throws OnednnUnavailableError with the fix
      await activate('onednn');
      return `requested onednn: ${described}`;
    }
    case 'auto': {
      if (isOnednnAvailable()) {
        const described = describeOnednn();
        await activate('onednn');
        return `auto: native ${described}`;
      }
      await activate('cpu');
      let why = 'unknown';
      try {
        getBinding();
      } catch (error) {
        why = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
      }
      return `auto: onednn unavailable (${why}); using the JS cpu backend`;
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
      return 'requested tensorflow: libtensorflow through @tensorflow/tfjs-node';
    }
    case 'wasm': {
      if (!(await importOptional('@tensorflow/tfjs-backend-wasm'))) {
        throw new OnednnError(
          'Backend "wasm" needs @tensorflow/tfjs-backend-wasm, which is not installed. ' + 'Fix: pnpm add @tensorflow/tfjs-backend-wasm@4.22.0',
          { code: 'ERR_CNN_BACKEND_INIT' },
        );
      }
      await activate('wasm');
      return 'requested wasm: @tensorflow/tfjs-backend-wasm';
    }
    case 'cpu':
      await activate('cpu');
      return 'requested cpu: the JS reference backend';
  }
}

/**
 * Activates a backend (`await tf.setBackend(...)`, then `tf.ready()`).
 *
 * - `onednn`: this package's native backend (the reason names the oneDNN version, where the addon and libdnnl
 *   were loaded from — prebuilt or source build — the ISA and threads); `tensorflow`: `@tensorflow/tfjs-node-gpu`, else
 *   `@tensorflow/tfjs-node` (dynamic import); `wasm`: `@tensorflow/tfjs-backend-wasm`; `cpu`: the JS backend;
 *   `auto`: `onednn` when its addon loads, else `cpu`.
 * - With `fallback: true` a failing choice activates `cpu` and logs a multi-line warning naming the cause and
 *   the fix; otherwise the error is thrown.
 *
 * @returns the active backend and the reason it was chosen.
 * @throws Error `Unknown backend "x"; expected one of auto, onednn, tensorflow, wasm, cpu` for other names.
 */
export async function selectBackend(name: BackendChoice, opts: SelectBackendOptions = {}): Promise<SelectedBackend> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(name)) {
    throw new OnednnError(`Unknown backend "${String(name)}"; expected one of ${BACKEND_CHOICES.join(', ')}`, { code: 'ERR_CNN_UNKNOWN_BACKEND' });
  }
  const log = opts.log ?? ((message: string) => console.warn(message));
  try {
    const reason = await choose(name);
    return { backend: tf.getBackend(), reason };
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
    return { backend: tf.getBackend(), reason: `fallback from ${name}: ${cause.split('\n')[0]}` };
  }
}
