/** Native float32 `Relu`: `x < 0 ? 0 : x` (NaN passes through, as in tfjs). */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, UnaryInputs } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { floatValues, output, runCpuKernel } from './util.js';

/** Elementwise relu of x (any shape). */
export function relu(args: { inputs: UnaryInputs; backend: OnednnBackend }): TensorInfo {
  const { inputs, backend } = args;
  const x = inputs.x!;
  const xv = floatValues(backend, x);
  if (!xv) return runCpuKernel(tf.Relu, { ...inputs }, backend, {}) as TensorInfo;
  const n = tf.util.sizeFromShape(x.shape);
  const out = backend.allocOutput(n);
  backend.binding.relu(xv, out, n);
  return output(backend, [...x.shape], out);
}

export const reluConfig: KernelConfig = {
  kernelName: tf.Relu,
  backendName: 'onednn',
  kernelFunc: relu as unknown as KernelFunc,
};
