/** Native float32 `ClipByValue`: `x > max ? max : x < min ? min : x`, NaN passing through (as tfjs' cpu kernel). */
import * as tf from '@tensorflow/tfjs-core';
import type { ClipByValueAttrs, ClipByValueInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { floatValues, output, runCpuKernel } from './util.js';

/** Elementwise clip of x (any shape) to `[clipValueMin, clipValueMax]`. */
export function clipByValue(args: { inputs: ClipByValueInputs; backend: OnednnBackend; attrs: ClipByValueAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x!;
  const xv = floatValues(backend, x);
  if (!xv) return runCpuKernel(tf.ClipByValue, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const n = tf.util.sizeFromShape(x.shape);
  const out = backend.allocOutput(n);
  backend.binding.clip(xv, out, n, attrs.clipValueMin, attrs.clipValueMax);
  return output(backend, [...x.shape], out);
}

export const clipByValueConfig: KernelConfig = {
  kernelName: tf.ClipByValue,
  backendName: 'onednn',
  kernelFunc: clipByValue as unknown as KernelFunc,
};
