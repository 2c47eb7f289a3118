/** Native `MaxPool` (NHWC) on oneDNN; padded cells never win, as in tfjs. */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, MaxPoolAttrs, MaxPoolInputs, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { type Defined, floatValues, output, poolParams, runCpuKernel } from './util.js';

/** `y[batch, outH, outW, C]` = window maxima of x `[batch, inH, inW, C]`. */
export function maxPool(args: { inputs: MaxPoolInputs; backend: OnednnBackend; attrs: MaxPoolAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as Defined<MaxPoolInputs>;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const params = poolParams(info);
  const xv = floatValues(backend, x);
  if (!params || !xv) return runCpuKernel(tf.MaxPool, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const out = backend.allocOutput(tf.util.sizeFromShape(info.outShape));
  backend.binding.maxPool(xv, out, params);
  return output(backend, info.outShape, out);
}

export const maxPoolConfig: KernelConfig = {
  kernelName: tf.MaxPool,
  backendName: 'onednn',
  kernelFunc: maxPool as unknown as KernelFunc,
};
