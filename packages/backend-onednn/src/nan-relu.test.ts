/**
 * A NaN that reaches a fused relu stays NaN, as in tfjs (whose Relu is `x < 0 ? 0 : x`): oneDNN's relu post-op is
 * max(x, 0), which turns NaN into 0, so the direct convolution and the matmul fuse it only for finite operands
 * and otherwise apply a NaN-preserving relu after the primitive. Checked against the JS `cpu` backend on the
 * direct-convolution path (5x5 kernels: never Winograd) and on `_FusedMatMul`, with NaN and ±Infinity inputs;
 * finite inputs still fuse the relu (the primitive record).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { getBinding } from './binding.js';
import { getPrimitiveImpls } from './info.js';
import './index.js';
import { rand, runOn } from './parity-helpers.js';

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
