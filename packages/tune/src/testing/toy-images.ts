import * as tf from '@tensorflow/tfjs-core';
import type { Batch, BatchSource } from '@cnn/train';

/**
 * Test data: `[n, size, size, 3]` images, class 0 bright on the left half, class 1 on the right, with
 * seeded uniform noise. Fresh tensors per iteration (the loops dispose them).
 */
export function toyImages(n: number, batchSize: number, seed: number, size = 8): BatchSource {
  const px = size * size * 3;
  const xs = new Float32Array(n * px);
  const ys = new Int32Array(n);
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    ys[i] = i % 2;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const bright = c < size / 2 === (ys[i] === 0);
        for (let ch = 0; ch < 3; ch++) xs[i * px + (r * size + c) * 3 + ch] = (bright ? 1 : -1) * 0.6 + 0.8 * (rand() - 0.5);
      }
    }
  }
  const batches = Math.ceil(n / batchSize);
  return {
    length: batches,
    *[Symbol.iterator](): Iterator<Batch> {
      for (let b = 0; b < batches; b++) {
        const lo = b * batchSize;
        const hi = Math.min(n, lo + batchSize);
        yield { x: tf.tensor4d(xs.slice(lo * px, hi * px), [hi - lo, size, size, 3]), y: tf.tensor1d(ys.slice(lo, hi), 'int32') };
      }
    },
  };
}
