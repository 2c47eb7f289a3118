import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '@cnn/backend-onednn';
import { airbenchTta, predictTta } from '@cnn/models';
import type { Batch } from '@cnn/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateWithTta } from './evaluate-tta.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** flatten([b, 3, 3, 1]) → dense(2) with a fixed kernel that is not mirror-symmetric, so views change the logits. */
function tinyModel(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [3, 3, 1] }));
  m.add(tfl.layers.dense({ units: 2, useBias: false }));
  const k = Array.from({ length: 18 }, (_, i) => Math.sin(i * 1.7) * (i % 3 === 0 ? 2 : 0.5));
  m.setWeights([tf.tensor2d(k, [9, 2])]);
  return m;
}

function data(n: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const xs = Array.from({ length: n * 9 }, (_, i) => Math.cos(i * 0.37) + (i % 5) * 0.1);
  const ys = Array.from({ length: n }, (_, i) => (i * 7) % 2);
  return { x: tf.tensor4d(xs, [n, 3, 3, 1]), y: tf.tensor1d(ys, 'int32') };
}

/** Mean softmax cross-entropy and accuracy of `[n, 2]` logits, in float64. */
function reference(logits: number[][], labels: number[]): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  logits.forEach((l, i) => {
    const m = Math.max(...l);
    const lse = m + Math.log(l.reduce((s, v) => s + Math.exp(v - m), 0));
    loss += lse - l[labels[i]!]!;
    if (l.indexOf(Math.max(...l)) === labels[i]) correct += 1;
  });
  return { loss: loss / labels.length, accuracy: correct / labels.length };
}

describe('evaluateWithTta', () => {
  it("gives predictTta's accuracy and loss with TTA and the plain model's without, batch by batch, without leaking", async () => {
    const model = tinyModel();
    const { x, y } = data(10);
    const tta = { ...airbenchTta(2), level: 2 };
    const labels = Array.from(y.dataSync());
    const withTta = reference(predictTta(model, x, tta).arraySync() as number[][], labels);
    const plain = reference((model.predict(x) as tf.Tensor).arraySync() as number[][], labels);
    expect(withTta.loss).not.toBeCloseTo(plain.loss, 3); // the views matter for this model
    const batches = (): Batch[] =>
      [0, 4, 8].map((s) => {
        const size = Math.min(4, 10 - s);
        return { x: tf.slice(x, [s, 0, 0, 0], [size, -1, -1, -1]), y: tf.slice(y, [s], [size]) };
      });
    const before = tf.memory().numTensors;
    const r = await evaluateWithTta(model, batches(), tta);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.samples).toBe(10);
    expect(r.accuracy).toBeCloseTo(withTta.accuracy, 12);
    expect(r.loss).toBeCloseTo(withTta.loss, 5);
    expect(r.noTta.accuracy).toBeCloseTo(plain.accuracy, 12);
    expect(r.noTta.loss).toBeCloseTo(plain.loss, 5);
    const lines: string[] = [];
    await evaluateWithTta(model, batches(), tta, { progress: 'lines', log: (l) => lines.push(l), logEvery: 2 });
    expect(lines.map((l) => l.split('  loss')[0])).toEqual(['Eval (TTA)  batch 2/3', 'Eval (TTA)  batch 3/3']);
    // views without the identity: the plain result is computed separately
    const flipOnly = await evaluateWithTta(model, batches(), { views: ['flip'], weights: [1] });
    expect(flipOnly.noTta.loss).toBeCloseTo(plain.loss, 5);
    expect(flipOnly.loss).not.toBeCloseTo(plain.loss, 3);
    await expect(evaluateWithTta(model, [], tta)).rejects.toThrow('evaluateWithTta: the loader yielded no batches');
    await expect(evaluateWithTta(model, batches(), { views: ['flip'], weights: [1, 2] })).rejects.toThrow(/weights must be 1 finite numbers/);
    tf.dispose([x, y]);
    model.dispose();
  });
});
