/**
 * Native `AvgPoolGrad`: dx = sum of covering dy / (fh * fw) — tfjs' cpu kernel uses this constant divisor
 * even at padded borders, which is oneDNN's include-padding backward.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AvgPoolGradAttrs, AvgPoolGradInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { type Defined, floatValues, output, poolParams, runCpuKernel } from './util.js';

/** `dx[batch, inH, inW, C]` from dy `[batch, outH, outW, C]`. */
export function avgPoolGrad(args: { inputs: AvgPoolGradInputs; backend: OnednnBackend; attrs: AvgPoolGradAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs as Defined<AvgPoolGradInputs>;
  const { filterSize, strides, pad } = attrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad);
  const params = poolParams(info);
  const dyv = floatValues(backend, dy);
  if (!params || !dyv || input.dtype !== 'float32') {
    return runCpuKernel(tf.AvgPoolGrad, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  }
  const out = backend.allocOutput(tf.util.sizeFromShape(input.shape));
  backend.binding.avgPoolGrad(dyv, out, params);
  return output(backend, [...input.shape], out);
}

export const avgPoolGradConfig: KernelConfig = {
  kernelName: tf.AvgPoolGrad,
  backendName: 'onednn',
  kernelFunc: avgPoolGrad as unknown as KernelFunc,
};
