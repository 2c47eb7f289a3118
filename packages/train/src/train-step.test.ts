import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { LambdaCallback } from './callback.js';
import { NonFiniteLossError, TrainError } from './errors.js';
import { evaluate, fit, formatEpochLine, trainEpoch } from './loop.js';
import { Adam } from './optimizers/adam.js';
import { SGD } from './optimizers/sgd.js';
import { softmaxCrossEntropy } from './loss.js';
import { trainStep } from './train-step.js';
import { tinyNet, toyLoader } from './testing/toy.js';

describe('trainStep', () => {
  it('keeps tf.memory().numTensors stable over 100 steps', async () => {
    const model = tinyNet();
    const opt = new Adam({ lr: 1e-2 });
    const x = tf.randomUniform([4, 6, 6, 1], 0, 1, 'float32', 3);
    const y = tf.tensor1d([0, 1, 0, 1], 'int32');
    await trainStep(model, x, y, opt); // creates optimizer slots
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) await trainStep(model, x, y, opt);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('computes loss/correct before the update and moves the weights by SGD', async () => {
    const model = tinyNet();
    const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 5);
    const y = tf.tensor1d([0, 1], 'int32');
    const before = model.getLayer('fc').getWeights()[1].dataSync().slice();
    const r = await trainStep(model, x, y, new SGD({ lr: 0 }));
    expect(Number.isFinite(r.loss)).toBe(true);
    expect([0, 1, 2]).toContain(r.correct);
    expect(Array.from(model.getLayer('fc').getWeights()[1].dataSync())).toEqual(Array.from(before)); // lr 0 → unchanged
    await trainStep(model, x, y, new SGD({ lr: 0.5 }));
    expect(Array.from(model.getLayer('fc').getWeights()[1].dataSync())).not.toEqual(Array.from(before));
  });
});

describe('trainEpoch / evaluate / fit', () => {
  it('learns a separable toy problem to 100% test accuracy with falling loss', async () => {
    const model = tinyNet(3);
    const lines: string[] = [];
    const history = await fit(model, {
      train: toyLoader(64, 8, 1),
      validation: toyLoader(32, 16, 2),
      epochs: 6,
      optimizer: new Adam({ lr: 0.02 }),
      log: (l) => lines.push(l),
      progress: 'lines',
      logEvery: 4,
    });
    expect(history).toHaveLength(6);
    expect(history[5].loss).toBeLessThan(history[0].loss * 0.5);
    expect(history[5].val_accuracy).toBe(1);
    expect(history[0].lr).toBe(0.02);
    const epochLines = lines.filter((l) => l.startsWith('Epoch 6/6  train loss'));
    expect(epochLines).toHaveLength(1);
    expect(epochLines[0]).toMatch(
      /^Epoch 6\/6 {2}train loss \d\.\d{4} acc \d+\.\d{2}% {2}val loss \d\.\d{4} acc 100\.00% {2}lr 2\.0e-2 {2}\d+\.\d s {2}[\d,]+ img\/s$/,
    );
    // 'lines' progress: batches 4 and 8 of each epoch
    expect(lines.filter((l) => l.startsWith('Epoch 1/6  batch '))).toHaveLength(2);
    expect(lines.find((l) => l.startsWith('Epoch 1/6  batch 8/8'))).toMatch(/loss \d\.\d{4} {2}acc/);
  });

  it('evaluate reports sample-weighted mean loss and accuracy', async () => {
    const model = tinyNet(4);
    const whole = await evaluate(model, toyLoader(10, 10, 9));
    const split = await evaluate(model, toyLoader(10, 3, 9)); // batches 3,3,3,1
    expect(split.samples).toBe(10);
    expect(Math.abs(split.loss - whole.loss)).toBeLessThan(1e-5);
    expect(split.accuracy).toBe(whole.accuracy);
  });

  it('throws NonFiniteLossError naming epoch, batch and value', async () => {
    const model = tinyNet(5);
    const bad = {
      length: 2,
      *[Symbol.iterator]() {
        yield { x: tf.zeros([2, 6, 6, 1]), y: tf.tensor1d([0, 1], 'int32') };
        yield { x: tf.fill([2, 6, 6, 1], NaN), y: tf.tensor1d([0, 1], 'int32') };
      },
    };
    const before = tf.memory().numTensors;
    const err = await trainEpoch(model, bad, new SGD({ lr: 0.1 }), { epoch: 3, progress: 'none' }).catch((e) => e);
    expect(NonFiniteLossError.isInstance(err)).toBe(true);
    expect(TrainError.isInstance(err)).toBe(true);
    expect(err.message).toBe(
      'Non-finite training loss NaN at epoch 3, batch 2: training diverged (lower the learning rate or check the input data for NaN/Inf)',
    );
    expect([err.epoch, err.batch]).toEqual([3, 2]);
    // batch tensors were disposed even on error; only the new optimizer slots remain
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it("fit can be stopped from a callback's onEpochEnd and rejects bad options", async () => {
    const model = tinyNet(6);
    const stopper = new LambdaCallback({
      onEpochEnd(e) {
        if (e === 2) this.context.stopTraining = true;
        this.context.optimizer.lr = 0.05;
      },
    });
    const h = await fit(model, {
      train: toyLoader(8, 4, 1),
      validation: toyLoader(4, 4, 2),
      epochs: 5,
      optimizer: new SGD({ lr: 0.1 }),
      log: () => {},
      progress: 'none',
      callbacks: [stopper],
    });
    await expect(
      fit(model, { train: toyLoader(4, 4, 1), validation: toyLoader(4, 4, 1), epochs: 1, optimizer: new SGD({ lr: 1 }), onEpochEnd: () => {} } as never),
    ).rejects.toThrow(/onEpochEnd option was removed/);
    expect(h.map((e) => [e.epoch, e.lr])).toEqual([
      [1, 0.1],
      [2, 0.05],
    ]);
    await expect(fit(model, { train: toyLoader(4, 4, 1), validation: toyLoader(4, 4, 1), epochs: 0, optimizer: new SGD({ lr: 1 }) })).rejects.toThrow(/epochs/);
    await expect(trainEpoch(model, [], new SGD({ lr: 1 }), { progress: 'none' })).rejects.toThrow(/no batches/);
  });

  it('formats the epoch line like the chapter', () => {
    expect(
      formatEpochLine({ epoch: 3, loss: 0.04123, accuracy: 0.98712, val_loss: 0.0301, val_accuracy: 0.9902, lr: 1e-3, seconds: 12.34, imgPerSec: 4870.4 }, 10),
    ).toBe('Epoch 3/10  train loss 0.0412 acc 98.71%  val loss 0.0301 acc 99.02%  lr 1.0e-3  12.3 s  4,870 img/s');
  });
});

describe('trainStep on the chapter networks', () => {
  it('MNISTNet overfits one tiny batch (eval loss falls) and ImprovedMNISTNet updates its running stats', async () => {
    // The JS cpu backend's conv backprop is slow (~1-3 s per step here), so: batch 2, 3 steps.
    const { mnistNet, improvedMnistNet } = await import('@cnn/models');
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 11);
    const y = tf.tensor1d([3, 7], 'int32');
    const model = mnistNet({ seed: 7 });
    const evalLoss = (): number => tf.tidy(() => softmaxCrossEntropy(model.predict(x) as tf.Tensor, y).dataSync()[0]);
    const before = evalLoss();
    expect(before).toBeGreaterThan(1.9); // ≈ ln 10 at PyTorch-style init
    const opt = new Adam({ lr: 2e-3 });
    for (let i = 0; i < 3; i++) expect(Number.isFinite((await trainStep(model, x, y, opt)).loss)).toBe(true);
    expect(evalLoss()).toBeLessThan(before * 0.8);

    const improved = improvedMnistNet({ seed: 7 });
    const runningMean = (): number[] => Array.from(improved.getLayer('bn1').getWeights()[2].dataSync());
    expect(runningMean().every((v) => v === 0)).toBe(true);
    const r = await trainStep(improved, x, y, new SGD({ lr: 0.01, momentum: 0.9 }));
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(runningMean().some((v) => v !== 0)).toBe(true);
    tf.dispose([x, y]);
  });
});

/** Flatten → dense(2): deterministic in training mode (no dropout). */
function linearNet(seed: number): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [6, 6, 1] }));
  m.add(tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  return m;
}

