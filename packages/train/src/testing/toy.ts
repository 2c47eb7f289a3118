import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Batch } from '@cnn/core';
import type { BatchSource } from '../loop.js';

/**
 * A linearly separable toy problem on `[n, 6, 6, 1]` images: class 0 has a bright left half, class 1
 * a bright right half, both with uniform noise. Fresh tensors per iteration (the loops dispose them).
 */
export function toyLoader(n: number, batchSize: number, seed: number): BatchSource {
  const xs = new Float32Array(n * 36);
  const ys = new Int32Array(n);
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    ys[i] = label;
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 6; c++) {
        const bright = c < 3 === (label === 0);
        xs[i * 36 + r * 6 + c] = (bright ? 0.6 : 0) + 0.4 * rand();
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
        yield { x: tf.tensor4d(xs.slice(lo * 36, hi * 36), [hi - lo, 6, 6, 1]), y: tf.tensor1d(ys.slice(lo, hi), 'int32') };
      }
    },
  };
}

/** A tiny conv net for `[batch, 6, 6, 1]` inputs: conv 3×3×4 (relu) → flatten → dropout → dense 2. */
export function tinyNet(seed = 1): tfl.Sequential {
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [6, 6, 1],
      filters: 4,
      kernelSize: 3,
      activation: 'relu',
      name: 'conv',
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    }),
  );
  m.add(tfl.layers.flatten({ name: 'flatten' }));
  m.add(tfl.layers.dropout({ rate: 0.1, name: 'dropout' }));
  m.add(tfl.layers.dense({ units: 2, name: 'fc', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}
