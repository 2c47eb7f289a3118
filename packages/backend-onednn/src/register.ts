/**
 * Registers the `onednn` backend (priority 3) and its kernels: every kernel tfjs has registered for `cpu` is
 * re-registered under `onednn`, then the native kernels replace the hot ones. Idempotent.
 */
// The cpu backend module must load first so that its kernels exist to be copied.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

import { BACKEND_NAME, OnednnBackend } from './backend.js';
import { NATIVE_KERNEL_CONFIGS } from './kernels/index.js';

/** Priority of the backend: above `cpu` (1), so importing this package makes it the default when it loads. */
export const BACKEND_PRIORITY = 3;

/** Names of the kernels that run natively on `onednn`. */
export const NATIVE_KERNEL_NAMES: readonly string[] = NATIVE_KERNEL_CONFIGS.map((k) => k.kernelName);

/**
 * Registers the backend factory and all kernels; safe to call more than once. Called on import of the package.
 * The factory throws {@link OnednnUnavailableError} when the addon cannot load (tfjs then falls back).
 */
export function registerOnednnBackend(): void {
  if (tf.findBackendFactory(BACKEND_NAME) == null) {
    tf.registerBackend(BACKEND_NAME, () => new OnednnBackend(), BACKEND_PRIORITY);
  }
  const native = new Set(NATIVE_KERNEL_NAMES);
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (native.has(config.kernelName) || tf.getKernel(config.kernelName, BACKEND_NAME) != null) continue;
    tf.registerKernel({ ...config, backendName: BACKEND_NAME });
  }
  for (const config of NATIVE_KERNEL_CONFIGS) {
    if (tf.getKernel(config.kernelName, BACKEND_NAME) == null) tf.registerKernel(config);
  }
}

registerOnednnBackend();
