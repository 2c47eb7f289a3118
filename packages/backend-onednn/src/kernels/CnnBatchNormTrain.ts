/**
 * `CnnBatchNormTrain`: training-mode batch normalisation over the last (channel) axis in one native call
 * (backend `onednn` only). The kernel name is the contract with `@cnn/models`' `BatchNorm` layer, which calls it
 * through `tf.engine().runKernel` when `tf.getKernel('CnnBatchNormTrain', tf.getBackend())` exists and uses its
 * tf-op path otherwise; neither package imports the other.
 *
 * Inputs: `x` (float32 `[..., channels]`, e.g. NHWC `[batch, height, width, channels]` or `[batch, features]`),
 * `gamma`, `beta` (float32 `[channels]`). Attr: `epsilon` (added to the variance).
 * Outputs: `[y, mean, variance]` — `y` like `x`, `y = (x − mean)·gamma/sqrt(variance + epsilon) + beta`; `mean`
 * and the *biased* `variance` (`[channels]`) over all axes but the last. One pass over `x` for the statistics
 * (double accumulators), one for `y`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { numberAttr, optimizerInput } from './CnnAdamUpdate.js';
import { output } from './util.js';
import { BATCH_NORM_TRAIN_KERNEL } from '@cnn/core';
import { OnednnError } from '../binding-diagnostics.js';

/** Kernel name (contract with @cnn/models). */
export const CNN_BATCH_NORM_TRAIN = BATCH_NORM_TRAIN_KERNEL;

/** Rows (`size / channels`) and channels of a batch-norm input, validated. */
export function batchNormGeometry(kernel: string, x: TensorInfo | undefined, name = 'x'): { rows: number; channels: number } {
  if (x == null) throw new OnednnError(`${kernel}: input '${name}' is required`);
  const channels = x.shape[x.shape.length - 1] ?? 0;
  const size = tf.util.sizeFromShape(x.shape);
  if (x.shape.length < 2 || channels === 0 || size === 0) {
    throw new OnednnError(`${kernel}: input '${name}' must be non-empty with rank >= 2, got shape [${x.shape}]`);
  }
  return { rows: size / channels, channels };
}

/** The fused training-mode batch norm; see the module documentation. */
export function cnnBatchNormTrain(args: { inputs: tf.NamedTensorInfoMap; backend: OnednnBackend; attrs: NamedAttrMap }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const k = CNN_BATCH_NORM_TRAIN;
  const x = inputs['x'];
  const { rows, channels } = batchNormGeometry(k, x);
  const xv = optimizerInput(backend, k, 'x', x, rows * channels);
  const gamma = optimizerInput(backend, k, 'gamma', inputs['gamma'], channels);
  const beta = optimizerInput(backend, k, 'beta', inputs['beta'], channels);
  const eps = numberAttr(k, attrs, 'epsilon');
  const y = backend.allocOutput(rows * channels);
  const mean = backend.allocOutput(channels);
  const variance = backend.allocOutput(channels);
  backend.binding.batchNormTrain(xv, gamma, beta, y, mean, variance, rows, channels, eps);
  return [output(backend, [...x!.shape], y), output(backend, [channels], mean), output(backend, [channels], variance)];
}

export const cnnBatchNormTrainConfig: KernelConfig = {
  kernelName: CNN_BATCH_NORM_TRAIN,
  backendName: 'onednn',
  kernelFunc: cnnBatchNormTrain as unknown as KernelFunc,
};
