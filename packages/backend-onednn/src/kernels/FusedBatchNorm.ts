/**
 * Native float32 `FusedBatchNorm` (tf.batchNorm) over the last axis: `out = offset + (x - mean) · scale /
 * sqrt(variance + eps)` with mean/variance/offset/scale each holding one value per channel (or one value).
 * Other layouts (tfjs' cyclic broadcast of other lengths) use the JS kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FusedBatchNormAttrs, FusedBatchNormInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { type Defined, floatValues, output, runCpuKernel } from './util.js';

/** Values of a per-channel operand expanded to `channels`, `null` when absent, `undefined` when unsupported. */
function perChannel(backend: OnednnBackend, t: TensorInfo | undefined, channels: number): Float32Array | null | undefined {
  if (t == null) return null;
  const v = floatValues(backend, t);
  if (!v) return undefined;
  if (v.length === channels) return v;
  if (v.length === 1) return new Float32Array(channels).fill(v[0]!);
  return undefined;
}

/** Batch-normalised x (same shape). */
export function fusedBatchNorm(args: { inputs: FusedBatchNormInputs; backend: OnednnBackend; attrs: FusedBatchNormAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, mean, variance } = inputs as Defined<Pick<FusedBatchNormInputs, 'x' | 'mean' | 'variance'>>;
  const fallback = () => runCpuKernel(tf.FusedBatchNorm, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const xv = floatValues(backend, x);
  const channels = x.shape[x.shape.length - 1] ?? 0;
  if (!xv || x.shape.length === 0 || channels === 0) return fallback();
  const m = perChannel(backend, mean, channels);
  const v = perChannel(backend, variance, channels);
  const off = perChannel(backend, inputs.offset, channels);
  const sc = perChannel(backend, inputs.scale, channels);
  if (!m || !v || off === undefined || sc === undefined) return fallback();
  const n = xv.length;
  const out = backend.allocOutput(n);
  backend.binding.batchNorm(xv, m, v, off, sc, out, n / channels, channels, attrs.varianceEpsilon ?? 0.001);
  return output(backend, [...x.shape], out);
}

export const fusedBatchNormConfig: KernelConfig = {
  kernelName: tf.FusedBatchNorm,
  backendName: 'onednn',
  kernelFunc: fusedBatchNorm as unknown as KernelFunc,
};
