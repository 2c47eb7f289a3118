/**
 * The `onednn` backend: tfjs' JS CPU backend (same tensor storage, same fallback kernels) whose hot kernels
 * run natively on oneDNN through {@link OnednnBinding}.
 */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';

import { getBinding, type OnednnBinding } from './binding.js';

/** Name under which the backend registers. */
export const BACKEND_NAME = 'onednn';

/**
 * `MathBackendCPU` plus the native binding. Tensor data stays in the JS `Float32Array`s the CPU backend
 * holds; native kernels read and write them in place.
 */
export class OnednnBackend extends MathBackendCPU {
  /** The loaded native binding. */
  readonly binding: OnednnBinding;

  /**
   * @param binding defaults to the process-wide {@link getBinding}.
   * @throws OnednnUnavailableError when the addon or libdnnl cannot be loaded.
   */
  constructor(binding: OnednnBinding = getBinding()) {
    super();
    this.binding = binding;
    // MathBackendCPU prints a "install tfjs-node" banner on first use; this backend is the native path.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }
}
