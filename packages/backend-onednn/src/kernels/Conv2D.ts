/** Native `Conv2D` (NHWC, HWIO filter) on oneDNN; NCHW or inexpressible geometry falls back to the JS kernel. */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DAttrs, Conv2DInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { conv2DGeometry, type Defined, floatValues, output, runCpuKernel } from './util.js';

/** `y[batch, outH, outW, outC] = conv2d(x[batch, inH, inW, inC], filter[fh, fw, inC, outC])`. */
export function conv2D(args: { inputs: Conv2DInputs; backend: OnednnBackend; attrs: Conv2DAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs as Defined<Conv2DInputs>;
  const { info, params } = conv2DGeometry(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs);
  const xv = floatValues(backend, x);
  const wv = floatValues(backend, filter);
  if (!params || !xv || !wv) return runCpuKernel(tf.Conv2D, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const out = backend.allocOutput(tf.util.sizeFromShape(info.outShape));
  backend.binding.conv2dForward(xv, wv, null, out, params, false);
  return output(backend, info.outShape, out);
}

export const conv2DConfig: KernelConfig = {
  kernelName: tf.Conv2D,
  backendName: 'onednn',
  kernelFunc: conv2D as unknown as KernelFunc,
};
