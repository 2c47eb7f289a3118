import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { chartFolder } from '@cnn/core/node';
import { Adam, LambdaCallback, type OneCycleLR, SGD, fit, type SchedulerSpec } from '@cnn/train';
import { hasCheckpoint, loadCheckpoint } from '@cnn/train/node';
import { TerminateOnNaN } from './loggers.js';
import { HistoryLogger } from './node/history-logger.js';
import { LRSchedulerCallback } from './lr-scheduler.js';
import { ModelCheckpoint } from './model-checkpoint.js';
import { ModelDebugger, gradientStats } from './model-debugger.js';
import { toyLoaders, toyNet } from './testing/toy.js';

const quiet = { log: () => {}, progress: 'none' as const };

describe('LRSchedulerCallback', () => {
  it('steps OneCycleLR per optimizer step (with accumulation) and MultiStepLR per epoch', async () => {
    const { train, validation } = toyLoaders(48, 8); // 6 batches
    const opt = new SGD({ lr: 0.1 });
    const seen: number[] = [];
    const cb = LRSchedulerCallback.fromSpec('onecycle:maxLr=0.1');
    expect(cb.interval).toBe('batch');
    const spy = new LambdaCallback({
      onBatchEnd: () => {
        seen.push(opt.lr);
      },
    });
    await fit(toyNet(), { train, validation, epochs: 2, optimizer: opt, callbacks: [cb, spy], accumulateSteps: 2, ...quiet });
    const s = cb.scheduler as OneCycleLR;
    expect(s.totalSteps).toBe(12); // epochs · batches, from the run
    expect(s.lastEpoch).toBe(6); // 2 epochs × 3 optimizer steps
    expect(seen[0]).toBeCloseTo(0.1 / 25, 15); // unchanged inside the accumulation group
    const opt2 = new SGD({ lr: 1 });
    const h = await fit(toyNet(), {
      train,
      validation,
      epochs: 4,
      optimizer: opt2,
      callbacks: [LRSchedulerCallback.fromSpec('multistep:milestones=1|3,gamma=0.5')],
      ...quiet,
    });
    expect(h.map((e) => e.lr)).toEqual([1, 0.5, 0.5, 0.25]);
  });

  it('ReduceLROnPlateau reads the monitored metric, and a missing key is an error listing the keys', async () => {
    const { train, validation } = toyLoaders(16, 8);
    const cb = LRSchedulerCallback.fromSpec('plateau:patience=0,factor=0.5', { monitor: 'val_los' });
    await expect(fit(toyNet(), { train, validation, epochs: 1, optimizer: new SGD({ lr: 1 }), callbacks: [cb], ...quiet })).rejects.toThrow(
      /monitor 'val_los' is not in the epoch logs — .*\. Available keys: loss, accuracy, val_loss, val_accuracy, lr/,
    );
  });
});

describe('ModelCheckpoint', () => {
  it('saves only on improvement with saveBestOnly and refuses a folder with foreign files before training', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'mc-')), 'ckpt');
    const { train, validation } = toyLoaders(16, 8);
    const lines: string[] = [];
    const mc = new ModelCheckpoint(dir, { monitor: 'loss', mode: 'max', saveBestOnly: true, log: (l) => lines.push(l) });
    await fit(toyNet(), { train, validation, epochs: 3, optimizer: new Adam({ lr: 0.05 }), callbacks: [mc], ...quiet });
    expect(mc.saves).toBe(1); // loss falls: only epoch 1 "improves" in max mode
    expect((await loadCheckpoint(dir)).epoch).toBe(1);
    expect(lines[0]).toMatch(/^Epoch 1: loss improved from -Infinity to [\d.]+, saving checkpoint to /);

    const foreign = mkdtempSync(join(tmpdir(), 'mc-'));
    writeFileSync(join(foreign, 'model.json'), '{}');
    const model = toyNet();
    const before = model.getWeights().map((w) => Array.from(w.dataSync()));
    await expect(fit(model, { train, validation, epochs: 1, optimizer: new Adam(), callbacks: [new ModelCheckpoint(foreign)], ...quiet })).rejects.toThrow(
      /model\.json is not part of a checkpoint; refusing to write/,
    );
    expect(model.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
    expect(await hasCheckpoint(foreign)).toBe(false);
    expect(() => new ModelCheckpoint(dir, { everyNEpochs: 0 })).toThrow(/everyNEpochs must be an integer >= 1\. Received: everyNEpochs=0/);
  });
});

