import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DataLoader } from '@cnn/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { AugmentedLoader } from './augmented-loader.js';
import { RandomCrop, RandomHorizontalFlip } from './geometry.js';
import { Normalize } from './normalize.js';
import { Compose } from './transform.js';
import { CutMix, MixUp } from './mix.js';
import { toyDataset } from './testing/toy.js';

const dataset = (n: number) => toyDataset(n);

const pipeline = () => new Compose([new RandomCrop(8, { padding: 2 }), new RandomHorizontalFlip(0.5), new Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])]);

function epochValues(aug: AugmentedLoader): number[][] {
  const out: number[][] = [];
  for (const { x, y } of aug) {
    out.push(Array.from(x.dataSync()));
    tf.dispose([x, y]);
  }
  return out;
}

describe('AugmentedLoader', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('yields augmented, normalised batches and passes length, numSamples and epoch through', () => {
    const loader = new DataLoader(dataset(10), { batchSize: 4, shuffle: true, seed: 3 });
    const aug = new AugmentedLoader(loader, pipeline(), { seed: 1 });
    expect(aug.length).toBe(3);
    expect(aug.numSamples).toBe(10);
    const batches = epochValues(aug);
    expect(batches.map((b) => b.length)).toEqual([4 * 192, 4 * 192, 2 * 192]);
    expect(aug.epoch).toBe(1);
    // Normalize((v − 0.5)/0.25) maps [0, 1] into [−2, 2]; padding zeros map to exactly −2.
    const all = batches.flat();
    expect(Math.min(...all)).toBeCloseTo(-2, 6);
    expect(Math.max(...all)).toBeLessThanOrEqual(2 + 1e-6);
  });

  it('repeats an epoch exactly after setEpoch (resume) and differs between epochs and seeds', () => {
    const make = (seed: number) => new AugmentedLoader(new DataLoader(dataset(10), { batchSize: 4, shuffle: true, seed: 3 }), pipeline(), { seed });
    const a = make(1);
    const e0 = epochValues(a);
    const e1 = epochValues(a);
    const b = make(1);
    b.setEpoch(1);
    expect(epochValues(b)).toEqual(e1);
    expect(e1).not.toEqual(e0);
    expect(epochValues(make(2))).not.toEqual(e0);
  });

  it('runs only the deterministic transforms with training: false, and leaks no tensors', () => {
    const loader = new DataLoader(dataset(4), { batchSize: 4 });
    const before = tf.memory().numTensors;
    const evalAug = new AugmentedLoader(loader, pipeline(), { training: false });
    const [values] = epochValues(evalAug);
    const plain = new DataLoader(dataset(4), { batchSize: 4, mean: 0.5, std: 0.25 });
    const [expected] = epochValues(new AugmentedLoader(plain, new Compose([]), { training: false }));
    expect(values!.length).toBe(expected!.length);
    values!.forEach((v, i) => expect(v).toBeCloseTo(expected![i]!, 5));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a non-integer seed', () => {
    expect(() => new AugmentedLoader(new DataLoader(dataset(2), { batchSize: 1 }), pipeline(), { seed: 0.5 })).toThrow('seed must be a safe integer, got 0.5');
  });
});

describe('AugmentedLoader with MixUp / CutMix', () => {
  it('yields [batch, numClasses] soft labels in training and plain labels in evaluation', () => {
    const loader = new DataLoader(dataset(6), { batchSize: 3 });
    const aug = new AugmentedLoader(loader, new Compose([]), { seed: 1, mix: new MixUp(1, 10) });
    for (const b of aug) {
      expect(b.y.shape).toEqual([3, 10]);
      const rows = tf.sum(b.y, 1).dataSync();
      for (const r of rows) expect(r).toBeCloseTo(1, 6);
      tf.dispose([b.x, b.y]);
    }
    const evalAug = new AugmentedLoader(new DataLoader(dataset(6), { batchSize: 3 }), new Compose([]), { training: false, mix: new CutMix(1, 10) });
    for (const b of evalAug) {
      expect(b.y.shape).toEqual([3]);
      tf.dispose([b.x, b.y]);
    }
  });
});
