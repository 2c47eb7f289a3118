// Training on the `webgpu` backend (@cnn/backend-onednn's selectBackend('webgpu'): tfjs-backend-webgpu on Dawn),
// with WEBGPU_CPU_FORWARD off so every op runs as a shader, and the models' and optimizers' custom kernels
// (BatchNorm training, GELU, the fused ReLU/bias gradient, the fused SGD/Adam updates) registered for webgpu.
// - MNISTNet: 3 steps on 4 images match the `cpu` backend (tfjs' JS reference, tf-op paths): the first loss
//   within 1e-4 relative, later losses within 1e-3 relative, every weight afterwards within 1e-3 · max(1, max |w|).
// - CIFAR10Net and airbench94: 2 steps on 2 images match `onednn` (native kernels; the JS cpu backend would take
//   minutes here): the first loss (same weights) within 1e-4 relative, each weight's first update in the same
//   direction (cosine >= 0.999; the first gradients measured here: webgpu within 8e-4 relative of cpu, onednn
//   within 4e-4), the second loss within 1e-2, and the loss falls. Element-wise weights are not compared after
//   the update: BatchNorm over 2 images makes the gradients large and SGD amplifies float32 differences.
//   (tfjs-backend-webgpu's MaxPool gradient gives an exact tie to the last element of the window, cpu/onednn
//   to the first: the inputs are pseudo-random so that no window ties.)
// Each step is @cnn/train's `trainStep`, which reads the loss with `await data()` (a synchronous read of GPU
// data throws in Node). Runs where an
// adapter exists (scripts/setup.sh installs a software one); under CI one must exist.
import { disposeWebGpu, probeWebGpu, selectBackend } from '@cnn/backend-onednn';
import { airbench94, cifar10Net, mnistNet } from '@cnn/models';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';

import { Adam, type Optimizer, SGD, trainStep } from './index.js';

const missing = await probeWebGpu();
const required = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

interface Run {
  losses: number[];
  initial: Float32Array[];
  /** The weights after the first step. */
  first: Float32Array[];
  weights: Float32Array[];
}

/** `steps` optimisation steps of a fresh model on one fixed batch, on `backend`. */
async function train(
  backend: 'cpu' | 'onednn' | 'webgpu',
  build: () => tfl.LayersModel,
  optimizer: () => Optimizer,
  shape: number[],
  steps: number,
): Promise<Run> {
  await selectBackend(backend);
  if (backend === 'webgpu') tf.env().set('WEBGPU_CPU_FORWARD', false);
  const model = build();
  const opt = optimizer();
  const n = shape.reduce((a, b) => a * b, 1);
  // Pseudo-random pixels in [0, 1): no exact ties in a max-pool window (tfjs-backend-webgpu's MaxPool gradient
  // gives a tie to the last element, cpu/onednn/PyTorch to the first; a periodic image makes such ties).
  let state = 12345;
  const pixels = Float32Array.from({ length: n }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  });
  const x = tf.tensor(pixels, shape, 'float32');
  const y = tf.tensor1d(
    Array.from({ length: shape[0]! }, (_, i) => i % 10),
    'int32',
  );
  const initial = await Promise.all(model.getWeights().map(async (w) => Float32Array.from((await w.data()) as Float32Array)));
  const losses: number[] = [];
  const first: Float32Array[] = [];
  for (let s = 0; s < steps; s++) {
    expect(tf.getBackend()).toBe(backend);
    losses.push((await trainStep(model, x, y, opt)).loss); // @cnn/train's step: the loss read with await data()
    if (s === 0) first.push(...(await Promise.all(model.getWeights().map(async (w) => Float32Array.from((await w.data()) as Float32Array)))));
  }
  const weights = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
  tf.dispose([x, y]);
  model.dispose();
  return { losses, initial, first, weights };
}