describe('HistoryLogger and TerminateOnNaN', () => {
  it('writes the history as JSON and CSV after every epoch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hl-'));
    const { train, validation } = toyLoaders(16, 8);
    const h = await fit(toyNet(), {
      train,
      validation,
      epochs: 2,
      optimizer: new Adam(),
      callbacks: [new HistoryLogger({ json: join(dir, 'h.json'), csv: join(dir, 'out', 'h.csv') })],
      ...quiet,
    });
    expect(JSON.parse(readFileSync(join(dir, 'h.json'), 'utf8'))).toEqual(h);
    const csv = readFileSync(join(dir, 'out', 'h.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds,imgPerSec');
    expect(csv).toHaveLength(3);
    expect(Number(csv[2].split(',')[3])).toBe(h[1].val_loss);
  });

  it('stops before the update of the first non-finite batch and names the batch, gradient, weight and layer', async () => {
    const { train, validation } = toyLoaders(32, 8);
    const model = toyNet(8);
    const lines: string[] = [];
    const t = new TerminateOnNaN({ log: (l) => lines.push(l) });
    // poison fc1's bias before batch 3 of epoch 1
    const poison = new LambdaCallback({
      onBatchBegin: (b: number) => {
        if (b === 3) model.getLayer('fc1').getWeights()[1].dataSync();
        if (b === 3) model.getLayer('fc1').setWeights([model.getLayer('fc1').getWeights()[0], tf.fill([8], NaN)]);
      },
    });
    const h = await fit(model, { train, validation, epochs: 2, optimizer: new SGD({ lr: 0.1 }), callbacks: [poison, t], ...quiet });
    expect(h).toEqual([]);
    expect(t.report).toMatchObject({ epoch: 1, batch: 3, gradient: 'fc1/kernel', variable: 'fc1/bias', layer: 'fc1' });
    expect(lines[0]).toMatch(
      /^TerminateOnNaN: epoch 1, batch 3: loss NaN; first non-finite gradient: 'fc1\/kernel'; first non-finite weight: 'fc1\/bias'; first non-finite activation: layer 'fc1'/,
    );
    expect(Number.isFinite(model.getLayer('fc2').getWeights()[0].dataSync()[0])).toBe(true); // update skipped
  });
});

describe('LRSchedulerCallback.fromSpec', () => {
  it("never writes into the caller's spec, and a reused callback sizes OneCycleLR to each run", async () => {
    const spec: SchedulerSpec = { scheduler: 'OneCycleLR', options: { maxLr: 0.1 } };
    const cb = LRSchedulerCallback.fromSpec(spec);
    const { train, validation } = toyLoaders(48, 8); // 6 batches
    await fit(toyNet(), { train, validation, epochs: 1, optimizer: new SGD({ lr: 0.1 }), callbacks: [cb], ...quiet });
    expect((cb.scheduler as OneCycleLR).totalSteps).toBe(6);
    expect(spec).toEqual({ scheduler: 'OneCycleLR', options: { maxLr: 0.1 } });
    await fit(toyNet(), { train, validation, epochs: 3, optimizer: new SGD({ lr: 0.1 }), callbacks: [cb], ...quiet });
    expect((cb.scheduler as OneCycleLR).totalSteps).toBe(18); // the longer run's length, not the first run's 6
    expect((cb.scheduler as OneCycleLR).lastEpoch).toBe(18);
  });
});

describe('ModelDebugger', () => {
  it('reports gradient/weight statistics every N batches with warnings and writes activation histograms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dbg-'));
    mkdirSync(dir, { recursive: true });
    const { train, validation } = toyLoaders(32, 8); // 4 batches per epoch
    const lines: string[] = [];
    const dbg = new ModelDebugger({ every: 3, charts: chartFolder(dir), log: (l) => lines.push(l), exploding: 1e-3 });
    await fit(toyNet(9), { train, validation, epochs: 2, optimizer: new Adam(), callbacks: [dbg], ...quiet });
    expect(dbg.reports.map((r) => [r.epoch, r.batch])).toEqual([
      [1, 3],
      [2, 2],
    ]);
    const r = dbg.reports[0];
    expect(r.gradients.map((g) => g.name)).toEqual(['fc1/kernel', 'fc1/bias', 'fc2/kernel', 'fc2/bias']);
    expect(r.gradients.every((g) => g.exploding)).toBe(true); // threshold 1e-3 for the test
    expect(lines).toContain('No NaN/Inf detected');
    expect(lines.some((l) => l.startsWith('  WARNING: exploding gradient in fc1/kernel'))).toBe(true);
    expect(r.activations!.map((a) => a.name)).toEqual(['fc1 [8]', 'fc2 [2]']);
    expect(r.activations![0].counts.reduce((a, b) => a + b, 0)).toBe(8 * 8); // batch 8 × 8 units
    expect(r.chart).toBe(join(dir, 'activations-e1-b3.png'));
    expect(existsSync(r.chart!)).toBe(true);
    expect((await sharp(r.chart!).metadata()).format).toBe('png');
  });

  it('gradientStats computes mean, unbiased std, max-abs and the chapter thresholds', async () => {
    const [s] = await gradientStats({ w: tf.tensor1d([1e-7, -3e-7, 2e-7]) });
    expect(s.mean).toBeCloseTo(0, 12);
    expect(s.std).toBeCloseTo(Math.sqrt((1e-14 + 9e-14 + 4e-14) / 2), 13);
    expect(s.maxAbs).toBe(Math.fround(3e-7));
    expect(s.vanishing).toBe(true);
    const [e] = await gradientStats({ w: tf.tensor1d([0, 150, NaN]) });
    expect([e.exploding, e.nan]).toEqual([true, 1]);
  });
});
