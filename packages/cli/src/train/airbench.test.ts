import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cnn/backend-onednn';
import type { ImageDataset } from '@cnn/data';
import { airbench94 } from '@cnn/models';
import { ParamGroupOptimizer, SGD, type TrainingContext } from '@cnn/train';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AIRBENCH94_RECIPE,
  WhiteningBiasSchedule,
  createFastOptimizer,
  fastLrSchedule,
  fastOptimizerSettings,
  firstNormalisedImages,
  identityPatchKernel,
  initFastWhitening,
  isNormBias,
  warmupSteps,
  whiteningIndices,
  whiteningLayer,
} from './airbench.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** airbench's `get_lr` (utils.py `train`): warm-up 0.2 → 1 over int(0.23·total) steps, then 1 → 0.07. */
function airbenchFactor(step: number, total: number): number {
  const w = Math.trunc(total * 0.23);
  if (step < w) {
    const f = step / w;
    return 0.2 * (1 - f) + 1.0 * f;
  }
  const f = (step - w) / (total - w);
  return 1.0 * (1 - f) + 0.07 * f;
}

function dataset(n: number, pixel: (i: number) => number): ImageDataset {
  const images = new Uint8Array(n * 32 * 32 * 3);
  for (let i = 0; i < images.length; i++) images[i] = pixel(i);
  return {
    images,
    labels: new Uint8Array(n),
    length: n,
    height: 32,
    width: 32,
    channels: 3,
    classNames: Array.from({ length: 10 }, (_, i) => `c${i}`),
    name: 'synthetic',
  };
}

describe('fastOptimizerSettings', () => {
  it("converts airbench's decoupled hyperparameters exactly as its train()", () => {
    const s = fastOptimizerSettings({ lr: 11.5, momentum: 0.85, weightDecay: 0.0153, batchSize: 1024 });
    const kilostep = 1024 * (1 + 1 / (1 - 0.85)); // 7850.666…
    expect(s.kilostepScale).toBe(kilostep);
    expect(s.others.lr).toBe(11.5 / kilostep);
    expect(s.normBiases.lr).toBe((11.5 / kilostep) * 64);
    const wd = (0.0153 * 1024) / kilostep;
    expect(s.others.weightDecay).toBe(wd / (11.5 / kilostep));
    expect(s.normBiases.weightDecay).toBe(wd / ((11.5 / kilostep) * 64));
    expect(s.others.lr).toBeCloseTo(1.46484e-3, 8);
    expect(s.others.weightDecay).toBeCloseTo(1.362365, 6);
    expect(s.normBiases.weightDecay).toBeCloseTo(0.021287, 7);
    // every group decays by the same wd per step: lr_g · weight_decay_g
    expect(s.others.lr * s.others.weightDecay).toBeCloseTo(s.normBiases.lr * s.normBiases.weightDecay, 15);
    // half the batch: half the per-step decay, same lr
    const half = fastOptimizerSettings({ lr: 11.5, momentum: 0.85, weightDecay: 0.0153, batchSize: 512 });
    expect(half.others.lr).toBe(s.others.lr);
    expect(half.others.weightDecay).toBeCloseTo(s.others.weightDecay / 2, 12);
    expect(() => fastOptimizerSettings({ lr: 1, momentum: 1, weightDecay: 0, batchSize: 1 })).toThrow(/momentum in \[0, 1\)/);
  });

  it('puts exactly the BatchNorm biases of airbench94 in the bias group (64× lr), the rest in the other', () => {
    const model = airbench94({ seed: 0, widths: { block1: 4, block2: 4, block3: 4 } });
    const names = model.trainableWeights.map((w) => w.originalName);
    expect(names.filter(isNormBias)).toEqual([
      'block1.norm1/beta',
      'block1.norm2/beta',
      'block2.norm1/beta',
      'block2.norm2/beta',
      'block3.norm1/beta',
      'block3.norm2/beta',
    ]);
    expect(names.filter((n) => !isNormBias(n)).sort()).toEqual([
      'block1.conv1/kernel',
      'block1.conv2/kernel',
      'block2.conv1/kernel',
      'block2.conv2/kernel',
      'block3.conv1/kernel',
      'block3.conv2/kernel',
      'head/kernel',
      'whiten/bias',
    ]);
    const opt = createFastOptimizer(fastOptimizerSettings({ lr: 11.5, momentum: 0.85, weightDecay: 0.0153, batchSize: 1024 }));
    expect(opt).toBeInstanceOf(ParamGroupOptimizer);
    expect(opt.groups.map((g) => g.name)).toEqual(['norm-biases', 'others']);
    expect(names.map((n) => opt.groupOf(n))).toEqual(names.map((n) => (isNormBias(n) ? 0 : 1)));
    const [bias, other] = opt.groups.map((g) => g.optimizer as SGD);
    expect([bias!.nesterov, bias!.momentum, other!.nesterov, other!.momentum]).toEqual([true, 0.85, true, 0.85]);
    opt.lr = opt.lr * 0.5; // a scheduler scales both groups
    expect(bias!.lr / other!.lr).toBeCloseTo(64, 12);
    expect(other!.lr).toBeCloseTo((11.5 / 7850.666666666667) * 0.5, 15);
    opt.dispose();
    model.dispose();
  });
});

