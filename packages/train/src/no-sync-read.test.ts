import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LookaheadCallback, ModelEmaCallback } from './averaging-callbacks.js';
import { LambdaCallback } from './callback.js';
import { captureTrainingState, readModelWeights } from './checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from './node/checkpoint-files.js';
import './node/index.js';
import { CrossEntropyLoss } from './loss.js';
import { evaluate, fit } from './loop.js';
import { Adam } from './optimizers/adam.js';
import { ParamGroupOptimizer } from './optimizers/param-groups.js';
import { SGD } from './optimizers/sgd.js';
import { Lookahead, ModelEma } from './weight-averaging.js';
import { type NoSyncReadBackend, useNoSyncReadBackend } from '@cnn/testing';
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

/** Dense net with batch norm (non-trainable running statistics) on `[b, 6, 6, 1]`. */
function bnNet(seed = 1): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [6, 6, 1], name: 'flatten' }));
  m.add(tfl.layers.dense({ units: 5, name: 'fc1', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  m.add(tfl.layers.batchNormalization({ name: 'bn' }));
  m.add(tfl.layers.dense({ units: 2, name: 'fc2', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

const values = async (m: tfl.LayersModel): Promise<Record<string, number[]>> =>
  Object.fromEntries((await readModelWeights(m)).map((w) => [w.name, Array.from(w.values)]));

describe('state reads without synchronous reads (checkpoints, optimizers, weight averaging)', () => {
  it('Optimizer.readState holds the Adam moments of one step (known answers); setState + readState round-trips; getState throws here', async () => {
    const before = backend.syncReads;
    const w = tf.variable(tf.tensor1d([0.5, -1]));
    const opt = new Adam({ lr: 0.1 });
    const g = tf.tensor1d([1, -2]);
    opt.step({ w: g }, { w });
    const state = await opt.readState();
    expect(backend.syncReads).toBe(before);
    expect(state).toMatchObject({ type: 'Adam', step: 1, lr: 0.1 });
    const { exp_avg, exp_avg_sq } = state.slots.w;
    expect(exp_avg.shape).toEqual([2]);
    // m = (1 − β1)·g, v = (1 − β2)·g² (float32)
    expect(exp_avg.values[0]).toBeCloseTo(0.1, 7);
    expect(exp_avg.values[1]).toBeCloseTo(-0.2, 7);
    expect(exp_avg_sq.values[0]).toBeCloseTo(0.001, 9);
    expect(exp_avg_sq.values[1]).toBeCloseTo(0.004, 9);
    const copy = new Adam({ lr: 0.5 });
    copy.setState(state);
    expect(await copy.readState()).toEqual(state);
    // the same next step from the restored state
    const w2 = tf.variable(tf.tensor1d(Array.from(await w.data())));
    opt.step({ w: g }, { w });
    copy.step({ w: g }, { w: w2 });
    expect(Array.from(await w2.data())).toEqual(Array.from(await w.data()));
    expect(backend.syncReads).toBe(before);
    expect(() => opt.getState()).toThrow(/synchronous reads are not supported/);
    backend.syncReads = before;
    tf.dispose([w, w2, g]);
    opt.dispose();
    copy.dispose();
  });

  it('ParamGroupOptimizer.readState merges the groups (SGD momentum buffers = the first gradients) with their step counters', async () => {
    const before = backend.syncReads;
    const a = tf.variable(tf.tensor1d([1, 1]));
    const b = tf.variable(tf.tensor1d([1, 1]));
    const opt = new ParamGroupOptimizer([
      { name: 'backbone', params: ['a'], optimizer: new SGD({ lr: 0.01, momentum: 0.9 }) },
      { name: 'head', params: ['b'], optimizer: new SGD({ lr: 0.1, momentum: 0.9 }) },
    ]);
    const g = { a: tf.tensor1d([1, 2]), b: tf.tensor1d([3, 4]) };
    opt.step(g, { a, b });
    const state = await opt.readState();
    expect(backend.syncReads).toBe(before);
    expect(state.step).toBe(1);
    expect(Array.from(state.slots.a.momentum_buffer.values)).toEqual([1, 2]);
    expect(Array.from(state.slots.b.momentum_buffer.values)).toEqual([3, 4]);
    expect(Array.from(state.slots.__group0__.step.values)).toEqual([1]);
    const copy = new ParamGroupOptimizer([
      { name: 'backbone', params: ['a'], optimizer: new SGD({ lr: 0.01, momentum: 0.9 }) },
      { name: 'head', params: ['b'], optimizer: new SGD({ lr: 0.1, momentum: 0.9 }) },
    ]);
    copy.setState(state);
    expect(await copy.readState()).toEqual(state);
    tf.dispose([a, b, g.a, g.b]);
    opt.dispose();
    copy.dispose();
  });

  it('ModelEma.readState and Lookahead.readState: the average of known weights, and setState round trips', async () => {
    const before = backend.syncReads;
    const model = tfl.sequential();
    model.add(tfl.layers.dense({ inputShape: [1], units: 1, useBias: false, name: 'd', kernelInitializer: 'zeros' }));
    model.getLayer('d').setWeights([tf.tensor2d([[2]])]);
    const ema = new ModelEma(model, { decay: 0.5 });
    const la = new Lookahead(model, { k: 1, alpha: 0.5 });
    model.getLayer('d').setWeights([tf.tensor2d([[4]])]);
    ema.update(model); // 0.5·2 + 0.5·4
    expect(await ema.readState()).toEqual({ weights: [{ name: 'd/kernel', shape: [1, 1], values: Float32Array.of(3) }], updates: 1 });
    expect(await la.readState()).toEqual({ weights: [{ name: 'd/kernel', shape: [1, 1], values: Float32Array.of(2) }] });
    la.sync(model, 0.5); // slow ← lerp(2, 4, 0.5); the model takes it
    expect((await la.readState()).weights[0].values).toEqual(Float32Array.of(3));
    expect((await values(model))['d/kernel']).toEqual([3]);
    const ema2 = new ModelEma(model);
    ema2.setState({ weights: [{ name: 'd/kernel', shape: [1, 1], values: Float32Array.of(7) }], updates: 5 });
    expect(await ema2.readState()).toEqual({ weights: [{ name: 'd/kernel', shape: [1, 1], values: Float32Array.of(7) }], updates: 5 });
    expect(backend.syncReads).toBe(before);
    [ema, ema2, la].forEach((x) => x.dispose());
    model.dispose();
  });

  it('captureTrainingState → saveCheckpoint → fit({resume}) ends exactly as the uninterrupted run (Adam, Lookahead, EMA)', async () => {
    const before = backend.syncReads;
    const dir = join(mkdtempSync(join(tmpdir(), 'no-sync-ckpt-')), 'run');
    const callbacks = (): [LookaheadCallback, ModelEmaCallback] => [new LookaheadCallback({ k: 3, alpha: 0.5 }), new ModelEmaCallback({ decay: 0.8 })];
    const run = async (epochs: number, extra: { resume?: string; save?: number } = {}) => {
      const model = bnNet(5);
      const [la, ema] = callbacks();
      const saver = new LambdaCallback(
        {
          async onEpochEnd(e) {
            if (e === extra.save) await saveCheckpoint(dir, await captureTrainingState(this.context, { note: 'mid-run' }));
          },
        },
        { runsLast: true },
      );
      const history = await fit(model, {
        train: toyLoader(16, 4, 1),
        validation: toyLoader(4, 4, 2),
        epochs,
        optimizer: new Adam({ lr: 0.05 }),
        callbacks: [la, ema, saver],
        ...(extra.resume ? { resume: extra.resume } : {}),
        log: () => {},
        progress: 'none',
      });
      const out = { history, weights: await values(model), la: await la.getState(), ema: await ema.getState() };
      la.dispose();
      ema.dispose();
      model.dispose();
      return out;
    };
    const full = await run(3, { save: 2 }); // the uninterrupted run, saving after epoch 2
    const saved = await loadCheckpoint(dir);
    expect(saved.epoch).toBe(2);
    expect(saved.meta).toEqual({ note: 'mid-run' });
    expect(Object.keys(saved.optimizer.slots)).toContain('fc1/kernel');
    expect(Object.keys(saved.callbacks).sort()).toEqual(['Lookahead', 'ModelEma']);
    const resumed = await run(3, { resume: dir });
    expect(backend.syncReads).toBe(before);
    expect(resumed.history.map((e) => [e.loss, e.val_loss])).toEqual(full.history.map((e) => [e.loss, e.val_loss]));
    expect(resumed.weights).toEqual(full.weights);
    expect(resumed.la).toEqual(full.la);
    expect(resumed.ema).toEqual(full.ema);
  });
});
