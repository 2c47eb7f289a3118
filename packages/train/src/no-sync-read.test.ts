import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CrossEntropyLoss } from './loss.js';
import { evaluate, fit } from './loop.js';
import { Adam } from './optimizers/adam.js';
import { type NoSyncReadBackend, useNoSyncReadBackend } from './testing/no-sync-backend.js';
import { toyLoader } from './testing/toy.js';

let backend: NoSyncReadBackend;
let restore: () => Promise<void>;

beforeAll(async () => {
  ({ backend, restore } = await useNoSyncReadBackend());
});

afterAll(async () => {
  await restore();
});

/** conv → relu → flatten → dense: the ops and gradients of a small CNN. */
function tinyCnn(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
  );
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  return m;
}

describe('training without synchronous reads (await t.data() only)', () => {
  it('the test backend really refuses dataSync', () => {
    expect(tf.getBackend()).toBe('cpu-no-sync-read');
    const t = tf.tensor1d([1, 2]);
    expect(() => t.dataSync()).toThrow(/synchronous reads are not supported/);
    t.dispose();
  });

  it('fit (validation, test, clipNorm, accumulation, label smoothing) and evaluate run and learn', async () => {
    const model = tinyCnn();
    const before = backend.syncReads;
    const history = await fit(model, {
      train: toyLoader(32, 8, 1),
      validation: toyLoader(8, 4, 2),
      test: toyLoader(8, 8, 3),
      epochs: 3,
      optimizer: new Adam({ lr: 0.05 }),
      loss: new CrossEntropyLoss({ labelSmoothing: 0.1 }),
      clipNorm: 5,
      accumulateSteps: 2,
      log: () => {},
      progress: 'none',
    });
    const r = await evaluate(model, toyLoader(16, 4, 4));
    expect(backend.syncReads).toBe(before);
    expect(history).toHaveLength(3);
    expect(history[2].loss).toBeLessThan(history[0].loss);
    expect(history.every((e) => Number.isFinite(e.val_loss) && Number.isFinite(e.test_accuracy))).toBe(true);
    expect(r.samples).toBe(16);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.75); // the toy problem is linearly separable
  });
});