describe('fastLrSchedule', () => {
  it("follows airbench's get_lr over every step of the 476-step run (int(0.23·476) = 109 warm-up steps)", () => {
    expect(warmupSteps(476)).toBe(109);
    expect(warmupSteps(4)).toBe(0);
    const opt = new SGD({ lr: 1 });
    const sched = fastLrSchedule(opt, 476);
    for (let t = 0; t < 476; t++) {
      expect(opt.lr, `step ${t}`).toBeCloseTo(airbenchFactor(t, 476), 12);
      sched.step();
    }
    expect(opt.lr).toBeCloseTo(0.07, 12); // step 476 (after the last update)
  });

  it('decays only when the run is too short to warm up, and resumes from its state exactly', () => {
    const opt = new SGD({ lr: 2 });
    const s = fastLrSchedule(opt, 4);
    expect(opt.lr).toBe(2);
    s.step();
    expect(opt.lr).toBeCloseTo(2 * (1 - 0.93 / 4), 12);
    const a = new SGD({ lr: 1 });
    const sa = fastLrSchedule(a, 30);
    for (let t = 0; t < 12; t++) sa.step();
    const b = new SGD({ lr: 5 });
    const sb = fastLrSchedule(b, 30);
    sb.setState(sa.getState());
    for (let t = 12; t < 30; t++) {
      sa.step();
      sb.step();
      expect(b.lr).toBe(a.lr);
    }
    expect(() => fastLrSchedule(a, 0)).toThrow('fastLrSchedule: totalSteps must be an integer >= 1. Received: totalSteps=0');
  });
});

