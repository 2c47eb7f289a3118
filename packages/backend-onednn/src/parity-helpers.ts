/**
 * Test helpers: seeded data and cpu-vs-onednn parity. Not exported from the package.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/**
 * oneDNN's JIT direct convolution kernels: `jit:avx2` on AVX2 machines, `brgconv:avx512_core` (oneDNN 2.x) or
 * `brg_conv_fwd:avx512_core` (oneDNN 3.x; or another `brg…`/`jit:` kernel) on AVX-512 ones; never a `ref:`
 * reference kernel nor our Winograd.
 */
export const DIRECT_CONV_IMPL = /^(jit|brg[a-z_]*):/;

/** Deterministic values in [-1, 1) from a 32-bit LCG (seeded). */
export function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** A seeded float32 tensor of `shape`. */
export function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(seeded(tf.util.sizeFromShape(shape), seed), shape, 'float32');
}

/** Runs `build` on `backend` and returns copies of its outputs' values and shapes. */
export async function runOn(backend: string, build: () => tf.Tensor[]): Promise<{ data: Float32Array; shape: number[] }[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(build);
  const res = outs.map((t) => ({ data: Float32Array.from(t.dataSync() as Float32Array), shape: t.shape }));
  tf.dispose(outs);
  return res;
}

/**
 * Relative error `max|a - b| / max(1, max|b|)` (b = the JS cpu reference), over one output.
 */
export function relError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= diff)) diff = d; // NaN propagates as a failure
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

/** Asserts every output of `build` on `onednn` matches `cpu` within `tol` relative error (see relError). */
export async function expectParity(build: () => tf.Tensor[], tol = 1e-4): Promise<void> {
  const ref = await runOn('cpu', build);
  const got = await runOn('onednn', build);
  expect(got.length).toBe(ref.length);
  ref.forEach((r, i) => {
    expect(got[i]!.shape).toEqual(r.shape);
    const err = relError(got[i]!.data, r.data);
    expect(err, `output ${i} rel error`).toBeLessThanOrEqual(tol);
  });
}
