/** Shared native float32 Add/Sub/Multiply/RealDiv for same-shape, row-broadcast and scalar operands. */
import * as tf from '@tensorflow/tfjs-core';
import type { BinaryInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { allocFloat32, type Defined, floatValues, output, runCpuKernel } from './util.js';

/** Native op codes of `binding.binary`. */
export const BinaryOp = { add: 0, sub: 1, mul: 2, div: 3 } as const;

/** Below this many output elements the JS kernel is as fast as the native call. */
const NATIVE_MIN_SIZE = 4096;

function trailingMatch(big: readonly number[], small: readonly number[]): boolean {
  let s = small.length;
  while (s > 0 && small[0] === 1) {
    small = small.slice(1);
    s -= 1;
  }
  if (small.length > big.length) return false;
  const offset = big.length - small.length;
  return small.every((d, i) => d === big[offset + i]);
}

/** Mode and row length for `binding.binary`, or null when the broadcast is not one of the native forms. */
function broadcastMode(a: readonly number[], b: readonly number[], outShape: readonly number[]):
  { mode: number; outer: number; inner: number } | null {
  const size = tf.util.sizeFromShape(outShape as number[]);
  const sa = tf.util.sizeFromShape(a as number[]);
  const sb = tf.util.sizeFromShape(b as number[]);
  if (tf.util.arraysEqual(a as number[], b as number[])) return { mode: 0, outer: 1, inner: size };
  if (sa === size && sb === 1) return { mode: 3, outer: 1, inner: size };
  if (sb === size && sa === 1) return { mode: 4, outer: 1, inner: size };
  if (sa === size && trailingMatch(a, b)) return { mode: 1, outer: size / sb, inner: sb };
  if (sb === size && trailingMatch(b, a)) return { mode: 2, outer: size / sa, inner: sa };
  return null;
}

/** A KernelConfig running `op` natively for float32 operands, else the JS kernel `kernelName`. */
export function binaryKernel(kernelName: string, op: number): KernelConfig {
  const kernelFunc = (args: { inputs: BinaryInputs; backend: OnednnBackend }): TensorInfo => {
    const { inputs, backend } = args;
    const { a, b } = inputs as Defined<BinaryInputs>;
    const fallback = () => runCpuKernel(kernelName, { ...inputs }, backend, {}) as TensorInfo;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback();
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const size = tf.util.sizeFromShape(outShape);
    if (size < NATIVE_MIN_SIZE) return fallback();
    const mode = broadcastMode(a.shape, b.shape, outShape);
    const av = floatValues(backend, a);
    const bv = floatValues(backend, b);
    if (!mode || !av || !bv) return fallback();
    const out = allocFloat32(size);
    backend.binding.binary(op, av, bv, out, mode.outer, mode.inner, mode.mode);
    return output(backend, outShape, out);
  };
  return { kernelName, backendName: 'onednn', kernelFunc: kernelFunc as unknown as KernelFunc };
}
