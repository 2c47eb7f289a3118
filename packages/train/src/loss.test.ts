import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { softmaxCrossEntropy } from './loss';

const lse = (v: number[]): number => Math.log(v.reduce((s, x) => s + Math.exp(x), 0));

describe('softmaxCrossEntropy', () => {
  it('equals the hand-computed mean of -log softmax[label]', () => {
    const logits = tf.tensor2d([[1, 2, 3], [0.5, -1, 2]]);
    const labels = tf.tensor1d([2, 0], 'int32');
    const expected = ((lse([1, 2, 3]) - 3) + (lse([0.5, -1, 2]) - 0.5)) / 2;
    expect(softmaxCrossEntropy(logits, labels).dataSync()[0]).toBeCloseTo(expected, 6);
    // uniform logits → log(k)
    expect(softmaxCrossEntropy(tf.zeros([3, 4]), tf.tensor1d([0, 1, 3], 'int32')).dataSync()[0]).toBeCloseTo(Math.log(4), 6);
  });

  it('matches tf.losses.softmaxCrossEntropy, with and without label smoothing', () => {
    const logits = tf.randomNormal([8, 5], 0, 3, 'float32', 7);
    const labels = tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], 'int32');
    const onehot = tf.oneHot(labels, 5);
    for (const ls of [0, 0.1]) {
      const ours = softmaxCrossEntropy(logits, labels, { labelSmoothing: ls }).dataSync()[0];
      const ref = tf.losses.softmaxCrossEntropy(onehot, logits, undefined, ls).dataSync()[0];
      expect(Math.abs(ours - ref)).toBeLessThan(1e-5);
    }
    // label smoothing by hand on one row: (1-ε)·(-logp[y]) + ε/k·Σ(-logp)
    const row = [2, 0, -1];
    const logp = row.map((v) => v - lse(row));
    const eps = 0.2;
    const hand = -((1 - eps) * logp[0] + (eps / 3) * logp.reduce((a, b) => a + b, 0));
    expect(softmaxCrossEntropy(tf.tensor2d([row]), tf.tensor1d([0], 'int32'), { labelSmoothing: eps }).dataSync()[0]).toBeCloseTo(hand, 6);
  });

  it('accepts soft labels [batch, k]', () => {
    const row = [1, 3];
    const logp = row.map((v) => v - lse(row));
    const soft = tf.tensor2d([[0.25, 0.75]]);
    expect(softmaxCrossEntropy(tf.tensor2d([row]), soft).dataSync()[0]).toBeCloseTo(-(0.25 * logp[0] + 0.75 * logp[1]), 6);
  });

  it('is stable for huge logits', () => {
    const v = softmaxCrossEntropy(tf.tensor2d([[1000, 0], [0, -1000]]), tf.tensor1d([0, 0], 'int32')).dataSync()[0];
    expect(v).toBeCloseTo(0 / 2, 5);
    const w = softmaxCrossEntropy(tf.tensor2d([[1000, 0]]), tf.tensor1d([1], 'int32')).dataSync()[0];
    expect(w).toBeCloseTo(1000, 3);
  });

  it('rejects mismatched shapes and bad smoothing', () => {
    expect(() => softmaxCrossEntropy(tf.zeros([2, 3]), tf.tensor1d([0], 'int32'))).toThrow(/labels must have shape \[2\]/);
    expect(() => softmaxCrossEntropy(tf.zeros([2]), tf.tensor1d([0, 1], 'int32'))).toThrow(/rank 2/);
    expect(() => softmaxCrossEntropy(tf.zeros([1, 2]), tf.tensor1d([0], 'int32'), { labelSmoothing: 1 })).toThrow(/labelSmoothing/);
  });
});
