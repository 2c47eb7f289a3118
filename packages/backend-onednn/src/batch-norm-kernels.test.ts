/**
 * The fused batch-norm kernels `CnnBatchNormTrain` / `CnnBatchNormGrad` (the contract with @cnn/models'
 * `BatchNorm`): forward, statistics and every gradient against the tf-op formulation (`tf.moments` +
 * `tf.batchNorm`, differentiated by tfjs) on the JS `cpu` backend, ≤ 1e-4 relative, for NHWC conv activations
 * (CIFAR10Net-like channel counts, incl. a channel tail and a size large enough for the two-thread path) and
 * `[batch, features]`.
 */
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import './index.js';
import { rand, relError, runOn } from './parity-helpers.js';

const EPS = 1e-5;

/** Reference: training-mode batch norm with tf ops and its tfjs autodiff gradients (y, mean, var, dx, dγ, dβ). */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, w: tf.Tensor): tf.Tensor[] {
  const axes = x.shape.map((_, i) => i).slice(0, -1);
  const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(a, axes);
    return tf.batchNorm(a, mean, variance, b, g, EPS);
  };
  const { mean, variance } = tf.moments(x, axes);
  return [f(x, gamma, beta), mean, variance, ...tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), w)))([x, gamma, beta])];
}

/** The fused kernels, with dy = w (the gradient of Σ w·y with respect to y). */
function fused(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, w: tf.Tensor): tf.Tensor[] {
  const [y, mean, variance] = tf.engine().runKernel('CnnBatchNormTrain', { x, gamma, beta }, { epsilon: EPS }) as tf.Tensor[];
  const grads = tf.engine().runKernel('CnnBatchNormGrad', { dy: w, x, gamma, mean: mean!, variance: variance! }, { epsilon: EPS }) as tf.Tensor[];
  return [y!, mean!, variance!, ...grads];
}

const CASES: number[][] = [
  [8, 6, 6, 64],
  [4, 5, 5, 13],
  [128, 512],
  [3, 7],
  [16, 16, 16, 64],
];

describe('CnnBatchNormTrain / CnnBatchNormGrad', () => {
  for (const shape of CASES) {
    it(`matches moments + batchNorm and its gradients: ${shape.join('x')}`, async () => {
      const c = shape[shape.length - 1]!;
      const inputs = () => {
        // offset and scaled data so that E[x²] − mean² would show cancellation if it were done in float32
        const x = tf.add(tf.mul(rand(shape, 1), 4), 3);
        return [x, tf.add(rand([c], 2), 1), rand([c], 3), rand(shape, 4)] as const;
      };
      const ref = await runOn('cpu', () => reference(...inputs()));
      const got = await runOn('onednn', () => fused(...inputs()));
      expect(got.length).toBe(6);
      ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'].forEach((name, i) => {
        expect(got[i]!.shape, name).toEqual(ref[i]!.shape);
        expect(relError(got[i]!.data, ref[i]!.data), `${name} rel error`).toBeLessThanOrEqual(1e-4);
      });
    });
  }

  it('is registered for onednn only and rejects bad inputs with the kernel and input named', async () => {
    await tf.setBackend('onednn');
    expect(tf.getKernel('CnnBatchNormTrain', 'cpu')).toBeUndefined();
    expect(tf.getKernel('CnnBatchNormGrad', 'cpu')).toBeUndefined();
    tf.tidy(() => {
      const x = tf.ones([4, 3]);
      expect(() => tf.engine().runKernel('CnnBatchNormTrain', { x, gamma: tf.ones([2]), beta: tf.zeros([3]) }, { epsilon: EPS })).toThrow(
        /CnnBatchNormTrain: input 'gamma'/,
      );
      expect(() => tf.engine().runKernel('CnnBatchNormTrain', { x, gamma: tf.ones([3]), beta: tf.zeros([3]) }, {})).toThrow(
        /CnnBatchNormTrain: attr 'epsilon'/,
      );
      expect(() =>
        tf
          .engine()
          .runKernel('CnnBatchNormGrad', { dy: tf.ones([4, 2]), x, gamma: tf.ones([3]), mean: tf.zeros([3]), variance: tf.ones([3]) }, { epsilon: EPS }),
      ).toThrow(/CnnBatchNormGrad: input 'dy'/);
    });
  });

  it('leaks no tensors', async () => {
    await tf.setBackend('onednn');
    const x = rand([4, 4, 4, 8], 5);
    const g = tf.ones([8]);
    const b = tf.zeros([8]);
    tf.dispose(fused(x, g, b, x));
    const before = tf.memory().numTensors;
    tf.dispose(fused(x, g, b, x));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g, b]);
  });
});