/** Step 0's loss (the forward pass of the same weights) within 1e-4 relative, later losses and weights within `tol`. */
function expectSameRun(actual: Run, expected: Run, what: string, tol: number): void {
  actual.losses.forEach((l, i) => {
    expect(Number.isFinite(l), `${what} step ${i} loss finite`).toBe(true);
    const bound = (i === 0 ? 1e-4 : tol) * Math.abs(expected.losses[i]!);
    expect(Math.abs(l - expected.losses[i]!), `${what} step ${i} loss ${l} vs ${expected.losses[i]}`).toBeLessThanOrEqual(bound);
  });
  expect(actual.weights.length).toBe(expected.weights.length);
  actual.weights.forEach((w, k) => {
    const ref = expected.weights[k]!;
    let scale = 1;
    let diff = 0;
    for (let i = 0; i < ref.length; i++) {
      scale = Math.max(scale, Math.abs(ref[i]!));
      diff = Math.max(diff, Math.abs(w[i]! - ref[i]!));
    }
    expect(diff, `${what} weight ${k}`).toBeLessThanOrEqual(tol * scale);
  });
}

/**
 * The first step's update of each weight (`first − initial`) points the same way: cosine similarity ≥ `minCosine`
 * (updates under 1e-4 of the weight's norm are skipped).
 * (Element-wise weight parity is not asked for: on 2 images BatchNorm makes the gradients large, ~40, so
 * float32 differences of ~1e-3 relative in the first gradients grow chaotically over further SGD steps.)
 */
function expectSameUpdates(actual: Run, expected: Run, what: string, minCosine: number): void {
  actual.first.forEach((w, k) => {
    const ref = expected.first[k]!;
    const w0 = expected.initial[k]!;
    expect(actual.initial[k]).toEqual(w0); // same seed, same initial weights
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < ref.length; i++) {
      const a = w[i]! - w0[i]!;
      const b = ref[i]! - w0[i]!;
      dot += a * b;
      na += a * a;
      nb += b * b;
    }
    let n0 = 0;
    for (const v of w0) n0 += v * v;
    // A bias followed by BatchNorm has a zero gradient but for rounding: only weight decay moves it, by less than
    // 1e-4 of its norm; its update's direction is noise.
    if (Math.sqrt(nb) <= 1e-4 * Math.sqrt(n0)) return;
    expect(dot / Math.sqrt(na * nb), `${what} weight ${k}: cosine of the updates`).toBeGreaterThanOrEqual(minCosine);
  });
}

describe.skipIf(missing !== null && !required)('training on webgpu', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
    disposeWebGpu();
  });

  it('has an adapter (required under CI) and activates webgpu', async () => {
    expect(missing, `CI requires a WebGPU adapter (run scripts/setup.sh): ${missing}`).toBeNull();
    expect((await selectBackend('webgpu')).backend).toBe('webgpu');
  });

  it('MNISTNet: 3 steps (Adam) match the cpu backend', async () => {
    const build = () => mnistNet({ seed: 3 });
    const adam = () => new Adam({ lr: 1e-3 });
    const cpu = await train('cpu', build, adam, [4, 28, 28, 1], 3);
    const gpu = await train('webgpu', build, adam, [4, 28, 28, 1], 3);
    expectSameRun(gpu, cpu, 'MNISTNet', 1e-3);
    expect(gpu.losses[2]!).toBeLessThan(gpu.losses[0]!);
  });

  it.each([
    ['CIFAR10Net', () => cifar10Net({ seed: 3 })],
    ['airbench94', () => airbench94({ seed: 3 })],
  ] as const)('%s: 2 steps (SGD, Nesterov, weight decay) match onednn', async (name, build) => {
    const sgd = () => new SGD({ lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
    const ref = await train('onednn', build, sgd, [2, 32, 32, 3], 2);
    const gpu = await train('webgpu', build, sgd, [2, 32, 32, 3], 2);
    expect(Math.abs(gpu.losses[0]! - ref.losses[0]!)).toBeLessThanOrEqual(1e-4 * ref.losses[0]!);
    expect(Math.abs(gpu.losses[1]! - ref.losses[1]!)).toBeLessThanOrEqual(1e-2 * ref.losses[1]!);
    expectSameUpdates(gpu, ref, name, 0.999);
    expect(gpu.losses[1]!).toBeLessThan(gpu.losses[0]!);
  });
});
