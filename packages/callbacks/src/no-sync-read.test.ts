import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, fit, LambdaCallback, ReduceLROnPlateau, readModelWeights, SGD, type NamedWeight } from '@cnn/train';
import { EarlyStopping } from './early-stopping.js';
import { TerminateOnNaN } from './loggers.js';
import { LRSchedulerCallback } from './lr-scheduler.js';
import { type NoSyncReadBackend, useNoSyncReadBackend } from './testing/no-sync-backend.js';
import { toyLoaders, toyNet } from './testing/toy.js';

let backend: NoSyncReadBackend;
let restore: () => Promise<void>;
beforeAll(async () => {
  ({ backend, restore } = await useNoSyncReadBackend('cpu-no-sync-read-callbacks'));
});
afterAll(async () => {
  await restore();
});

const quiet = { log: () => {}, progress: 'none' as const };
const values = (w: NamedWeight[]): number[][] => w.map((x) => Array.from(x.values));

describe('callbacks on a backend without synchronous reads', () => {
  it('EarlyStopping(restoreBestWeights) and ReduceLROnPlateau select on val_loss and restore the best weights', async () => {
    const { train, validation } = toyLoaders(32, 8);
    const model = toyNet(4);
    const byEpoch = new Map<number, NamedWeight[]>();
    const rec = new LambdaCallback({
      onEpochEnd: async (epoch) => {
        byEpoch.set(epoch, await readModelWeights(model));
      },
    });
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 1, restoreBestWeights: true, log: () => {} });
    const plateau = new LRSchedulerCallback((o) => new ReduceLROnPlateau(o, { patience: 0, factor: 0.5 }));
    const h = await fit(model, { train, validation, epochs: 5, optimizer: new SGD({ lr: 2 }), callbacks: [rec, plateau, es], ...quiet });
    expect(backend.syncReads).toBe(0);
    let best = 0;
    h.forEach((e, i) => {
      if (e.val_loss! < h[best].val_loss!) best = i;
    });
    expect(es.bestEpoch).toBe(best + 1);
    expect(values(await readModelWeights(model))).toEqual(values(byEpoch.get(best + 1)!));
  });

  it('TerminateOnNaN finds the first non-finite gradient, weight and layer with asynchronous reads', async () => {
    const { train, validation } = toyLoaders(32, 8);
    const model = toyNet(8);
    const t = new TerminateOnNaN({ log: () => {} });
    const poison = new LambdaCallback({
      onBatchBegin: (b: number) => {
        if (b === 3) model.getLayer('fc1').setWeights([model.getLayer('fc1').getWeights()[0], tf.fill([8], Number.NaN)]);
      },
    });
    const h = await fit(model, { train, validation, epochs: 2, optimizer: new Adam(), callbacks: [poison, t], ...quiet });
    expect(h).toEqual([]);
    expect(t.report).toMatchObject({ epoch: 1, batch: 3, gradient: 'fc1/kernel', variable: 'fc1/bias', layer: 'fc1' });
    expect(backend.syncReads).toBe(0);
  });
});
