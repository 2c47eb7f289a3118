/** Native float32 `Square`: `x * x`. */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, UnaryInputs } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { floatValues, output, runCpuKernel } from './util.js';

/** Elementwise square of x (any shape). */
export function square(args: { inputs: UnaryInputs; backend: OnednnBackend }): TensorInfo {
  const { inputs, backend } = args;
  const x = inputs.x!;
  const xv = floatValues(backend, x);
  if (!xv) return runCpuKernel(tf.Square, { ...inputs }, backend, {}) as TensorInfo;
  const n = tf.util.sizeFromShape(x.shape);
  const out = backend.allocOutput(n);
  backend.binding.square(xv, out, n);
  return output(backend, [...x.shape], out);
}

export const squareConfig: KernelConfig = {
  kernelName: tf.Square,
  backendName: 'onednn',
  kernelFunc: square as unknown as KernelFunc,
};
