/**
 * A NaN that reaches a fused relu stays NaN, as in tfjs (whose Relu is `x < 0 ? 0 : x`): oneDNN's relu post-op is
 * max(x, 0), which turns NaN into 0, so the direct convolution and the matmul fuse it only for finite operands
 * and otherwise apply a NaN-preserving relu after the primitive. Checked against the JS `cpu` backend on the
 * direct-convolution path (5x5 kernels: never Winograd) and on `_FusedMatMul`, with NaN and ±Infinity inputs;
 * finite inputs still fuse the relu (the primitive record). The same for the InferenceGraph's oneDNN
 * convolutions (NHWC and blocked layouts) and dense layers, with a NaN in the input or in the weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { getBinding } from './binding.js';
import { getPrimitiveImpls } from './info.js';
import './index.js';
import { type GraphOp, InferenceGraph, type InferenceGraphOptions } from './inference-graph.js';
import { rand, runOn, seeded } from './parity-helpers.js';

/** Same NaN positions and, elsewhere, values within 1e-4 relative to the cpu reference. */
function expectSameWithNaN(got: Float32Array, ref: Float32Array): void {
  let nans = 0;
  let scale = 1;
  for (const v of ref) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < ref.length; i++) {
    if (Number.isNaN(ref[i]!)) {
      nans++;
      expect(got[i], `element ${i}: cpu gives NaN`).toBeNaN();
    } else if (!Number.isFinite(ref[i]!)) {
      expect(got[i], `element ${i}`).toBe(ref[i]);
    } else {
      expect(Math.abs(got[i]! - ref[i]!) / scale, `element ${i}`).toBeLessThanOrEqual(1e-4);
    }
  }
  expect(nans, 'the case must produce NaN somewhere').toBeGreaterThan(0);
}

function withValues(t: tf.Tensor, at: Record<number, number>): tf.Tensor {
  const v = Float32Array.from(t.dataSync() as Float32Array);
  for (const [i, x] of Object.entries(at)) v[Number(i)] = x;
  return tf.tensor(v, t.shape, 'float32');
}

