/**
 * `CnnReluBiasGrad` (the contract with @cnn/models' fused Conv2D / Dense): `dz = dy · step(y)` and
 * `dbias = Σ dz` over every axis but the last, against those tf ops on the JS `cpu` backend, including zeros
 * and NaN in `y`; and its input checks.
 */
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import './index.js';
import { rand, relError, runOn } from './parity-helpers.js';

const CASES: number[][] = [
  [4, 6, 6, 32],
  [3, 5, 5, 13],
  [64, 128],
  [2, 3],
];

/** y: relu of seeded values (a third exactly 0), with a NaN planted at element 1. */
function inputs(shape: number[], seed: number): [tf.Tensor, tf.Tensor] {
  const dy = rand(shape, seed);
  const y = tf.tidy(() => {
    const v = tf
      .relu(rand(shape, seed + 1))
      .dataSync()
      .slice();
    v[1] = NaN;
    return tf.tensor(v, shape);
  });
  return [dy, y];
}

describe('CnnReluBiasGrad', () => {
  CASES.forEach((shape, i) => {
    it(`matches dy·step(y) and its channel sums: [${shape.join(', ')}]`, async () => {
      const axes = shape.map((_, k) => k).slice(0, -1);
      const ref = await runOn('cpu', () => {
        const [dy, y] = inputs(shape, 7 + i);
        const dz = tf.mul(dy, tf.step(y));
        return [dz, tf.sum(dz, axes)];
      });
      const got = await runOn('onednn', () => {
        const [dy, y] = inputs(shape, 7 + i);
        return tf.engine().runKernel('CnnReluBiasGrad', { dy, y }, {}) as tf.Tensor[];
      });
      expect(got.map((g) => g.shape)).toEqual([shape, [shape[shape.length - 1]]]);
      // NaN in y: both give NaN at element 1 of dz and in its channel's sum
      expect(Number.isNaN(got[0]!.data[1]!)).toBe(true);
      expect(Number.isNaN(got[1]!.data[1]!)).toBe(true);
      const finite = (a: Float32Array) => a.map((v) => (Number.isNaN(v) ? 0 : v));
      expect(relError(finite(got[0]!.data), finite(ref[0]!.data))).toBeLessThanOrEqual(1e-6);
      expect(relError(finite(got[1]!.data), finite(ref[1]!.data))).toBeLessThanOrEqual(1e-5);
    });
  });

  it('names the missing or mismatched input', async () => {
    await tf.setBackend('onednn');
    const dy = tf.ones([2, 3]);
    expect(() => tf.engine().runKernel('CnnReluBiasGrad', { dy }, {})).toThrow("CnnReluBiasGrad: input 'y' is required");
    expect(() => tf.engine().runKernel('CnnReluBiasGrad', { dy, y: tf.ones([2, 4]) }, {})).toThrow(
      "CnnReluBiasGrad: input 'y' has shape [2,4], expected 6 elements",
    );
    expect(() => tf.engine().runKernel('CnnReluBiasGrad', { dy: tf.ones([3]), y: tf.ones([3]) }, {})).toThrow(
      "CnnReluBiasGrad: input 'dy' must be non-empty with rank >= 2",
    );
  });
});
