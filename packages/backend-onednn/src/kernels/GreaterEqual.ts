/**
 * `GreaterEqual` for float32 operands of the same shape or with one scalar side (dropout's `u >= rate`):
 * one flat loop into a bool (`Uint8Array`) output. tfjs' JS kernel walks every element of a scalar broadcast
 * through `indexToLoc` (~5 ms for `[128, 512] >= scalar`, against ~0.1 ms here); other broadcasts use it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BinaryInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { type Defined, floatValues, runCpuKernel } from './util.js';

/** `out[i] = a[i] >= b[i]` (NaN compares false), bool, broadcasting a scalar side. */
export function greaterEqual(args: { inputs: BinaryInputs; backend: OnednnBackend }): TensorInfo {
  const { inputs, backend } = args;
  const { a, b } = inputs as Defined<BinaryInputs>;
  const av = floatValues(backend, a);
  const bv = floatValues(backend, b);
  const sa = tf.util.sizeFromShape(a.shape);
  const sb = tf.util.sizeFromShape(b.shape);
  const same = tf.util.arraysEqual(a.shape, b.shape);
  if (!av || !bv || !(same || (sb === 1 && b.shape.length <= a.shape.length) || (sa === 1 && a.shape.length <= b.shape.length))) {
    return runCpuKernel(tf.GreaterEqual, { ...inputs }, backend, {}) as TensorInfo;
  }
  const shape = same || sb === 1 ? a.shape : b.shape;
  const n = tf.util.sizeFromShape(shape);
  const out = new Uint8Array(n);
  if (same) {
    for (let i = 0; i < n; i++) out[i] = av[i]! >= bv[i]! ? 1 : 0;
  } else if (sb === 1) {
    const s = bv[0]!;
    for (let i = 0; i < n; i++) out[i] = av[i]! >= s ? 1 : 0;
  } else {
    const s = av[0]!;
    for (let i = 0; i < n; i++) out[i] = s >= bv[i]! ? 1 : 0;
  }
  return backend.makeTensorInfo([...shape], 'bool', out);
}

export const greaterEqualConfig: KernelConfig = {
  kernelName: tf.GreaterEqual,
  backendName: 'onednn',
  kernelFunc: greaterEqual as unknown as KernelFunc,
};
