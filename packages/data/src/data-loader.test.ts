import { MNIST_MEAN, MNIST_STD } from './datasets.js';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataLoader } from './data-loader.js';
import { DataError } from './errors.js';
import { datasetSubset, type ImageDataset } from './image-dataset.js';
import { loadMnist } from './node/mnist.js';

/** n samples of 2×3 pixels × c channels: pixel value = (i*13 + p) % 256; label = i % 4. */
function toy(n: number, c = 1): ImageDataset {
  const per = 2 * 3 * c;
  const images = Uint8Array.from({ length: n * per }, (_, k) => (Math.floor(k / per) * 13 + (k % per)) % 256);
  return {
    images,
    labels: Uint8Array.from({ length: n }, (_, i) => i % 4),
    length: n,
    height: 2,
    width: 3,
    channels: c,
    classNames: ['a', 'b', 'c', 'd'],
    name: 'toy',
  };
}

const collect = (loader: DataLoader) => {
  const out: { shape: number[]; y: number[]; idx: number[]; x: Float32Array }[] = [];
  for (const b of loader) {
    out.push({ shape: b.x.shape, y: Array.from(b.y.dataSync()), idx: Array.from(b.indices), x: b.x.dataSync() as Float32Array });
    expect(b.x.dtype).toBe('float32');
    expect(b.y.dtype).toBe('int32');
    tf.dispose([b.x, b.y]);
  }
  return out;
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('DataLoader', () => {
  it('yields NHWC float32 batches with a partial last batch', () => {
    const loader = new DataLoader(toy(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    expect(loader.numSamples).toBe(10);
    const batches = collect(loader);
    expect(batches.map((b) => b.shape)).toEqual([
      [4, 2, 3, 1],
      [4, 2, 3, 1],
      [2, 2, 3, 1],
    ]);
    expect(batches.flatMap((b) => b.idx)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches[2].y).toEqual([0, 1]);
    // Default normalisation: x / 255. Sample 9, pixel 0 = 117.
    expect(batches[2].x[6]).toBeCloseTo(117 / 255, 6);
  });

  it('dropLast drops the short batch', () => {
    const loader = new DataLoader(toy(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(collect(loader).flatMap((b) => b.idx)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(new DataLoader(toy(8), { batchSize: 4, dropLast: true }).length).toBe(2);
  });

  it('normalises (x/255 − mean)/std per channel', () => {
    const loader = new DataLoader(toy(2, 2), { batchSize: 2, mean: [0.5, 0.25], std: [0.5, 2] });
    const [b] = collect(loader);
    expect(b.shape).toEqual([2, 2, 3, 2]);
    const ds = toy(2, 2);
    for (let k = 0; k < ds.images.length; k++) {
      const ch = k % 2;
      const want = (ds.images[k] / 255 - [0.5, 0.25][ch]) / [0.5, 2][ch];
      expect(b.x[k]).toBeCloseTo(want, 6);
    }
  });

  it('shuffles deterministically per (seed, epoch) and reproduces an epoch after setEpoch', () => {
    const a = new DataLoader(toy(50), { batchSize: 8, shuffle: true, seed: 3 });
    const e0 = collect(a).flatMap((b) => b.idx);
    const e1 = collect(a).flatMap((b) => b.idx);
    expect(a.epoch).toBe(2);
    expect([...e0].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(e0).not.toEqual(e1);
    expect(e0).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const b = new DataLoader(toy(50), { batchSize: 8, shuffle: true, seed: 3 });
    b.setEpoch(1);
    expect(collect(b).flatMap((x) => x.idx)).toEqual(e1);
    b.epoch = 0;
    expect(collect(b).flatMap((x) => x.idx)).toEqual(e0);
    expect(Array.from(b.epochOrder(1))).toEqual(e1);
    const c = new DataLoader(toy(50), { batchSize: 8, shuffle: true, seed: 4 });
    expect(collect(c).flatMap((x) => x.idx)).not.toEqual(e0);
    // Labels follow their samples.
    const batch = collect(new DataLoader(toy(50), { batchSize: 50, shuffle: true, seed: 3 }))[0];
    expect(batch.y).toEqual(batch.idx.map((i) => i % 4));
  });

  it('the epoch advances when iteration starts, even if abandoned', () => {
    const loader = new DataLoader(toy(10), { batchSize: 4, shuffle: true });
    const it = loader[Symbol.iterator]();
    expect(loader.epoch).toBe(1);
    const first = it.next().value!;
    tf.dispose([first.x, first.y]);
  });

  it('indices and limit select samples', () => {
    const loader = new DataLoader(toy(10), { batchSize: 3, indices: Int32Array.of(9, 2, 5, 7), limit: 3 });
    expect(loader.numSamples).toBe(3);
    expect(collect(loader).flatMap((b) => b.idx)).toEqual([9, 2, 5]);
    expect(() => new DataLoader(toy(10), { batchSize: 3, limit: 11 })).toThrow('DataLoader: limit = 11 exceeds the 10 available samples of toy');
    expect(() => new DataLoader(toy(10), { batchSize: 3, indices: Int32Array.of(10) })).toThrow(
      'DataLoader: indices[0] = 10 is out of range [0, 10) of dataset toy',
    );
  });

  it('rejects bad options', () => {
    expect(() => new DataLoader(toy(4), { batchSize: 0 })).toThrow('batchSize must be a positive integer, got 0');
    let err: unknown;
    try {
      new DataLoader(toy(4), { batchSize: 0 });
    } catch (e) {
      err = e;
    }
    expect(DataError.isInstance(err)).toBe(true);
    expect((err as DataError).code).toBe('ERR_CNN_INVALID_OPTION');
    expect(() => new DataLoader(toy(4), { batchSize: -2 })).toThrow('batchSize must be a positive integer, got -2');
    expect(() => new DataLoader(toy(4), { batchSize: 1.5 })).toThrow('batchSize must be a positive integer, got 1.5');
    expect(() => new DataLoader(toy(4), { batchSize: 2, std: 0 })).toThrow('DataLoader: std must be > 0, got 0');
    expect(() => new DataLoader(toy(4, 3), { batchSize: 2, mean: [0, 0] })).toThrow(/mean must be a number or have 3 entries/);
    expect(() => new DataLoader(toy(4), { batchSize: 2, mean: NaN })).toThrow(/mean must be finite, got NaN/);
    const bad = { ...toy(4), length: 5 };
    expect(() => new DataLoader(bad, { batchSize: 2 })).toThrow(/dataset toy: images must be a Uint8Array of .* = 30 bytes, got 24/);
  });

  it('datasetSubset shares memory and validates n', () => {
    const ds = toy(10);
    const sub = datasetSubset(ds, 4);
    expect(sub.length).toBe(4);
    expect(sub.images.buffer).toBe(ds.images.buffer);
    expect(sub.images.length).toBe(24);
    expect(sub.name).toBe('toy[:4]');
    expect(() => datasetSubset(ds, 11)).toThrow('datasetSubset: n = 11 exceeds the 10 samples of dataset toy');
    expect(() => datasetSubset(ds, -1)).toThrow(/non-negative integer, got -1/);
  });

  it('leaks no tensors across epochs', () => {
    const loader = new DataLoader(toy(20), { batchSize: 6, shuffle: true });
    collect(loader);
    const before = tf.memory().numTensors;
    for (let e = 0; e < 3; e++) collect(loader);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('DataLoader on MNIST', () => {
  it('first batch matches the known first image, normalised with MNIST mean/std', async () => {
    const { test } = await loadMnist({ split: 'test' });
    const loader = new DataLoader(test, { batchSize: 128, mean: MNIST_MEAN, std: MNIST_STD });
    expect(loader.length).toBe(79);
    const before = tf.memory().numTensors;
    const it = loader[Symbol.iterator]();
    const { x, y } = it.next().value!;
    expect(x.shape).toEqual([128, 28, 28, 1]);
    expect(Array.from(y.dataSync().slice(0, 5))).toEqual([7, 2, 1, 0, 4]);
    // Sum over image 0 of (p/255 − mean)/std, from its pixel sum 18454.
    const want = (18454 / 255 - 784 * MNIST_MEAN) / MNIST_STD;
    // tfjs-core alone registers no chained ops (x.slice): use the functional forms.
    const [got, min] = tf.tidy(() => [tf.sum(tf.slice(x, [0, 0, 0, 0], [1, 28, 28, 1])).dataSync()[0], tf.min(x).dataSync()[0]]);
    expect(got).toBeCloseTo(want, 2);
    expect(min).toBeCloseTo(-MNIST_MEAN / MNIST_STD, 5);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
