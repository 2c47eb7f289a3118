/**
 * Native float32 `Sum` over a contiguous run of leading axes (e.g. bias gradients: `[batch, h, w, C]` → `[C]`)
 * or of trailing axes, accumulating in double like tfjs' JS loop. Other axis sets use the JS kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, SumAttrs, SumInputs, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { type Defined, floatValues, output, runCpuKernel } from './util.js';

/**
 * Native sum of float32 x over `axis` (a contiguous run of leading or trailing axes) divided by `divisor`, or
 * `null` when the native path does not apply (then the caller falls back to the JS kernel).
 */
export function reduceNative(backend: OnednnBackend, x: TensorInfo, axis: number | number[], keepDims: boolean, mean: boolean): TensorInfo | null {
  const xv = floatValues(backend, x);
  const rank = x.shape.length;
  if (!xv || rank === 0) return null;
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((p, q) => p - q);
  if (axes.length === 0 || axes.some((v, i) => i > 0 && v !== axes[i - 1]! + 1)) return null;
  const leading = axes[0] === 0;
  const trailing = axes[axes.length - 1] === rank - 1;
  if (!leading && !trailing) return null;
  const reduced = tf.util.sizeFromShape(axes.map((a) => x.shape[a]!));
  const kept = tf.util.sizeFromShape(x.shape.filter((_, i) => !axes.includes(i)));
  if (reduced * kept === 0) return null;
  const outShape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  const out = backend.allocOutput(kept);
  const divisor = mean ? reduced : 1;
  if (leading) backend.binding.sumOuter(xv, out, reduced, kept, divisor);
  else backend.binding.sumInner(xv, out, kept, reduced, divisor);
  return output(backend, outShape, out);
}

/** Sum of x over `axis`; output keeps reduced axes as 1 when `keepDims`. */
export function sum(args: { inputs: SumInputs; backend: OnednnBackend; attrs: SumAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as Defined<SumInputs>;
  return reduceNative(backend, x, attrs.axis, attrs.keepDims, false) ?? (runCpuKernel(tf.Sum, { ...inputs }, backend, { ...attrs }) as TensorInfo);
}

export const sumConfig: KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'onednn',
  kernelFunc: sum as unknown as KernelFunc,
};
