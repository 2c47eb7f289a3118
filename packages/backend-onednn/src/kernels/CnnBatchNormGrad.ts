/**
 * `CnnBatchNormGrad`: the closed-form gradient of training-mode batch normalisation (backend `onednn` only),
 * the backward half of `CnnBatchNormTrain`'s contract with `@cnn/models`' `BatchNorm`.
 *
 * Inputs: `dy`, `x` (float32, same shape `[..., channels]`), `gamma`, `mean`, `variance` (float32 `[channels]`;
 * `mean`/`variance` are `CnnBatchNormTrain`'s outputs). Attr: `epsilon`.
 * Outputs: `[dx, dgamma, dbeta]` with `N` = elements per channel, `invstd = 1/sqrt(variance + epsilon)`,
 * `x̂ = (x − mean)·invstd` and sums over all axes but the last:
 * `dx = gamma·invstd/N·(N·dy − Σdy − x̂·Σ(dy·x̂))`, `dgamma = Σ(dy·x̂)`, `dbeta = Σdy`.
 * One pass over `dy`, `x` for the sums (double accumulators), one for `dx`.
 */
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { numberAttr, optimizerInput } from './CnnAdamUpdate.js';
import { batchNormGeometry } from './CnnBatchNormTrain.js';
import { output } from './util.js';
import { BATCH_NORM_GRAD_KERNEL } from '@cnn/core';

/** Kernel name (contract with @cnn/models). */
export const CNN_BATCH_NORM_GRAD = BATCH_NORM_GRAD_KERNEL;

/** The closed-form batch-norm gradient; see the module documentation. */
export function cnnBatchNormGrad(args: { inputs: NamedTensorInfoMap; backend: OnednnBackend; attrs: NamedAttrMap }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const k = CNN_BATCH_NORM_GRAD;
  const x = inputs['x'];
  const { rows, channels } = batchNormGeometry(k, x);
  const n = rows * channels;
  const dy = optimizerInput(backend, k, 'dy', inputs['dy'], n);
  const xv = optimizerInput(backend, k, 'x', x, n);
  const gamma = optimizerInput(backend, k, 'gamma', inputs['gamma'], channels);
  const mean = optimizerInput(backend, k, 'mean', inputs['mean'], channels);
  const variance = optimizerInput(backend, k, 'variance', inputs['variance'], channels);
  const eps = numberAttr(k, attrs, 'epsilon');
  const dx = backend.allocOutput(n);
  const dgamma = backend.allocOutput(channels);
  const dbeta = backend.allocOutput(channels);
  backend.binding.batchNormGrad(dy, xv, gamma, mean, variance, dx, dgamma, dbeta, rows, channels, eps);
  return [output(backend, [...x!.shape], dx), output(backend, [channels], dgamma), output(backend, [channels], dbeta)];
}

export const cnnBatchNormGradConfig: KernelConfig = {
  kernelName: CNN_BATCH_NORM_GRAD,
  backendName: 'onednn',
  kernelFunc: cnnBatchNormGrad as unknown as KernelFunc,
};
