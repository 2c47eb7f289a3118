/** Native `Conv2DBackpropFilter` (gradient of conv2d w.r.t. its HWIO filter) on oneDNN. */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DBackpropFilterAttrs, Conv2DBackpropFilterInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { conv2DGeometry, type Defined, floatValues, output, runCpuKernel } from './util.js';

/** `dw[fh, fw, inC, outC]` from x `[batch, inH, inW, inC]` and dy `[batch, outH, outW, outC]`. */
export function conv2DBackpropFilter(args: { inputs: Conv2DBackpropFilterInputs; backend: OnednnBackend; attrs: Conv2DBackpropFilterAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs as Defined<Conv2DBackpropFilterInputs>;
  const { filterShape } = attrs;
  const { params } = conv2DGeometry(x.shape as [number, number, number, number], filterShape, attrs);
  const xv = floatValues(backend, x);
  const dyv = floatValues(backend, dy);
  if (!params || !xv || !dyv) {
    return runCpuKernel(tf.Conv2DBackpropFilter, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  }
  const out = backend.allocOutput(tf.util.sizeFromShape(filterShape));
  backend.binding.conv2dBackwardFilter(xv, dyv, out, params);
  return output(backend, [...filterShape], out);
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'onednn',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
