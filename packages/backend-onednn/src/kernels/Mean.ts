/**
 * Native float32 `Mean` over a contiguous run of leading axes (e.g. BatchNorm's per-channel moments:
 * `[batch, h, w, C]` → `[C]`) or trailing axes, summed in double and divided once by the count. tfjs' cpu kernel
 * instead divides every element and then sums through a JS transpose (seconds on CIFAR-sized activations).
 * Other axis sets and dtypes use the JS kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, MeanAttrs, MeanInputs, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { reduceNative } from './Sum.js';
import { type Defined, runCpuKernel } from './util.js';

/** Mean of x over `axis`; output keeps reduced axes as 1 when `keepDims`. */
export function mean(args: { inputs: MeanInputs; backend: OnednnBackend; attrs: MeanAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as Defined<MeanInputs>;
  return reduceNative(backend, x, attrs.axis, attrs.keepDims, true) ?? (runCpuKernel(tf.Mean, { ...inputs }, backend, { ...attrs }) as TensorInfo);
}

export const meanConfig: KernelConfig = {
  kernelName: tf.Mean,
  backendName: 'onednn',
  kernelFunc: mean as unknown as KernelFunc,
};