describe('soft labels (MixUp / CutMix) through trainStep, computeGradients and fit', () => {
  it('trains on [batch, numClasses] targets with batch ≠ numClasses, loss = soft cross-entropy', async () => {
    const model = linearNet(11);
    const x = tf.randomUniform([3, 6, 6, 1], 0, 1, 'float32', 12);
    const y = tf.tensor2d([
      [0.7, 0.3],
      [0.2, 0.8],
      [0.5, 0.5],
    ]);
    const expected = tf.tidy(() => softmaxCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y).dataSync()[0]);
    const logits = tf.tidy(() => Array.from(tf.argMax(model.apply(x, { training: true }) as tf.Tensor, 1).dataSync()));
    const r = await trainStep(model, x, y, new SGD({ lr: 0.1 }));
    expect(r.loss).toBeCloseTo(expected, 5);
    // correct counts the rows whose argmax logit is the soft label's argmax (ties: the first class)
    expect(r.correct).toBe([0, 1, 0].filter((c, i) => logits[i] === c).length);
    tf.dispose([x, y]);
  });

  it('counts correct against argmax(y) also when batch === numClasses', async () => {
    const model = linearNet(13);
    const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 14);
    const pred = tf.tidy(() => Array.from(tf.argMax(model.apply(x, { training: true }) as tf.Tensor, 1).dataSync()));
    const soft = [
      [0.9, 0.1],
      [0.9, 0.1],
    ]; // both rows say class 0
    const r = await trainStep(model, x, tf.tensor2d(soft), new SGD({ lr: 0 }));
    expect(r.correct).toBe(pred.filter((p) => p === 0).length);
    // fit with a loader yielding soft labels
    const batches = () =>
      [0, 1, 2].map((k) => ({
        x: tf.randomUniform([3, 6, 6, 1], 0, 1, 'float32', 20 + k),
        y: tf.tensor2d([
          [1, 0],
          [0.4, 0.6],
          [0.5, 0.5],
        ]),
      }));
    const h = await fit(model, { train: batches(), validation: batches(), epochs: 1, optimizer: new SGD({ lr: 0.1 }), log: () => {}, progress: 'none' });
    expect(Number.isFinite(h[0].loss) && Number.isFinite(h[0].val_loss)).toBe(true);
    tf.dispose(x);
  });
});
