import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LambdaCallback, type Callback, type TrainingContext } from './callback.js';
import { captureTrainingState, getModelWeights } from './checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from './node/checkpoint-files.js';
import './node/index.js';
import { clipGradNorm, clipGradValue } from './clip.js';
import type { Batch } from '@cnn/core';
import { fit, trainEpoch, type BatchSource } from './loop.js';
import { CrossEntropyLoss } from './loss.js';
import { Adam } from './optimizers/adam.js';
import { SGD } from './optimizers/sgd.js';
import { MultiStepLR } from './schedulers/index.js';
import { toyLoader } from './testing/toy.js';
import { trainStep } from './train-step.js';

/** Dense-only net on `[b, 6, 6, 1]` (fast on the cpu backend). */
function denseNet(seed = 1): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [6, 6, 1], name: 'flatten' }));
  m.add(tfl.layers.dense({ units: 5, activation: 'tanh', name: 'fc1', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  m.add(tfl.layers.dense({ units: 2, name: 'fc2', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

function weightsOf(m: tfl.LayersModel): number[][] {
  return m.getWeights().map((w) => Array.from(w.dataSync()));
}

describe('gradient clipping', () => {
  it('clipGradNorm scales by maxNorm/(norm+1e-6) like torch.nn.utils.clip_grad_norm_', async () => {
    const g = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) }; // global norm 5
    const r = await clipGradNorm(g, 1);
    expect(r.totalNorm).toBeCloseTo(5, 6);
    const c = 1 / (5 + 1e-6);
    expect(Array.from(r.grads.a.dataSync())[0]).toBeCloseTo(3 * c, 7);
    expect(Array.from(r.grads.b.dataSync())[1]).toBeCloseTo(4 * c, 7);
    const unchanged = await clipGradNorm(g, 10);
    expect(Array.from(unchanged.grads.a.dataSync())).toEqual([3, 0]);
    expect(Array.from(clipGradValue(g, 3.5).b.dataSync())).toEqual([0, 3.5]);
    await expect(clipGradNorm(g, 0)).rejects.toThrow(/maxNorm must be a finite number > 0\. Received: maxNorm=0/);
  });

  it('fit({clipNorm}) reports the pre-clip norm and bounds the update', async () => {
    const m = denseNet(2);
    const before = weightsOf(m);
    const norms: number[] = [];
    const cb = new LambdaCallback({
      onBatchEnd: (_b, logs) => {
        norms.push(logs.gradNorm!);
      },
    });
    await fit(m, {
      train: toyLoader(8, 8, 1),
      validation: toyLoader(4, 4, 2),
      epochs: 1,
      optimizer: new SGD({ lr: 1 }),
      clipNorm: 1e-3,
      callbacks: [cb],
      log: () => {},
      progress: 'none',
    });
    expect(norms).toHaveLength(1);
    expect(norms[0]).toBeGreaterThan(1e-3);
    const after = weightsOf(m);
    let sq = 0;
    before.forEach((w, i) =>
      w.forEach((v, j) => {
        sq += (after[i][j] - v) ** 2;
      }),
    );
    expect(Math.sqrt(sq)).toBeCloseTo(1e-3, 5); // lr 1 · clipped gradient of norm 1e-3
  });
});

describe('gradient accumulation', () => {
  it('4 micro-batches of 2 equal one batch of 8 (SGD and Adam) within float tolerance', async () => {
    for (const make of [() => new SGD({ lr: 0.5, momentum: 0.9 }), () => new Adam({ lr: 0.05 })]) {
      const big = denseNet(3);
      const acc = denseNet(3);
      const optBig = make();
      const optAcc = make();
      await trainEpoch(big, toyLoader(16, 8, 5), optBig, { progress: 'none' });
      const r = await trainEpoch(acc, toyLoader(16, 2, 5), optAcc, { progress: 'none', accumulateSteps: 4 });
      expect(optAcc.iterations).toBe(2);
      expect(optBig.iterations).toBe(2);
      expect(r.samples).toBe(16);
      const a = weightsOf(acc);
      weightsOf(big).forEach((w, i) => w.forEach((v, j) => expect(Math.abs(a[i][j] - v)).toBeLessThan(1e-5)));
    }
  });

  it('applies an incomplete last group, and leaks no tensors', async () => {
    const m = denseNet(4);
    const opt = new SGD({ lr: 0.1 });
    await trainEpoch(m, toyLoader(10, 2, 5), opt, { progress: 'none', accumulateSteps: 3 }); // 5 batches → 2 steps
    expect(opt.iterations).toBe(2);
    const n = tf.memory().numTensors;
    await trainEpoch(m, toyLoader(10, 2, 5), opt, { progress: 'none', accumulateSteps: 3 });
    expect(tf.memory().numTensors).toBe(n);
    await expect(trainEpoch(m, toyLoader(4, 2, 5), opt, { accumulateSteps: 0 })).rejects.toThrow(/accumulateSteps must be an integer >= 1/);
  });
});

describe("loss reduction 'sum'", () => {
  it("trainStep: gradients are batch × the mean's (SGD lr/B with sum = lr with mean); the reported loss stays the mean", async () => {
    const [b] = [...(toyLoader(8, 8, 3) as Iterable<Batch>)];
    const mean = denseNet(7);
    const sum = denseNet(7);
    const rMean = await trainStep(mean, b.x, b.y, new SGD({ lr: 0.4 }));
    const rSum = await trainStep(sum, b.x, b.y, new SGD({ lr: 0.4 / 8 }), { reduction: 'sum' });
    expect(rSum.loss).toBeCloseTo(rMean.loss, 6);
    expect(rSum.loss).toBeGreaterThan(0.3); // a per-sample cross-entropy of 2 classes, not 8× it
    expect(rSum.loss).toBeLessThan(1.5);
    const a = weightsOf(sum);
    weightsOf(mean).forEach((w, i) => w.forEach((v, j) => expect(Math.abs(a[i][j] - v)).toBeLessThan(1e-6)));
    tf.dispose([b.x, b.y]);
  });

  it('accumulation sums the micro-batch gradients (4 × 2 samples = one batch of 8), fit history losses are per-sample means', async () => {
    const big = denseNet(3);
    const acc = denseNet(3);
    await trainEpoch(big, toyLoader(16, 8, 5), new SGD({ lr: 0.05, momentum: 0.9 }), { progress: 'none', loss: new CrossEntropyLoss({ reduction: 'sum' }) });
    await trainEpoch(acc, toyLoader(16, 2, 5), new SGD({ lr: 0.05, momentum: 0.9 }), {
      progress: 'none',
      loss: new CrossEntropyLoss({ reduction: 'sum' }),
      accumulateSteps: 4,
    });
    const a = weightsOf(acc);
    weightsOf(big).forEach((w, i) => w.forEach((v, j) => expect(Math.abs(a[i][j] - v)).toBeLessThan(1e-5)));
    const run = (reduction: 'mean' | 'sum', lr: number): Promise<{ loss: number }[]> =>
      fit(denseNet(8), {
        train: toyLoader(16, 4, 1),
        validation: toyLoader(4, 4, 2),
        epochs: 2,
        optimizer: new SGD({ lr }),
        loss: new CrossEntropyLoss({ reduction }),
        log: () => {},
        progress: 'none',
      });
    const hMean = await run('mean', 0.2);
    const hSum = await run('sum', 0.2 / 4);
    hSum.forEach((e, i) => expect(e.loss).toBeCloseTo(hMean[i].loss, 5));
  });
});

describe('fractional epochs', () => {
  it('epochs 2.5 over 4 batches trains ceil(10) batches: two full epochs and a recorded partial one of 2', async () => {
    const opt = new SGD({ lr: 0.1 });
    let params: TrainingContext['params'] | undefined;
    const batchesPerEpoch: number[] = [];
    const cb = new LambdaCallback({
      onTrainBegin() {
        params = this.context.params;
      },
      onEpochBegin: () => {
        batchesPerEpoch.push(0);
      },
      onBatchEnd: () => {
        batchesPerEpoch[batchesPerEpoch.length - 1] += 1;
      },
    });
    const lines: string[] = [];
    const h = await fit(denseNet(), {
      train: toyLoader(16, 4, 1),
      validation: toyLoader(4, 4, 2),
      epochs: 2.5,
      optimizer: opt,
      callbacks: [cb],
      log: (l) => lines.push(l),
      progress: 'none',
    });
    expect(batchesPerEpoch).toEqual([4, 4, 2]);
    expect(opt.iterations).toBe(10);
    expect(params).toEqual({ epochs: 3, initialEpoch: 0, steps: 4, totalSteps: 10 });
    expect(h.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(h.map((e) => e.batches)).toEqual([undefined, undefined, 2]);
    expect(lines.filter((l) => l.startsWith('Epoch 3/3'))).toHaveLength(1);
  });

  it("follows Python's ceil(len(loader) * epochs) in double precision: 2.2 epochs of 25 batches are ceil(55.00000000000001) = 56", async () => {
    let n = 0;
    const counting: BatchSource = {
      length: 25,
      *[Symbol.iterator]() {
        for (let i = 0; i < 25; i++) {
          n += 1;
          yield { x: tf.zeros([1, 6, 6, 1]), y: tf.zeros([1], 'int32') };
        }
      },
    };
    const h = await fit(denseNet(), {
      train: counting,
      validation: toyLoader(2, 2, 2),
      epochs: 2.2,
      optimizer: new SGD({ lr: 0 }),
      log: () => {},
      progress: 'none',
    });
    expect(n).toBe(56); // Python: math.ceil(25 * 2.2) == 56 (and airbench's math.ceil(98 * 9.9) == 971)
    expect(h.map((e) => e.batches)).toEqual([undefined, undefined, 6]);
  });

  it('rejects bad epochs and a fractional epochs without a loader length', async () => {
    const opts = { train: toyLoader(4, 4, 1), validation: toyLoader(4, 4, 2), optimizer: new SGD({ lr: 0.1 }), log: () => {}, progress: 'none' as const };
    await expect(fit(denseNet(), { ...opts, epochs: 0 })).rejects.toThrow(
      'fit: epochs must be a finite number > 0 (an integer, or fractional as 9.9). Received: epochs=0',
    );
    await expect(fit(denseNet(), { ...opts, epochs: Infinity })).rejects.toThrow(/Received: epochs=Infinity/);
    const noLength: BatchSource = {
      *[Symbol.iterator]() {
        yield* toyLoader(4, 4, 1) as Iterable<Batch>;
      },
    };
    await expect(fit(denseNet(), { ...opts, train: noLength, epochs: 1.5 })).rejects.toThrow(
      /fractional epochs=1\.5 needs a training loader with a length.*Received: length=undefined/,
    );
    await expect(trainEpoch(denseNet(), toyLoader(4, 4, 1), new SGD({ lr: 0.1 }), { maxBatches: 0 })).rejects.toThrow(
      /maxBatches must be an integer >= 1\. Received: maxBatches=0/,
    );
  });
});

describe('evalEvery', () => {
  /** A test source that counts its passes. */
  function countingTest(): BatchSource & { passes: number } {
    const inner = toyLoader(4, 4, 2);
    const src = {
      passes: 0,
      length: inner.length,
      *[Symbol.iterator](): Iterator<Batch> {
        src.passes += 1;
        yield* inner as Iterable<Batch>;
      },
    };
    return src;
  }

  it('evaluates only epochs that are multiples of evalEvery; the others record NaN, evaluated: false and no val_* logs', async () => {
    const test = countingTest();
    const logs: Record<string, number | undefined>[] = [];
    const lines: string[] = [];
    const h = await fit(denseNet(), {
      train: toyLoader(8, 4, 1),
      validation: test,
      epochs: 5,
      evalEvery: 2,
      optimizer: new SGD({ lr: 0.1 }),
      callbacks: [
        new LambdaCallback({
          onEpochEnd: (_e, l) => {
            logs.push(l);
          },
        }),
      ],
      log: (l) => lines.push(l),
      progress: 'none',
    });
    expect(test.passes).toBe(2);
    expect(h.map((e) => e.evaluated)).toEqual([false, undefined, false, undefined, false]);
    expect(h.map((e) => Number.isNaN(e.val_accuracy))).toEqual([true, false, true, false, true]);
    expect(h[1]!.val_accuracy).toBeGreaterThanOrEqual(0);
    expect(logs.map((l) => 'val_accuracy' in l)).toEqual([false, true, false, true, false]);
    expect(lines.filter((l) => l.startsWith('Epoch ')).map((l) => l.includes('val loss'))).toEqual([false, true, false, true, false]);
    expect(JSON.parse(JSON.stringify(h[0]))).toMatchObject({ val_loss: null, val_accuracy: null, evaluated: false });
  });

  it('evalEvery 0 never evaluates; a bad value is refused', async () => {
    const test = countingTest();
    const h = await fit(denseNet(), {
      train: toyLoader(8, 4, 1),
      validation: test,
      epochs: 2,
      evalEvery: 0,
      optimizer: new SGD({ lr: 0.1 }),
      log: () => {},
      progress: 'none',
    });
    expect(test.passes).toBe(0);
    expect(h).toHaveLength(2);
    await expect(
      fit(denseNet(), {
        train: toyLoader(8, 4, 1),
        validation: test,
        epochs: 1,
        evalEvery: 1.5,
        optimizer: new SGD({ lr: 0.1 }),
        log: () => {},
        progress: 'none',
      }),
    ).rejects.toThrow('fit: evalEvery must be an integer >= 0. Received: evalEvery=1.5');
  });
});

describe('fit callbacks protocol', () => {
  it('calls hooks in order with Keras-style logs, lets callbacks change lr and stop', async () => {
    const events: string[] = [];
    let ctxSeen: TrainingContext | undefined;
    const cb = new LambdaCallback({
      onTrainBegin() {
        ctxSeen = this.context;
        events.push('trainBegin');
      },
      onEpochBegin: (e, logs) => {
        events.push(`epochBegin ${e} lr=${logs.lr}`);
      },
      onBatchEnd: (b, logs) => {
        if (b === 1) events.push(`batchEnd ${b} size=${logs.size} stepped=${logs.stepped}`);
      },
      onEpochEnd: (e, logs) => {
        events.push(`epochEnd ${e} keys=${Object.keys(logs).sort().join(',')}`);
        ctxSeen!.optimizer.lr = 0.01;
        if (e === 2) ctxSeen!.stopTraining = true;
      },
      onTrainEnd: () => {
        events.push('trainEnd');
      },
    });
    const last = new LambdaCallback(
      {
        onEpochEnd: (e) => {
          events.push(`lastEpochEnd ${e}`);
        },
      },
      { runsLast: true },
    );
    const h = await fit(denseNet(), {
      train: toyLoader(8, 4, 1),
      validation: toyLoader(4, 4, 2),
      epochs: 5,
      optimizer: new SGD({ lr: 0.1 }),
      callbacks: [last, cb],
      log: () => {},
      progress: 'none',
    });
    expect(h.map((e) => e.lr)).toEqual([0.1, 0.01]);
    expect(events).toEqual([
      'trainBegin',
      'epochBegin 1 lr=0.1',
      'batchEnd 1 size=4 stepped=1',
      'epochEnd 1 keys=accuracy,imgPerSec,loss,lr,seconds,val_accuracy,val_loss',
      'lastEpochEnd 1',
      'epochBegin 2 lr=0.01',
      'batchEnd 1 size=4 stepped=1',
      'epochEnd 2 keys=accuracy,imgPerSec,loss,lr,seconds,val_accuracy,val_loss',
      'lastEpochEnd 2',
      'trainEnd',
    ]);
  });

  it('a callback that stops in onGradients skips that update and the epoch is not recorded', async () => {
    const m = denseNet();
    const before = weightsOf(m);
    const cb = new LambdaCallback({
      onGradients(info) {
        expect(Object.keys(info.grads)).toContain('fc1/kernel');
        this.context.stopTraining = true;
      },
    });
    const h = await fit(m, {
      train: toyLoader(8, 4, 1),
      validation: toyLoader(4, 4, 2),
      epochs: 3,
      optimizer: new SGD({ lr: 0.1 }),
      callbacks: [cb],
      log: () => {},
      progress: 'none',
    });
    expect(h).toEqual([]);
    expect(weightsOf(m)).toEqual(before);
  });
});

describe('checkpoints', () => {
  async function trained(): Promise<{ ctx: TrainingContext; model: tfl.Sequential; opt: Adam }> {
    const model = denseNet(5);
    const opt = new Adam({ lr: 0.01 });
    const history = await fit(model, { train: toyLoader(8, 4, 1), validation: toyLoader(4, 4, 2), epochs: 2, optimizer: opt, log: () => {}, progress: 'none' });
    const ctx: TrainingContext = {
      model,
      optimizer: opt,
      history,
      callbacks: [],
      callbackKeys: [],
      stopTraining: false,
      epoch: 2,
      train: null,
      params: { epochs: 2, initialEpoch: 0 },
    };
    return { ctx, model, opt };
  }

  it('round-trips weights, Adam moments and history bit-exactly, replacing the previous checkpoint', async () => {
    const { ctx } = await trained();
    const dir = join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'run');
    await saveCheckpoint(dir, await captureTrainingState(ctx));
    const state = await captureTrainingState(ctx, { best: Infinity });
    await saveCheckpoint(dir, state);
    expect(readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(1);
    const back = await loadCheckpoint(dir);
    expect(back.epoch).toBe(2);
    expect(back.meta).toEqual({ best: Infinity });
    expect(back.history).toEqual(ctx.history);
    expect(back.weights.map((w) => w.name)).toEqual(['fc1/kernel', 'fc1/bias', 'fc2/kernel', 'fc2/bias']);
    back.weights.forEach((w, i) => expect(Array.from(w.values)).toEqual(Array.from(state.weights[i].values)));
    const slot = back.optimizer.slots['fc1/kernel'].exp_avg_sq;
    expect(slot.values).toBeInstanceOf(Float32Array);
    expect(Array.from(slot.values)).toEqual(Array.from(state.optimizer.slots['fc1/kernel'].exp_avg_sq.values));
    expect(back.optimizer.step).toBe(4);
  });

  it('refuses a truncated state file and a foreign checkpoint.json, naming the file', async () => {
    const { ctx } = await trained();
    const dir = join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'run');
    const saved = await saveCheckpoint(dir, await captureTrainingState(ctx));
    truncateSync(saved.bin, 100);
    await expect(loadCheckpoint(dir)).rejects.toThrow(new RegExp(`${saved.bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds 100 bytes.*truncated`));
    writeFileSync(saved.json, readFileSync(saved.json, 'utf8').slice(0, 50));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/checkpoint\.json is not valid JSON \(truncated\?\)/);
    const foreign = join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'model');
    await saveCheckpoint(foreign, await captureTrainingState(ctx));
    writeFileSync(join(foreign, 'checkpoint.json'), JSON.stringify({ format: 'layers-model' }));
    await expect(loadCheckpoint(foreign)).rejects.toThrow(/checkpoint\.json is not a training checkpoint \(format 'layers-model'/);
    await expect(saveCheckpoint(foreign, await captureTrainingState(ctx))).rejects.toThrow(/has format 'layers-model'.*refusing to replace it/);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    await expect(saveCheckpoint(foreign, await captureTrainingState(ctx))).rejects.toThrow(/notes\.txt is not part of a checkpoint; refusing/);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('fit({resume}) continues a run with a scheduler callback exactly (same weights as uninterrupted)', async () => {
    class SchedCb extends LambdaCallback {
      s?: MultiStepLR;
      constructor() {
        super(
          {
            onTrainBegin() {
              (this as SchedCb).s = new MultiStepLR(this.context.optimizer, { milestones: [2, 3], gamma: 0.5 });
            },
            onEpochEnd() {
              (this as SchedCb).s!.step();
            },
          },
          { stateKey: 'sched' },
        );
      }
      override getState(): unknown {
        return this.s!.getState();
      }
      override setState(st: unknown): void {
        this.s!.setState(st as never);
      }
    }
    const schedCb = (): Callback => new SchedCb();
    const dir = join(mkdtempSync(join(tmpdir(), 'ckpt-')), 'run');
    const saver = (): Callback =>
      new LambdaCallback(
        {
          async onEpochEnd(e) {
            if (e === 2) await saveCheckpoint(dir, await captureTrainingState(this.context));
          },
        },
        { runsLast: true },
      );
    const full = denseNet(6);
    const hFull = await fit(full, {
      train: toyLoader(16, 4, 1),
      validation: toyLoader(4, 4, 2),
      epochs: 4,
      optimizer: new Adam({ lr: 0.02 }),
      callbacks: [schedCb(), saver()],
      log: () => {},
      progress: 'none',
    });
    const resumed = denseNet(99); // different init: everything must come from the checkpoint
    const hRes = await fit(resumed, {
      train: toyLoader(16, 4, 1),
      validation: toyLoader(4, 4, 2),
      epochs: 4,
      optimizer: new Adam({ lr: 0.02 }),
      callbacks: [schedCb()],
      resume: dir,
      log: () => {},
      progress: 'none',
    });
    expect(hRes.map((e) => e.lr)).toEqual([0.02, 0.02, 0.01, 0.005]);
    expect(hRes.map((e) => [e.loss, e.val_loss])).toEqual(hFull.map((e) => [e.loss, e.val_loss]));
    expect(getModelWeights(resumed).map((w) => Array.from(w.values))).toEqual(getModelWeights(full).map((w) => Array.from(w.values)));
    await expect(
      fit(denseNet(), {
        train: toyLoader(4, 4, 1),
        validation: toyLoader(4, 4, 2),
        epochs: 1,
        optimizer: new Adam(),
        resume: join(dir, 'nope'),
        log: () => {},
      }),
    ).rejects.toThrow(/cannot read .*nope.*checkpoint\.json/);
  });
});

// keep the Batch/BatchSource types referenced for readers of this test
export type { Batch, BatchSource };