describe('fused relu keeps NaN (oneDNN post-op only for finite operands)', () => {
  it('FusedConv2D 5x5 relu (oneDNN direct) with NaN and Infinity input pixels matches cpu', async () => {
    const build = () => {
      const x = withValues(rand([2, 9, 9, 4], 1), { 0: NaN, 200: Infinity, 500: -Infinity });
      return [
        tf.fused.conv2d({ x: x as tf.Tensor4D, filter: rand([5, 5, 4, 6], 2) as tf.Tensor4D, bias: rand([6], 3), strides: 1, pad: 'same', activation: 'relu' }),
      ];
    };
    const [ref] = await runOn('cpu', build);
    const [got] = await runOn('onednn', build);
    expectSameWithNaN(got!.data, ref!.data);
  });

  it('_FusedMatMul relu with a NaN row matches cpu', async () => {
    const build = () => {
      const a = withValues(rand([5, 7], 4), { 8: NaN });
      return [tf.fused.matMul({ a: a as tf.Tensor2D, b: rand([7, 3], 5) as tf.Tensor2D, bias: rand([3], 6), activation: 'relu' })];
    };
    const [ref] = await runOn('cpu', build);
    const [got] = await runOn('onednn', build);
    expectSameWithNaN(got!.data, ref!.data);
  });

  it('finite operands still run the relu inside the oneDNN primitive; a NaN input runs it after', async () => {
    await tf.setBackend('onednn');
    const keyOf = (x: tf.Tensor): string => {
      getBinding().clearCache();
      tf.tidy(() =>
        tf.fused.conv2d({ x: x as tf.Tensor4D, filter: rand([5, 5, 2, 4], 8) as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu' }).dataSync(),
      );
      const keys = getPrimitiveImpls()
        .filter((p) => p.kernel === 'Conv2D')
        .map((p) => p.key);
      expect(keys).toHaveLength(1);
      return keys[0]!;
    };
    const finite = rand([1, 8, 8, 2], 7);
    const nan = withValues(finite, { 3: NaN });
    expect(keyOf(finite)).toMatch(/^conv_fwd:.*\|2$/); // flags: relu fused
    expect(keyOf(nan)).toMatch(/^conv_fwd:.*\|0$/); // flags: plain convolution, relu after
    tf.dispose([finite, nan]);
  });
});

describe('InferenceGraph: a fused relu keeps NaN', () => {
  const f32 = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

  /** The graph's output on `input` against `reference` on the JS cpu backend, NaN positions included. */
  async function expectGraphWithNaN(
    inputShape: [number, number, number],
    input: Float32Array,
    ops: GraphOp[],
    reference: (x: tf.Tensor4D) => tf.Tensor,
    options: InferenceGraphOptions,
  ): Promise<void> {
    await tf.setBackend('cpu');
    const batch = input.length / (inputShape[0] * inputShape[1] * inputShape[2]);
    const want = tf.tidy(() => f32(reference(tf.tensor4d(input, [batch, ...inputShape]))));
    const graph = new InferenceGraph(inputShape, ops, options);
    try {
      expectSameWithNaN(graph.run(input, batch), want);
    } finally {
      graph.dispose();
    }
  }

  it('conv2d + relu (oneDNN direct, NHWC and blocked layouts) with NaN and Infinity input pixels matches cpu', async () => {
    const [h, w, c] = [7, 6, 3];
    const k1 = rand([3, 3, c, 8], 11);
    const b1 = rand([8], 12);
    const k2 = rand([3, 3, 8, 8], 13);
    const input = seeded(2 * h * w * c, 14);
    input[(2 * w + 3) * c] = NaN; // image 0, pixel (2, 3)
    input[h * w * c + (5 * w + 1) * c + 2] = Infinity; // image 1, pixel (5, 1)
    input[h * w * c + 4] = -Infinity; // image 1, pixel (0, 1)
    const conv = (inputs: [number], filter: tf.Tensor, bias?: tf.Tensor): GraphOp => ({
      op: 'conv2d',
      inputs,
      filter: f32(filter),
      ...(bias ? { bias: f32(bias) } : {}),
      kernel: [3, 3],
      strides: [1, 1],
      dilations: [1, 1],
      pads: [1, 1, 1, 1],
      outChannels: 8,
      activation: 'relu',
    });
    const ops: GraphOp[] = [conv([0], k1, b1), conv([1], k2), { op: 'flatten', inputs: [2] }];
    const reference = (x: tf.Tensor4D) => {
      const y = tf.relu(tf.add(tf.conv2d(x, k1 as tf.Tensor4D, 1, 'same'), b1)) as tf.Tensor4D;
      return tf.relu(tf.conv2d(y, k2 as tf.Tensor4D, 1, 'same'));
    };
    // blocked: the first conv's 8 channels stay in oneDNN's blocked layout for the second; NHWC without.
    for (const blockedLayouts of [true, false]) {
      await expectGraphWithNaN([h, w, c], input, ops, reference, { winogradTile: 0, blockedLayouts });
    }
  });

  it('dense + relu with a NaN input feature, and with a NaN weight, matches cpu', async () => {
    const weights = rand([6, 5], 21);
    const bias = rand([5], 22);
    const input = seeded(3 * 6, 23);
    input[6 + 2] = NaN; // sample 1
    const dense = (w: Float32Array): GraphOp[] => [{ op: 'dense', inputs: [0], weights: w, bias: f32(bias), units: 5, activation: 'relu' }];
    await expectGraphWithNaN([1, 1, 6], input, dense(f32(weights)), (x) => tf.relu(tf.add(tf.matMul(tf.reshape(x, [3, 6]), weights as tf.Tensor2D), bias)), {});
    const nanWeights = Float32Array.from(f32(weights));
    nanWeights[3 * 5 + 1] = NaN; // feature 3 → unit 1: unit 1 is NaN for every sample
    const finiteInput = seeded(3 * 6, 24);
    await expectGraphWithNaN(
      [1, 1, 6],
      finiteInput,
      dense(nanWeights),
      (x) => tf.relu(tf.add(tf.matMul(tf.reshape(x, [3, 6]), tf.tensor2d(nanWeights, [6, 5])), bias)),
      {},
    );
  });
});
