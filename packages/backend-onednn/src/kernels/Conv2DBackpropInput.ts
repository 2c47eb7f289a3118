/** Native `Conv2DBackpropInput` (gradient of conv2d w.r.t. its input) on oneDNN. */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv2DBackpropInputAttrs, Conv2DBackpropInputInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { conv2DGeometry, type Defined, floatValues, output, runCpuKernel } from './util.js';

/** `dx[inputShape]` from dy `[batch, outH, outW, outC]` and filter `[fh, fw, inC, outC]`. */
export function conv2DBackpropInput(args: { inputs: Conv2DBackpropInputInputs; backend: OnednnBackend; attrs: Conv2DBackpropInputAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs as Defined<Conv2DBackpropInputInputs>;
  const { inputShape } = attrs;
  const { params } = conv2DGeometry(inputShape, filter.shape as [number, number, number, number], attrs);
  const dyv = floatValues(backend, dy);
  const wv = floatValues(backend, filter);
  if (!params || !dyv || !wv) {
    return runCpuKernel(tf.Conv2DBackpropInput, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  }
  const out = backend.allocOutput(tf.util.sizeFromShape(inputShape));
  backend.binding.conv2dBackwardData(dyv, wv, out, params);
  return output(backend, [...inputShape], out);
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'onednn',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
