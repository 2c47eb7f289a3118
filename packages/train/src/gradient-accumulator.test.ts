import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TrainError } from './errors.js';
import { GradientAccumulator } from './gradient-accumulator.js';

const values = (t: Record<string, tf.Tensor>): Record<string, number[]> => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Array.from(v.dataSync())]));

describe('GradientAccumulator', () => {
  it("'mean': the sample-weighted mean of the micro-batch gradients, full after `steps`, then reset", () => {
    const acc = new GradientAccumulator(2, 'mean');
    expect([acc.empty, acc.full, acc.count]).toEqual([true, false, 0]);
    const g1 = { w: tf.tensor1d([1, 2]) };
    const g2 = { w: tf.tensor1d([4, 8]) };
    acc.add(g1, 1, 0.5); // 1 sample
    acc.add(g2, 3, 1.0); // 3 samples
    expect([acc.full, acc.count, acc.samples]).toEqual([true, 2, 4]);
    expect(acc.meanLoss).toBeCloseTo((0.5 * 1 + 1.0 * 3) / 4, 12);
    const mean = acc.take();
    expect(values(mean)).toEqual({ w: [(1 * 1 + 4 * 3) / 4, (2 * 1 + 8 * 3) / 4] });
    expect([acc.empty, acc.count, acc.samples]).toEqual([true, 0, 0]);
    expect(Array.from(g1.w.dataSync())).toEqual([1, 2]); // the caller's gradients are untouched
    tf.dispose([g1.w, g2.w, mean.w]);
  });

  it("'sum': the plain sum (the gradient of the larger batch's summed loss)", () => {
    const acc = new GradientAccumulator(3, 'sum');
    const gs = [tf.tensor1d([1]), tf.tensor1d([2]), tf.tensor1d([4])];
    for (const g of gs) acc.add({ w: g }, 5, 0);
    const sum = acc.take();
    expect(values(sum)).toEqual({ w: [7] });
    tf.dispose([...gs, sum.w]);
  });

  it('holds no tensors after take or reset', () => {
    const before = tf.memory().numTensors;
    const acc = new GradientAccumulator(4);
    const g = tf.tensor1d([1, 1]);
    acc.add({ w: g }, 2, 0);
    acc.add({ w: g }, 2, 0);
    acc.reset();
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a bad steps count and an empty take, with codes', () => {
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        expect(TrainError.isInstance(e)).toBe(true);
        return (e as TrainError).code;
      }
      return undefined;
    };
    expect(codeOf(() => new GradientAccumulator(0))).toBe('ERR_CNN_INVALID_OPTION');
    expect(() => new GradientAccumulator(1.5)).toThrow('accumulateSteps must be an integer >= 1. Received: accumulateSteps=1.5');
    expect(codeOf(() => new GradientAccumulator(2).take())).toBe('ERR_CNN_BAD_STATE');
  });
});
