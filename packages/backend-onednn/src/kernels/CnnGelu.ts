/**
 * `CnnGelu` and `CnnGeluGrad`: the exact GELU (`x·Φ(x)`, torch.nn.GELU() / `approximate='none'`) and its
 * gradient, natively (backend `onednn` only). The kernel names are the contract with `@cnn/models`' `GELU`
 * layer, which runs them through `tf.engine().runKernel` when both are registered for the active backend and tf
 * ops (`tf.erf`) otherwise.
 *
 * - `CnnGelu` — input `x` (float32, any shape); output `y = x·Φ(x)`, `Φ(x) = ½·erfc(−x/√2)`.
 * - `CnnGeluGrad` — inputs `dy`, `x` (float32, same size); output `dx = dy·(Φ(x) + x·φ(x))`,
 *   `φ(x) = exp(−x²/2)/√(2π)`.
 *
 * Vectorised float32 approximations (src/native/gelu.cc): Φ within 7.9e-8 absolute of the exact value, so both
 * match PyTorch's float32 results to ~1e-7 (PyTorch itself loses relative precision in `1 + erf(z)` for
 * negative inputs; this does not). NaN propagates. Reference: Hendrycks & Gimpel, "Gaussian Error Linear Units
 * (GELUs)", 2016.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { optimizerInput } from './CnnAdamUpdate.js';
import { output } from './util.js';
import { GELU_GRAD_KERNEL, GELU_KERNEL } from '@cnn/core';
import { OnednnError } from '../binding-diagnostics.js';

/** Kernel names (contract with @cnn/models). */
export const CNN_GELU = GELU_KERNEL;
export const CNN_GELU_GRAD = GELU_GRAD_KERNEL;

/** `y = gelu(x)`. @throws Error when `x` is missing or not float32. */
export function cnnGelu(args: { inputs: NamedTensorInfoMap; backend: OnednnBackend }): TensorInfo {
  const { inputs, backend } = args;
  const x = inputs['x'];
  if (x == null) throw new OnednnError(`${CNN_GELU}: input 'x' is required`);
  const n = tf.util.sizeFromShape(x.shape);
  const xv = optimizerInput(backend, CNN_GELU, 'x', x, n);
  const y = backend.allocOutput(n);
  backend.binding.gelu(xv, y, n);
  return output(backend, [...x.shape], y);
}

/** `dx = dy·gelu'(x)`. @throws Error when an input is missing, not float32, or of another size than `x`. */
export function cnnGeluGrad(args: { inputs: NamedTensorInfoMap; backend: OnednnBackend }): TensorInfo {
  const { inputs, backend } = args;
  const x = inputs['x'];
  if (x == null) throw new OnednnError(`${CNN_GELU_GRAD}: input 'x' is required`);
  const n = tf.util.sizeFromShape(x.shape);
  const xv = optimizerInput(backend, CNN_GELU_GRAD, 'x', x, n);
  const dy = optimizerInput(backend, CNN_GELU_GRAD, 'dy', inputs['dy'], n);
  const dx = backend.allocOutput(n);
  backend.binding.geluGrad(dy, xv, dx, n);
  return output(backend, [...x.shape], dx);
}

export const cnnGeluConfig: KernelConfig = {
  kernelName: CNN_GELU,
  backendName: 'onednn',
  kernelFunc: cnnGelu as unknown as KernelFunc,
};

export const cnnGeluGradConfig: KernelConfig = {
  kernelName: CNN_GELU_GRAD,
  backendName: 'onednn',
  kernelFunc: cnnGeluGrad as unknown as KernelFunc,
};
