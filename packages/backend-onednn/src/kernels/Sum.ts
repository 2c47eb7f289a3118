/**
 * Native float32 `Sum` over a contiguous run of leading axes (e.g. bias gradients: `[batch, h, w, C]` → `[C]`)
 * or of trailing axes, accumulating in double like tfjs' JS loop. Other axis sets use the JS kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, SumAttrs, SumInputs, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { allocFloat32, type Defined, floatValues, output, runCpuKernel } from './util.js';

/** Sum of x over `axis`; output keeps reduced axes as 1 when `keepDims`. */
export function sum(args: { inputs: SumInputs; backend: OnednnBackend; attrs: SumAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as Defined<SumInputs>;
  const { axis, keepDims } = attrs;
  const fallback = () => runCpuKernel(tf.Sum, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const xv = floatValues(backend, x);
  const rank = x.shape.length;
  if (!xv || rank === 0) return fallback();
  const axes = [...tf.util.parseAxisParam(axis, x.shape)].sort((p, q) => p - q);
  if (axes.length === 0 || axes.some((v, i) => i > 0 && v !== axes[i - 1]! + 1)) return fallback();
  const leading = axes[0] === 0;
  const trailing = axes[axes.length - 1] === rank - 1;
  if (!leading && !trailing) return fallback();
  const reduced = tf.util.sizeFromShape(axes.map((a) => x.shape[a]!));
  const kept = tf.util.sizeFromShape(x.shape.filter((_, i) => !axes.includes(i)));
  if (reduced * kept === 0) return fallback();
  const outShape = keepDims
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  const out = allocFloat32(kept);
  if (leading) backend.binding.sumOuter(xv, out, reduced, kept);
  else backend.binding.sumInner(xv, out, kept, reduced);
  return output(backend, outShape, out);
}

export const sumConfig: KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'onednn',
  kernelFunc: sum as unknown as KernelFunc,
};
