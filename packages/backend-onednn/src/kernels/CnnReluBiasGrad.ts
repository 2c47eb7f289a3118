/**
 * `CnnReluBiasGrad`: ReLU's gradient through its output plus the bias gradient in one native pass (backend
 * `onednn` only), the contract with `@cnn/models`' fused `Conv2D` / `Dense` layers (`RELU_BIAS_GRAD_KERNEL`).
 *
 * Inputs: `dy`, `y` (float32, same shape `[..., channels]`; `y` is the ReLU's output). No attrs.
 * Outputs: `[dz, dbias]`: `dz = dy · (y > 0)` (like `dy`; NaN where `y` is NaN, as `dy · step(y)`) and
 * `dbias[c] = Σ dz[..., c]` over every axis but the last (`[channels]`, double accumulation like tfjs' Sum).
 */
import type { KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { optimizerInput } from './CnnAdamUpdate.js';
import { batchNormGeometry } from './CnnBatchNormTrain.js';
import { output } from './util.js';
import { RELU_BIAS_GRAD_KERNEL } from '@cnn/core';

/** Kernel name (contract with @cnn/models). */
export const CNN_RELU_BIAS_GRAD = RELU_BIAS_GRAD_KERNEL;

/** See the module documentation. @throws Error when an input is missing, not float32, or of another size. */
export function cnnReluBiasGrad(args: { inputs: NamedTensorInfoMap; backend: OnednnBackend }): TensorInfo[] {
  const { inputs, backend } = args;
  const k = CNN_RELU_BIAS_GRAD;
  const { rows, channels } = batchNormGeometry(k, inputs['dy'], 'dy');
  const n = rows * channels;
  const dy = optimizerInput(backend, k, 'dy', inputs['dy'], n);
  const y = optimizerInput(backend, k, 'y', inputs['y'], n);
  const dz = backend.allocOutput(n);
  const dbias = backend.allocOutput(channels);
  backend.binding.reluBiasGrad(dy, y, dz, dbias, rows, channels);
  return [output(backend, [...inputs['dy']!.shape], dz), output(backend, [channels], dbias)];
}

export const cnnReluBiasGradConfig: KernelConfig = {
  kernelName: CNN_RELU_BIAS_GRAD,
  backendName: 'onednn',
  kernelFunc: cnnReluBiasGrad as unknown as KernelFunc,
};
