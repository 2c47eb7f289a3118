/** Native `AvgPool` (NHWC) on oneDNN; padded cells are excluded from the mean, as in tfjs. */
import * as tf from '@tensorflow/tfjs-core';
import type { AvgPoolAttrs, AvgPoolInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { type Defined, floatValues, output, poolParams, runCpuKernel } from './util.js';

/** `y[batch, outH, outW, C]` = window means of x `[batch, inH, inW, C]`. */
export function avgPool(args: { inputs: AvgPoolInputs; backend: OnednnBackend; attrs: AvgPoolAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as Defined<AvgPoolInputs>;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = tf.backend_util.computePool2DInfo(x.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const params = poolParams(info);
  const xv = floatValues(backend, x);
  if (!params || !xv) return runCpuKernel(tf.AvgPool, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const out = backend.allocOutput(tf.util.sizeFromShape(info.outShape));
  backend.binding.avgPool(xv, out, params);
  return output(backend, info.outShape, out);
}

export const avgPoolConfig: KernelConfig = {
  kernelName: tf.AvgPool,
  backendName: 'onednn',
  kernelFunc: avgPool as unknown as KernelFunc,
};
