/** Native float32 `Step` (relu's gradient mask): NaN → NaN, `x > 0` → 1, else `alpha`. */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, StepAttrs, TensorInfo, UnaryInputs } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { floatValues, output, runCpuKernel } from './util.js';

/** Elementwise step of x (any shape). */
export function step(args: { inputs: UnaryInputs; backend: OnednnBackend; attrs: StepAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const x = inputs.x!;
  const xv = floatValues(backend, x);
  if (!xv) return runCpuKernel(tf.Step, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const n = tf.util.sizeFromShape(x.shape);
  const out = backend.allocOutput(n);
  backend.binding.step(xv, out, n, attrs.alpha ?? 0);
  return output(backend, [...x.shape], out);
}

export const stepConfig: KernelConfig = {
  kernelName: tf.Step,
  backendName: 'onednn',
  kernelFunc: step as unknown as KernelFunc,
};
