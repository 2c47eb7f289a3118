import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '@tensorflow/tfjs-layers'; // registers tfjs' gradients
import './index.js';
import { expectParity, rand, runOn } from './parity-helpers.js';

// Known answers and parity with the JS cpu kernels for the row-copy Slice and PadV2 (box.ts).
describe('Slice and PadV2 (row copies)', () => {
  it('known answer: slice of a 2x3x4 range', async () => {
    const [r] = await runOn('onednn', () => [tf.slice(tf.reshape(tf.range(0, 24), [2, 3, 4]), [1, 1, 2], [1, 2, 2])]);
    expect(Array.from(r!.data)).toEqual([18, 19, 22, 23]);
    expect(r!.shape).toEqual([1, 2, 2]);
  });
  it('known answer: pad of a 2x2 with 7', async () => {
    const [r] = await runOn('onednn', () => [
      tf.pad(
        tf.tensor2d([
          [1, 2],
          [3, 4],
        ]),
        [
          [1, 0],
          [0, 2],
        ],
        7,
      ),
    ]);
    expect(Array.from(r!.data)).toEqual([7, 7, 7, 7, 1, 2, 7, 7, 3, 4, 7, 7]);
  });
  const slices: [number[], number[], number[]][] = [
    [
      [4, 9, 9, 16],
      [0, 1, 1, 0],
      [4, 8, 8, 16],
    ], // the ZeroPadding2D gradient of NHWC maps
    [
      [2, 7, 5, 3],
      [1, 0, 2, 1],
      [1, -1, 3, 2],
    ],
    [[5], [2], [3]],
    [
      [3, 4],
      [0, 0],
      [3, 4],
    ],
    [
      [2, 3, 4, 5, 6],
      [1, 1, 0, 2, 3],
      [1, 2, 4, 2, 3],
    ],
  ];
  for (const [shape, begin, size] of slices) {
    it(`matches cpu: slice ${shape} at ${begin} size ${size}`, async () => {
      await expectParity(() => [tf.slice(rand(shape, 1), begin, size)], 0);
    });
  }
  const pads: [number[], [number, number][], number][] = [
    [
      [4, 8, 8, 16],
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
      0,
    ],
    [
      [2, 5, 3, 3],
      [
        [1, 0],
        [0, 2],
        [3, 1],
        [2, 0],
      ],
      -1.5,
    ],
    [[7], [[2, 3]], 4],
  ];
  for (const [shape, paddings, value] of pads) {
    it(`matches cpu: pad ${shape} by ${JSON.stringify(paddings)} with ${value}, and its gradient`, async () => {
      await expectParity(() => {
        const x = rand(shape, 2);
        const dy = rand(
          shape.map((d, a) => d + paddings[a]![0] + paddings[a]![1]),
          3,
        );
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.pad(t, paddings, value), dy)))(x);
        return [tf.pad(x, paddings, value), g];
      }, 0);
    });
  }
  it('keeps int32 on the JS kernel', async () => {
    const [r] = await runOn('onednn', () => [tf.slice(tf.tensor1d([1, 2, 3, 4], 'int32'), [1], [2])]);
    expect(Array.from(r!.data)).toEqual([2, 3]);
  });
});
