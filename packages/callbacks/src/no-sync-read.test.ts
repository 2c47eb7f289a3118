import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, fit, LambdaCallback, ReduceLROnPlateau, readModelWeights, SGD, type NamedWeight } from '@cnn/train';
import { loadCheckpoint } from '@cnn/train/node';
import { EarlyStopping } from './early-stopping.js';
import { TerminateOnNaN } from './loggers.js';
import { lrFind } from './lr-finder.js';
import { LRSchedulerCallback } from './lr-scheduler.js';
import { ModelCheckpoint } from './model-checkpoint.js';
import { ModelDebugger, weightStats } from './model-debugger.js';
import { type NoSyncReadBackend, useNoSyncReadBackend } from '@cnn/testing';
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

describe('ModelDebugger, ModelCheckpoint and lrFind on a backend without synchronous reads', () => {
  it('ModelDebugger reports gradient/weight statistics and activation histograms with asynchronous reads', async () => {
    const { train } = toyLoaders(32, 8);
    const model = toyNet(2);
    const charts: string[] = [];
    const lines: string[] = [];
    const dbg = new ModelDebugger({ every: 2, bins: 5, log: (l) => lines.push(l), charts: async (_spec, name) => void charts.push(name) });
    await fit(model, { train, epochs: 1, optimizer: new Adam(), callbacks: [dbg], ...quiet });
    expect(backend.syncReads).toBe(0);
    expect(dbg.reports.map((r) => r.batch)).toEqual([2, 4]);
    const r = dbg.reports[0];
    expect(r.gradients.map((g) => g.name)).toEqual(['fc1/kernel', 'fc1/bias', 'fc2/kernel', 'fc2/bias']);
    expect(r.gradients.every((g) => Number.isFinite(g.mean) && g.maxAbs > 0 && g.nan + g.inf === 0)).toBe(true);
    expect(r.activations!.map((a) => a.name)).toEqual(['fc1 [8]', 'fc2 [2]']);
    expect(r.activations![0].counts.reduce((a, b) => a + b, 0)).toBe(8 * 8); // batch 8 × 8 units
    expect(charts).toEqual(['activations-e1-b2', 'activations-e1-b4']);
    expect(lines).toContain('No NaN/Inf detected');
    // weightStats: a known answer (fc2/bias set to [1, 3]: mean 2, unbiased std √2, max-abs 3)
    model.getLayer('fc2').setWeights([model.getLayer('fc2').getWeights()[0], tf.tensor1d([1, 3])]);
    const bias = (await weightStats(model)).find((w) => w.name === 'fc2/bias')!;
    expect([bias.mean, bias.maxAbs, bias.nan, bias.inf]).toEqual([2, 3, 0, 0]);
    expect(bias.std).toBeCloseTo(Math.SQRT2, 12);
    expect(backend.syncReads).toBe(0);
  });

  it('ModelCheckpoint saves every epoch and fit resumes from it to the uninterrupted result', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'no-sync-mc-')), 'ckpt');
    const run = async (epochs: number, resume?: string) => {
      const { train, validation } = toyLoaders(32, 8);
      const model = toyNet(6);
      const mc = new ModelCheckpoint(dir, { log: () => {} });
      const h = await fit(model, { train, validation, epochs, optimizer: new Adam({ lr: 0.01 }), callbacks: [mc], ...(resume ? { resume } : {}), ...quiet });
      return { h, w: values(await readModelWeights(model)), saves: mc.saves };
    };
    const full = await run(3);
    expect(full.saves).toBe(3);
    await run(2); // overwrites the checkpoint with the state after epoch 2 of an identical run
    const saved = await loadCheckpoint(dir);
    expect(saved.epoch).toBe(2);
    expect(saved.optimizer.step).toBe(8);
    const resumed = await run(3, dir);
    expect(backend.syncReads).toBe(0);
    expect(resumed.h.map((e) => e.val_loss)).toEqual(full.h.map((e) => e.val_loss));
    expect(resumed.w).toEqual(full.w);
  });

  it('lrFind copies and restores the weights and optimizer state with asynchronous reads', async () => {
    const model = toyNet(3);
    const opt = new Adam({ lr: 0.01 });
    const before = values(await readModelWeights(model));
    const r = await lrFind(model, toyLoaders(48, 8).train, opt, { numIter: 6 });
    expect(backend.syncReads).toBe(0);
    expect(r.lrs).toHaveLength(r.losses.length);
    expect(r.losses.length).toBeGreaterThan(1);
    expect(values(await readModelWeights(model))).toEqual(before);
    expect((await opt.readState()).slots).toEqual({});
    expect(opt.lr).toBe(0.01);
  });
});