describe('whitening of the fast recipe', () => {
  it('trains the whitening bias in epochs 1–3 only, from the epoch number alone', () => {
    const model = airbench94({ seed: 0, widths: { block1: 4, block2: 4, block3: 4 } });
    const cb = new WhiteningBiasSchedule();
    cb.setContext({ model } as unknown as TrainingContext);
    const trains = [1, 2, 3, 4, 5, 2, 10].map((e) => {
      cb.onEpochBegin(e);
      return model.trainableWeights.some((w) => w.originalName === 'whiten/bias');
    });
    expect(trains).toEqual([true, true, true, false, false, true, false]);
    expect(AIRBENCH94_RECIPE.whitenBiasEpochs).toBe(3);
    expect(() => new WhiteningBiasSchedule().onEpochBegin(1)).toThrow(/no training context/);
    model.dispose();
  });

  it('initialises from the first normalised images, or [I; -I] with --no-whitening; constant images give a finite kernel', async () => {
    const model = airbench94({ seed: 0, widths: { block1: 4, block2: 4, block3: 4 } });
    const kernel = (): Float32Array =>
      whiteningLayer(model)
        .getWeights()
        .find((w) => w.rank === 4)!
        .dataSync() as Float32Array;
    // constant images: a rank-1 patch covariance, the 11 zero eigenvalues regularised by eps → filter norms
    // 1/√(0 + eps), never NaN
    const flat = dataset(3, () => 128);
    expect(await initFastWhitening(model, flat, { whitening: true })).toBe(3);
    const k = kernel();
    expect(k.every(Number.isFinite)).toBe(true);
    const norm = (f: number): number => Math.hypot(...Array.from({ length: 12 }, (_, t) => k[t * 24 + f]!));
    for (let f = 1; f < 12; f++) expect(norm(f)).toBeCloseTo(1 / Math.sqrt(5e-4), 3);
    expect(norm(0)).toBeLessThan(10);
    // varied images: the first d filters whiten (unit variance of the patch coordinates, up to eps)
    const varied = dataset(40, (i) => (i * 7919 + (i >> 7) * 31) % 256);
    expect(await initFastWhitening(model, varied, { whitening: true, indices: Int32Array.from({ length: 40 }, (_, i) => 39 - i) })).toBe(40);
    const x = firstNormalisedImages(varied, 40);
    const out = tf.tidy(() => tf.reshape(tf.conv2d(x, tf.tensor4d(kernel(), [2, 2, 3, 24]), 1, 'valid'), [-1, 24]));
    const second = tf.tidy(() => tf.mean(tf.square(out), 0).dataSync());
    for (let j = 0; j < 12; j++) expect(second[j]!).toBeGreaterThan(0.9);
    tf.dispose([x, out]);
    // --no-whitening: filter j copies patch component j (HWIO row j), filter 12 + j its negation
    expect(await initFastWhitening(model, varied, { whitening: false })).toBe(0);
    const id = kernel();
    const ref = identityPatchKernel(2, 3);
    expect(Array.from(id)).toEqual(Array.from(ref.dataSync()));
    for (let t = 0; t < 12; t++) for (let f = 0; f < 24; f++) expect(id[t * 24 + f]).toBe(f === t ? 1 : f === t + 12 ? -1 : 0);
    ref.dispose();
    model.dispose();
  });

  it('whiteningIndices draws a seeded, class-balanced sample from a class-ordered data set', () => {
    // 10 classes stored one after the other, 500 images each (the offline archive's order, scaled down)
    const ds = { ...dataset(5000, () => 0), labels: Uint8Array.from({ length: 5000 }, (_, i) => Math.floor(i / 500)) };
    const chosen = whiteningIndices(ds, 1000, 3);
    expect(chosen).toHaveLength(1000);
    expect(new Set(chosen).size).toBe(1000);
    const perClass = new Array<number>(10).fill(0);
    for (const i of chosen) perClass[ds.labels[i]!]! += 1;
    for (const c of perClass) expect(c).toBeGreaterThan(60); // 100 expected; the first 1,000 would be classes 0-1 only
    expect(Array.from(whiteningIndices(ds, 1000, 3))).toEqual(Array.from(chosen)); // seeded
    expect(Array.from(whiteningIndices(ds, 1000, 4))).not.toEqual(Array.from(chosen));
    const sub = Int32Array.from([7, 3, 9]);
    expect(Array.from(whiteningIndices(ds, 5, 0, sub)).sort()).toEqual([3, 7, 9]); // at most the (sub)set
  });

  it('firstNormalisedImages takes the first n in the order given, normalised with the CIFAR-10 mean/std', () => {
    const ds = dataset(5, (i) => Math.floor(i / 3072) * 50);
    const x = firstNormalisedImages(ds, 3, Int32Array.from([4, 0, 2, 1]));
    expect(x.shape).toEqual([3, 32, 32, 3]);
    const px = x.dataSync();
    expect(px[0]).toBeCloseTo((200 / 255 - 0.4914) / 0.247, 5); // image 4, red channel
    expect(px[3072]).toBeCloseTo((0 - 0.4914) / 0.247, 5); // image 0
    x.dispose();
  });
});
