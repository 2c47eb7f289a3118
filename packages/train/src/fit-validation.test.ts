import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import type { Batch } from '@cnn/core';
import { LambdaCallback, type Logs } from './callback.js';
import { TrainError } from './errors.js';
import { fit, type BatchSource } from './loop.js';
import { CrossEntropyLoss } from './loss.js';
import { SGD } from './optimizers/sgd.js';
import { toyLoader } from './testing/toy.js';

/** A dense net whose weights are all zero: logits are 0, so the loss of any batch is ln 2 and argmax is class 0. */
function zeroNet(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [6, 6, 1] }));
  m.add(tfl.layers.dense({ units: 2, kernelInitializer: 'zeros', biasInitializer: 'zeros' }));
  return m;
}

/** `n` random images all labelled `label`, in batches of 2. */
function constantLabels(n: number, label: number): BatchSource {
  return {
    length: Math.ceil(n / 2),
    *[Symbol.iterator](): Iterator<Batch> {
      for (let i = 0; i < n; i += 2) {
        const k = Math.min(2, n - i);
        yield { x: tf.randomUniform([k, 6, 6, 1], 0, 1, 'float32', i + 1), y: tf.fill([k], label, 'int32') };
      }
    },
  };
}

const quiet = { log: () => {}, progress: 'none' as const };

describe('fit({ validation, test })', () => {
  it('val_* come from validation, test_* from test (history, callback logs, epoch lines)', async () => {
    const lines: string[] = [];
    const logs: Logs[] = [];
    const h = await fit(zeroNet(), {
      train: toyLoader(4, 2, 1),
      validation: constantLabels(4, 0), // argmax 0 everywhere: accuracy 1
      test: constantLabels(6, 1), // accuracy 0
      epochs: 2,
      optimizer: new SGD({ lr: 0 }), // the weights stay zero
      callbacks: [new LambdaCallback({ onEpochEnd: (_e, l) => void logs.push(l) })],
      log: (l) => lines.push(l),
      progress: 'none',
    });
    expect(h).toHaveLength(2);
    for (const e of h) {
      expect(e.val_loss).toBeCloseTo(Math.LN2, 6);
      expect(e.val_accuracy).toBe(1);
      expect(e.test_loss).toBeCloseTo(Math.LN2, 6);
      expect(e.test_accuracy).toBe(0);
      expect(e.evaluated).toBeUndefined();
    }
    expect(logs[1]).toMatchObject({ val_accuracy: 1, test_accuracy: 0 });
    expect(logs[1].val_loss).toBeCloseTo(Math.LN2, 6);
    expect(lines.filter((l) => l.startsWith('Epoch 2/2'))[0]).toMatch(/ {2}val loss 0\.6931 acc 100\.00% {2}test loss 0\.6931 acc 0\.00% {2}lr /);
  });

  it('without validation there are no val_* keys; without either no evaluation', async () => {
    const onlyTest = await fit(zeroNet(), { train: toyLoader(4, 2, 1), test: constantLabels(2, 1), epochs: 1, optimizer: new SGD({ lr: 0 }), ...quiet });
    expect('val_loss' in onlyTest[0]).toBe(false);
    expect(onlyTest[0].test_accuracy).toBe(0);
    const none = await fit(zeroNet(), { train: toyLoader(4, 2, 1), epochs: 1, optimizer: new SGD({ lr: 0 }), ...quiet });
    expect(Object.keys(none[0]).filter((k) => k.startsWith('val_') || k.startsWith('test_'))).toEqual([]);
    expect(none[0].evaluated).toBeUndefined();
  });

  it('evalEvery applies to both: skipped epochs hold NaN and evaluated: false, logs have neither', async () => {
    const logs: Logs[] = [];
    const h = await fit(zeroNet(), {
      train: toyLoader(4, 2, 1),
      validation: constantLabels(2, 0),
      test: constantLabels(2, 1),
      epochs: 2,
      evalEvery: 2,
      optimizer: new SGD({ lr: 0 }),
      callbacks: [new LambdaCallback({ onEpochEnd: (_e, l) => void logs.push(l) })],
      ...quiet,
    });
    expect(h[0]).toMatchObject({ evaluated: false, val_loss: Number.NaN, test_accuracy: Number.NaN });
    expect(h[1]).toMatchObject({ val_accuracy: 1, test_accuracy: 0 });
    expect(Object.keys(logs[0]).filter((k) => k.startsWith('val_') || k.startsWith('test_'))).toEqual([]);
  });

  it('the loss object: label smoothing gives the loss of CrossEntropyLoss(label_smoothing) (known values)', async () => {
    // constant logits [1, 0] on every image, all labels 0, lr 0: −log softmax = [log(1+e⁻¹), log(1+e)]
    const run = (loss?: CrossEntropyLoss) => {
      const m = zeroNet();
      m.layers[1].setWeights([tf.zeros([36, 2]), tf.tensor1d([1, 0])]);
      return fit(m, { train: constantLabels(4, 0), epochs: 1, optimizer: new SGD({ lr: 0 }), ...(loss ? { loss } : {}), ...quiet });
    };
    const a = Math.log1p(Math.exp(-1));
    const b = Math.log1p(Math.E);
    expect((await run())[0].loss).toBeCloseTo(a, 6);
    expect((await run(new CrossEntropyLoss()))[0].loss).toBeCloseTo(a, 6);
    // target (1 − ε)·onehot + ε/2 = [0.9, 0.1]
    expect((await run(new CrossEntropyLoss({ labelSmoothing: 0.2 })))[0].loss).toBeCloseTo(0.9 * a + 0.1 * b, 6);
    // 'sum' differentiates the batch sum, but the reported loss stays the per-sample mean
    expect((await run(new CrossEntropyLoss({ reduction: 'sum' })))[0].loss).toBeCloseTo(a, 6);
  });

  it('refuses the removed labelSmoothing / reduction options and a bad loss, with codes', async () => {
    const base = { train: toyLoader(4, 2, 1), epochs: 1, optimizer: new SGD({ lr: 0 }), ...quiet };
    const codeOf = async (p: Promise<unknown>): Promise<string> => {
      const e = await p.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(TrainError.isInstance(e)).toBe(true);
      return (e as TrainError).code;
    };
    expect(await codeOf(fit(zeroNet(), { ...base, labelSmoothing: 0.1 } as never))).toBe('ERR_CNN_INVALID_OPTION');
    await expect(fit(zeroNet(), { ...base, reduction: 'sum' } as never)).rejects.toThrow(/pass loss: new CrossEntropyLoss\(\{ reduction \}\)/);
    expect(await codeOf(fit(zeroNet(), { ...base, loss: { labelSmoothing: 0.1 } } as never))).toBe('ERR_CNN_INVALID_OPTION');
    expect(await codeOf(fit(zeroNet(), { ...base, validation: 3 } as never))).toBe('ERR_CNN_INVALID_OPTION');
    expect(() => new CrossEntropyLoss({ labelSmoothing: 1 })).toThrow(/labelSmoothing must be in \[0, 1\)/);
    expect(() => new CrossEntropyLoss({ reduction: 'max' as never })).toThrow(/Received: reduction=max/);
  });
});
