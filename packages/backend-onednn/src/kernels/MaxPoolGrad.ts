/**
 * Native `MaxPoolGrad`: each window's dy goes to the first maximum of x in row-major window order, exactly
 * as tfjs' cpu kernel (`maxPoolPositions`); the forward output is not needed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, MaxPoolGradAttrs, MaxPoolGradInputs, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { type Defined, floatValues, output, poolParams, runCpuKernel } from './util.js';

/** `dx[batch, inH, inW, C]` from dy `[batch, outH, outW, C]` and the pooled input x. */
export function maxPoolGrad(args: { inputs: MaxPoolGradInputs; backend: OnednnBackend; attrs: MaxPoolGradAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs as Defined<MaxPoolGradInputs>;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const params = poolParams(info);
  const dyv = floatValues(backend, dy);
  const xv = floatValues(backend, input);
  if (!params || !dyv || !xv) return runCpuKernel(tf.MaxPoolGrad, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const out = backend.allocOutput(tf.util.sizeFromShape(input.shape));
  backend.binding.maxPoolGrad(dyv, xv, out, params);
  return output(backend, [...input.shape], out);
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'onednn',
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
