import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelEnsemble } from './ensemble.js';

beforeAll(() => tf.setBackend('cpu'));

/** A model that outputs `logits[i]` for input sample i (input `[n, 1, 1, 1]` holding i). */
function fixed(name: string, logits: number[][]): tfl.LayersModel {
  const m = tfl.sequential({ name });
  m.add(tfl.layers.flatten({ inputShape: [1, 1, 1] }));
  // one-hot of the sample index via an embedding-like dense: x = i → use a lookup table
  m.add(tfl.layers.dense({ units: logits.length, useBias: false, kernelInitializer: 'zeros', name: `${name}_sel` }));
  m.add(tfl.layers.dense({ units: logits[0].length, useBias: false, name: `${name}_out` }));
  const n = logits.length;
  // selector: row i of the identity through a 1-input dense needs x = 1 and a different model per sample,
  // so instead feed a one-hot input: we reshape below.
  m.getLayer(`${name}_sel`).setWeights([tf.ones([1, n])]);
  m.getLayer(`${name}_out`).setWeights([tf.tensor2d(logits.map((r) => r.map((v) => v / n)))]);
  return m;
}

describe('ModelEnsemble', () => {
  // each member returns the same logits for every input (x = 1): mean over the rows of its table == the row
  const a = () => fixed('a', [[4, 0, 0]]);
  const b = () => fixed('b', [[0, 1, 0]]);
  const c = () => fixed('c', [[0, 1.2, 0]]);
  const x = () => tf.ones([2, 1, 1, 1]);
  const softmax = (v: number[]): number[] => {
    const e = v.map(Math.exp);
    const s = e.reduce((p, q) => p + q, 0);
    return e.map((q) => q / s);
  };

  it('soft voting = weighted mean of member softmax (known answer)', () => {
    const ens = new ModelEnsemble([a(), b()], { weights: [3, 1] });
    const p = ens.predictProba(x()).arraySync()[0];
    const pa = softmax([4, 0, 0]);
    const pb = softmax([0, 1, 0]);
    pa.forEach((v, i) => expect(p[i]).toBeCloseTo(0.75 * v + 0.25 * pb[i], 6));
    expect(Array.from(ens.predict(x()).dataSync())).toEqual([0, 0]);
    ens.dispose();
  });

  it('hard voting counts argmax votes; weights change the winner', () => {
    const ens = new ModelEnsemble([a(), b(), c()], { voting: 'hard' });
    expect(
      ens
        .predictProba(x())
        .arraySync()[0]
        .map((v) => +v.toFixed(4)),
    ).toEqual([0.3333, 0.6667, 0]);
    expect(Array.from(ens.predict(x()).dataSync())).toEqual([1, 1]);
    const w = new ModelEnsemble(ens.members, { voting: 'hard', weights: [3, 1, 1] });
    expect(Array.from(w.predict(x()).dataSync())).toEqual([0, 0]);
    // soft voting of the same members prefers class 0 (softmax(4, 0, 0) is confident: mean p0 0.454 > p1 0.407)
    const soft = new ModelEnsemble(ens.members);
    expect(Array.from(soft.predict(x()).dataSync())).toEqual([0, 0]);
    ens.dispose();
  });

  it('evaluate reports ensemble and member accuracy and disposes batches', async () => {
    const ens = new ModelEnsemble([a(), b(), c()], { voting: 'hard', names: ['A', 'B', 'C'] });
    const before = tf.memory().numTensors;
    const r = await ens.evaluate([{ x: tf.ones([4, 1, 1, 1]), y: tf.tensor1d([1, 1, 1, 0], 'int32') }]);
    expect(r).toEqual({
      accuracy: 0.75,
      samples: 4,
      members: [
        { name: 'A', accuracy: 0.25 },
        { name: 'B', accuracy: 0.75 },
        { name: 'C', accuracy: 0.75 },
      ],
    });
    expect(tf.memory().numTensors).toBe(before);
    ens.dispose();
  });

  it('rejects bad options', () => {
    expect(() => new ModelEnsemble([])).toThrow(/non-empty/);
    const m = a();
    expect(() => new ModelEnsemble([m], { weights: [-1] })).toThrow(/weights must be 1 finite numbers >= 0/);
    expect(() => new ModelEnsemble([m], { weights: [0] })).toThrow(/not all be 0/);
    expect(() => new ModelEnsemble([m], { voting: 'max' as 'soft' })).toThrow(/voting must be 'soft' or 'hard'/);
    m.dispose();
  });
});
