import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients
import { describe, expect, it } from 'vitest';

import './index.js';
import { rand } from './parity-helpers.js';

describe('no tensor leaks', () => {
  it('numTensors is stable over repeated conv/pool/dense grad steps', async () => {
    await tf.setBackend('onednn');
    const w1 = tf.variable(rand([5, 5, 1, 4], 1));
    const b1 = tf.variable(rand([4], 2));
    const w2 = tf.variable(rand([36 * 4, 10], 3));
    const x = rand([8, 16, 16, 1], 4);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    const opt = tf.train.adam(1e-2);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => {
        const h = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w1 as tf.Tensor4D, bias: b1, strides: 1, pad: 'valid', activation: 'relu' });
        const p = tf.avgPool(tf.maxPool(h, 2, 2, 'valid'), 1, 1, 'valid');
        const logits = tf.matMul(tf.reshape(p, [8, 36 * 4]), w2);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      });
      opt.applyGradients(grads as tf.NamedTensorMap as Parameters<typeof opt.applyGradients>[0]);
      const loss = value.dataSync()[0]!;
      tf.dispose([value, grads]);
      return loss;
    };
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 10; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first); // it also learns
    tf.dispose([w1, b1, w2, x, labels]);
    opt.dispose();
  });
});
