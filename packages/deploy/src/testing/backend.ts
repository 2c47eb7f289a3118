import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { isOnednnAvailable } from '@cnn/backend-onednn';

/** Test helper: activates `onednn` when its native addon loads, else `cpu`; returns the backend name. */
export async function useTestBackend(): Promise<string> {
  const name = isOnednnAvailable() ? 'onednn' : 'cpu';
  await tf.setBackend(name);
  await tf.ready();
  return name;
}

/** Deterministic pseudo-random floats in `[lo, hi)` (mulberry32). */
export function seededUniform(n: number, seed: number, lo = 0, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** Runs training-mode forward passes so BatchNorm running statistics become realistic (non-trivial). */
export function calibrateBatchNorm(model: tfl.LayersModel, steps = 3, batch = 16, seed = 7): void {
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      const x = tf.tensor(seededUniform(batch * shape.reduce((a, b) => a * b, 1), seed + s, -1, 2), [batch, ...shape]);
      model.apply(x, { training: true });
    });
  }
}

/** Max |a − b| over two equally shaped tensors. */
export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}
