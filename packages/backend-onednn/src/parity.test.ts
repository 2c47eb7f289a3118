/**
 * Parity of every native kernel with tfjs' JS `cpu` backend, forward and through tf.grads. Error measure:
 * `max|onednn - cpu| / max(1, max|cpu|)` per output, tolerance 1e-4.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

// tfjs-core's CJS entry registers no gradients; tfjs-layers' node bundle registers them all.
import '@tensorflow/tfjs-layers';

import './index.js';
import { expectParity, rand, seeded } from './parity-helpers.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  x: [number, number, number, number];
  f: [number, number, number, number];
  stride: number | [number, number];
  pad: Pad;
  dilation?: number;
}

const convCases: ConvCase[] = [
  { x: [1, 5, 5, 1], f: [3, 3, 1, 1], stride: 1, pad: 'valid' },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { x: [3, 9, 9, 2], f: [3, 5, 2, 3], stride: 1, pad: 'same' },
  { x: [2, 9, 7, 4], f: [5, 3, 4, 2], stride: 2, pad: 'valid' },
  { x: [1, 6, 6, 8], f: [1, 1, 8, 16], stride: 1, pad: 'valid' },
  { x: [2, 10, 10, 1], f: [5, 5, 1, 8], stride: 1, pad: 'valid' },
  { x: [2, 12, 12, 16], f: [5, 5, 16, 8], stride: 1, pad: 'valid' },
  {
    x: [2, 8, 8, 3],
    f: [3, 3, 3, 5],
    stride: 1,
    pad: [
      [0, 0],
      [1, 2],
      [2, 1],
      [0, 0],
    ],
  },
  {
    x: [2, 9, 9, 4],
    f: [3, 3, 4, 4],
    stride: 2,
    pad: [
      [0, 0],
      [1, 1],
      [0, 2],
      [0, 0],
    ],
  },
  { x: [4, 6, 6, 32], f: [3, 3, 32, 1], stride: 1, pad: 'same' },
  { x: [1, 7, 7, 2], f: [2, 2, 2, 3], stride: 2, pad: 'same' },
  { x: [2, 13, 13, 3], f: [4, 4, 3, 2], stride: 3, pad: 'valid' },
  { x: [2, 5, 5, 64], f: [3, 3, 64, 32], stride: 1, pad: 'same' },
  { x: [2, 6, 9, 3], f: [3, 3, 3, 8], stride: [1, 2], pad: 'same' },
  { x: [3, 28, 28, 1], f: [3, 3, 1, 32], stride: 1, pad: 'same' },
];

// tfjs has no conv gradients for dilation > 1, so dilated cases check the forward pass only.
const dilatedCases: ConvCase[] = [
  { x: [2, 9, 9, 3], f: [3, 3, 3, 4], stride: 1, pad: 'valid', dilation: 2 },
  { x: [1, 11, 11, 2], f: [3, 3, 2, 3], stride: 1, pad: 'same', dilation: 2 },
  { x: [2, 10, 8, 4], f: [2, 3, 4, 2], stride: 1, pad: 'same', dilation: 2 },
];

function label(c: ConvCase): string {
  return `x${c.x.join('x')} f${c.f.join('x')} s${String(c.stride)} ${JSON.stringify(c.pad)} d${c.dilation ?? 1}`;
}

describe('Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter', () => {
  convCases.forEach((c, i) => {
    it(`conv2d fwd + dx + dw: ${label(c)}`, async () => {
      await expectParity(() => {
        const x = rand(c.x, 11 + i);
        const w = rand(c.f, 23 + i);
        const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad);
        const r = rand(y.shape, 37 + i);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)))([x, w]);
        return [y, dx!, dw!];
      });
    });
  });
  dilatedCases.forEach((c, i) => {
    it(`conv2d dilated fwd: ${label(c)}`, async () => {
      await expectParity(() => [tf.conv2d(rand(c.x, 5 + i) as tf.Tensor4D, rand(c.f, 7 + i) as tf.Tensor4D, c.stride, c.pad as 'same', 'NHWC', c.dilation)]);
    });
  });
});

describe('FusedConv2D (bias + relu/linear) and its gradients', () => {
  const fusedCases: (ConvCase & { activation: 'relu' | 'linear' })[] = [
    { ...convCases[1]!, activation: 'relu' },
    { ...convCases[2]!, activation: 'relu' },
    { ...convCases[3]!, activation: 'linear' },
    { ...convCases[6]!, activation: 'relu' },
    { ...convCases[7]!, activation: 'relu' },
    { ...convCases[8]!, activation: 'linear' },
    { ...convCases[13]!, activation: 'relu' },
  ];
  fusedCases.forEach((c, i) => {
    it(`fused conv2d ${c.activation} fwd + dx + dw + dbias: ${label(c)}`, async () => {
      await expectParity(() => {
        const x = rand(c.x, 101 + i);
        const w = rand(c.f, 103 + i);
        const b = rand([c.f[3]], 107 + i);
        const f = (a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
          tf.fused.conv2d({
            x: a as tf.Tensor4D,
            filter: ww as tf.Tensor4D,
            bias: bb,
            strides: c.stride,
            pad: c.pad,
            activation: c.activation,
          });
        const y = f(x, w, b);
        const r = rand(y.shape, 109 + i);
        const grads = tf.grads((a: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(a, ww, bb), r)))([x, w, b]);
        return [y, ...grads];
      });
    });
  });
  it('falls back to the JS kernel for elu activation (still correct)', async () => {
    await expectParity(() => [
      tf.fused.conv2d({
        x: rand([1, 5, 5, 2], 1) as tf.Tensor4D,
        filter: rand([3, 3, 2, 2], 2) as tf.Tensor4D,
        bias: rand([2], 3),
        strides: 1,
        pad: 'same',
        activation: 'elu',
      }),
    ]);
  });
});

describe('MaxPool / AvgPool and their gradients', () => {
  const poolCases: { x: [number, number, number, number]; size: number | [number, number]; stride: number | [number, number]; pad: 'same' | 'valid' }[] = [
    { x: [1, 4, 4, 1], size: 2, stride: 2, pad: 'valid' },
    { x: [2, 5, 5, 3], size: 2, stride: 2, pad: 'same' },
    { x: [2, 6, 6, 4], size: 3, stride: 1, pad: 'valid' },
    { x: [2, 7, 7, 2], size: 3, stride: 2, pad: 'same' },
    { x: [1, 9, 9, 8], size: 3, stride: 3, pad: 'valid' },
    { x: [2, 6, 5, 3], size: 2, stride: 1, pad: 'same' },
    { x: [2, 9, 8, 2], size: [2, 3], stride: [1, 2], pad: 'same' },
    { x: [3, 24, 24, 32], size: 2, stride: 2, pad: 'valid' },
  ];
  poolCases.forEach((c, i) => {
    for (const kind of ['max', 'avg'] as const) {
      it(`${kind}Pool fwd + dx: x${c.x.join('x')} k${String(c.size)} s${String(c.stride)} ${c.pad}`, async () => {
        await expectParity(() => {
          const op = (a: tf.Tensor) => (kind === 'max' ? tf.maxPool : tf.avgPool)(a as tf.Tensor4D, c.size, c.stride, c.pad);
          const x = rand(c.x, 201 + i);
          const y = op(x);
          const r = rand(y.shape, 211 + i);
          return [y, tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a), r)))(x)];
        });
      });
    }
  });
  it('maxPool gradient routes ties to the first maximum like tfjs', async () => {
    // Values from {0, 1, 2}: most windows hold several equal maxima.
    const values = seeded(2 * 6 * 6 * 3, 5).map((v) => Math.floor((v + 1) * 1.5));
    for (const [size, stride, pad] of [
      [2, 2, 'valid'],
      [3, 1, 'same'],
      [3, 2, 'same'],
    ] as const) {
      await expectParity(() => {
        const x = tf.tensor4d(values, [2, 6, 6, 3]);
        const op = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, size, stride, pad);
        const r = rand(op(x).shape, 9);
        return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a), r)))(x)];
      });
    }
  });
  it('2x2 maxPool gradient (vectorised path): ties, NaN, -Infinity, odd sizes, channel tails', async () => {
    // 7 channels = one 4-lane block + a 3-channel tail; 7x7 'valid' leaves a row and a column uncovered.
    const shape: [number, number, number, number] = [2, 7, 7, 7];
    const values = seeded(2 * 7 * 7 * 7, 6).map((v, i) => (i % 37 === 0 ? NaN : i % 41 === 0 ? -Infinity : Math.floor((v + 1) * 1.5)));
    for (const pad of ['valid', 'same'] as const) {
      await expectParity(() => {
        const x = tf.tensor4d(values, shape);
        const op = (a: tf.Tensor) => tf.maxPool(a as tf.Tensor4D, 2, 2, pad);
        const r = rand(op(x).shape, 9);
        return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a), r)))(x)];
      });
    }
  });
});

describe('BatchMatMul / _FusedMatMul and their gradients', () => {
  const cases: { a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [
    { a: [3, 4], b: [4, 5], tA: false, tB: false },
    { a: [4, 3], b: [4, 5], tA: true, tB: false },
    { a: [3, 4], b: [5, 4], tA: false, tB: true },
    { a: [4, 3], b: [5, 4], tA: true, tB: true },
    { a: [1, 7], b: [7, 1], tA: false, tB: false },
    { a: [2, 3, 4], b: [2, 4, 5], tA: false, tB: false },
    { a: [2, 4, 3], b: [2, 5, 4], tA: true, tB: true },
    { a: [64, 1024], b: [1024, 128], tA: false, tB: false },
  ];
  cases.forEach((c, i) => {
    it(`matMul fwd + da + db: a${c.a.join('x')}${c.tA ? 'ᵀ' : ''} b${c.b.join('x')}${c.tB ? 'ᵀ' : ''}`, async () => {
      await expectParity(() => {
        const a = rand(c.a, 301 + i);
        const b = rand(c.b, 307 + i);
        const y = tf.matMul(a, b, c.tA, c.tB);
        const r = rand(y.shape, 311 + i);
        const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, c.tA, c.tB), r)))([a, b]);
        return [y, da!, db!];
      });
    });
  });
  // tfjs' BatchMatMul gradient does not reduce broadcast batch dims, so broadcasting is checked forward only.
  const broadcast: { a: number[]; b: number[]; tA: boolean; tB: boolean }[] = [
    { a: [3, 3, 4], b: [4, 6], tA: false, tB: false },
    { a: [1, 3, 4], b: [2, 4, 5], tA: false, tB: false },
    { a: [2, 4, 3], b: [1, 5, 4], tA: true, tB: true },
  ];
  broadcast.forEach((c, i) => {
    it(`matMul broadcast fwd: a${c.a.join('x')} b${c.b.join('x')} tA=${c.tA} tB=${c.tB}`, async () => {
      await expectParity(() => [tf.matMul(rand(c.a, 501 + i), rand(c.b, 503 + i), c.tA, c.tB)]);
    });
  });
  const fused: { a: number[]; b: number[]; tA: boolean; tB: boolean; act: 'relu' | 'linear' }[] = [
    { a: [5, 6], b: [6, 7], tA: false, tB: false, act: 'relu' },
    { a: [6, 5], b: [7, 6], tA: true, tB: true, act: 'relu' },
    { a: [8, 16], b: [16, 10], tA: false, tB: false, act: 'linear' },
    { a: [2, 3, 4], b: [2, 4, 5], tA: false, tB: false, act: 'relu' },
  ];
  fused.forEach((c, i) => {
    it(`fused matMul ${c.act} + bias fwd + grads: a${c.a.join('x')} b${c.b.join('x')} tA=${c.tA} tB=${c.tB}`, async () => {
      await expectParity(() => {
        const a = rand(c.a, 401 + i);
        const b = rand(c.b, 409 + i);
        const n = c.tB ? c.b[c.b.length - 2]! : c.b[c.b.length - 1]!;
        const bias = rand([n], 419 + i);
        const f = (p: tf.Tensor, q: tf.Tensor, s: tf.Tensor) =>
          tf.fused.matMul({
            a: p,
            b: q,
            bias: s,
            transposeA: c.tA,
            transposeB: c.tB,
            activation: c.act,
          });
        const y = f(a, b, bias);
        const r = rand(y.shape, 421 + i);
        return [y, ...tf.grads((p: tf.Tensor, q: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(f(p, q, s), r)))([a, b, bias])];
      });
    });
  });
});

describe('elementwise and reductions', () => {
  const big = [4, 16, 16, 8];
  it('Add/Sub/Multiply/RealDiv: same shape, row broadcast, scalar', async () => {
    await expectParity(() => {
      const a = rand(big, 1);
      const b = tf.add(rand(big, 2), 3);
      const row = tf.add(rand([8], 3), 2);
      const s = tf.scalar(1.7);
      return [
        tf.add(a, b),
        tf.sub(a, b),
        tf.mul(a, b),
        tf.div(a, b),
        tf.add(a, row),
        tf.sub(row, a),
        tf.mul(a, row),
        tf.div(a, row),
        tf.div(row, b),
        tf.mul(a, s),
        tf.sub(s, a),
        tf.div(a, s),
      ];
    });
  });
  it('general broadcasts ([b,h,w,c] ⊙ [b,1,1,1], [b,1,1,c], [b,h,w,1], [h,w,c], [1,h,1,c]) for all binary ops', async () => {
    await expectParity(() => {
      const a = tf.add(rand(big, 31), 2);
      const others = [
        [4, 1, 1, 1],
        [4, 1, 1, 8],
        [4, 16, 16, 1],
        [16, 16, 8],
        [1, 16, 1, 8],
        [4, 1, 16, 1],
      ].map((shape, i) => tf.add(rand(shape, 40 + i), 2));
      const outs: tf.Tensor[] = [];
      for (const b of others) {
        outs.push(tf.add(a, b), tf.sub(b, a), tf.mul(a, b), tf.div(a, b), tf.div(b, a), tf.maximum(a, b), tf.minimum(b, a), tf.squaredDifference(a, b));
      }
      return outs;
    });
  });
  it('small operands (below 4,096 elements) and the loss-sized broadcasts [64,1] ⊙ [64,10]', async () => {
    await expectParity(() => {
      const col = tf.add(rand([64, 1], 61), 2);
      const m = tf.add(rand([64, 10], 62), 2);
      const v = rand([64], 63);
      return [tf.mul(col, m), tf.sub(m, col), tf.div(m, col), tf.add(v, v), tf.mul(tf.scalar(3), v), tf.maximum(col, m), tf.squaredDifference(m, col)];
    });
  });
  it('GreaterEqual: same shape, scalar either side, NaN compares false, general broadcast (JS kernel)', async () => {
    await expectParity(() => {
      const a = rand([8, 128], 71);
      const b = rand([8, 128], 72);
      const withNaN = tf.where(tf.greater(a, 0.9), tf.fill([8, 128], NaN), a);
      const f = (t: tf.Tensor) => tf.cast(t, 'float32');
      return [
        f(tf.greaterEqual(a, b)),
        f(tf.greaterEqual(a, 0.5)),
        f(tf.greaterEqual(tf.scalar(0.1), a)),
        f(tf.greaterEqual(withNaN, 0)),
        f(tf.greaterEqual(a, rand([128], 73))),
        f(tf.greaterEqual(a, a)),
      ];
    });
  });
  it('Maximum/Minimum/SquaredDifference (same shape, row, scalar; NaN propagates) and ClipByValue (NaN kept)', async () => {
    await expectParity(() => {
      const a = rand(big, 50);
      const b = rand(big, 51);
      const row = rand([8], 52);
      const withNaN = tf.where(tf.greater(a, 0.9), tf.fill(big, NaN), a);
      // NaN positions as a 0/1 mask, other values as they are (relError counts NaN as a failure)
      const split = (t: tf.Tensor) => [tf.cast(tf.isNaN(t), 'float32'), tf.where(tf.isNaN(t), tf.zerosLike(t), t)];
      return [
        tf.maximum(a, b),
        tf.minimum(a, b),
        tf.squaredDifference(a, b),
        tf.maximum(a, row),
        tf.minimum(row, a),
        tf.maximum(a, tf.scalar(0.25)),
        ...split(tf.maximum(withNaN, b)),
        ...split(tf.minimum(b, withNaN)),
        tf.clipByValue(tf.mul(a, 2), -0.5, 0.75),
        ...split(tf.clipByValue(withNaN, 0, 1)),
        ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.maximum(p, q), tf.clipByValue(q, -0.3, 0.3))))([a, b]),
      ];
    });
  });
  it('GatherV2: axis 0 / 1 / last, batchDims 1 (augment crops), slices of 1, 3 and 8, and its gradient', async () => {
    await expectParity(() => {
      const x = rand([4, 64, 3], 60);
      const idx = tf.tensor2d(
        Int32Array.from({ length: 4 * 50 }, (_, i) => (i * 37) % 64),
        [4, 50],
        'int32',
      );
      const y = rand([6, 5, 8], 61);
      const rows = tf.tensor1d([5, 0, 0, 3, 1], 'int32');
      return [
        tf.gather(x, idx, 1, 1),
        tf.gather(y, rows, 0),
        tf.gather(y, tf.tensor1d([4, 4, 2], 'int32'), 1),
        tf.gather(y, tf.tensor1d([7, 0], 'int32'), 2),
        tf.gather(tf.reshape(x, [4, 192]), idx, 1, 1),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.gather(a, rows, 0), tf.gather(y, rows, 0))))(y),
      ];
    });
  });
  it("GatherV2 rejects out-of-range indices with tfjs' message", async () => {
    await tf.setBackend('onednn');
    tf.tidy(() => {
      expect(() => tf.gather(rand([4, 3], 62), tf.tensor1d([0, 4], 'int32'))).toThrow(/GatherV2: the index value 4/);
    });
  });
  it('Relu and its gradient (Step * dy), incl. zeros', async () => {
    await expectParity(() => {
      const x = tf.relu(rand(big, 4)); // half the entries exactly 0
      const y = tf.sub(x, 0.25);
      const r = rand(big, 5);
      return [tf.relu(y), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), r)))(y), tf.step(y, 0.3)];
    });
  });
  it('Sum over leading axes, trailing axes, keepDims, all axes', async () => {
    await expectParity(() => {
      const x = rand([6, 12, 12, 16], 6);
      return [tf.sum(x, [0, 1, 2]), tf.sum(x, [2, 3]), tf.sum(x, [0, 1], true), tf.sum(x), tf.sum(x, 3), tf.sum(x, [1, 2])];
    });
  });
});

describe('BatchNorm path: Mean, Tile, FusedBatchNorm, Square', () => {
  it('Mean over leading axes, trailing axes, keepDims, all axes, plus int32 / middle-axis fallbacks', async () => {
    await expectParity(() => {
      const x = tf.add(rand([6, 12, 12, 16], 7), 0.5);
      const xi = tf.tensor(
        [
          [1, 2, 3],
          [4, 5, 7],
        ],
        [2, 3],
        'int32',
      );
      return [
        tf.mean(x, [0, 1, 2]),
        tf.mean(x, [2, 3]),
        tf.mean(x, [0, 1], true),
        tf.mean(x),
        tf.mean(x, 3),
        tf.mean(x, [1, 2]),
        tf.mean(xi, 0),
        tf.moments(x, [0, 1, 2]).variance,
      ];
    });
  });
  it('Tile: whole-input repeats (BatchNorm gradient pattern, axis 0) and a general fallback', async () => {
    await expectParity(() => {
      const row = rand([1, 1, 1, 5], 8);
      const m = rand([2, 3], 9);
      return [
        tf.tile(row, [3, 4, 2, 1]),
        tf.tile(m, [4, 1]),
        tf.tile(m, [2, 3]),
        tf.tile(rand([1, 2, 3], 10), [2, 1, 1]),
        tf.tile(rand([1, 2, 3], 10), [1, 1, 1]),
      ];
    });
  });
  it('FusedBatchNorm forward (per-channel, scalar, absent scale/offset; 2-D and 4-D) and its gradients', async () => {
    await expectParity(() => {
      const x = rand([4, 6, 6, 8], 11);
      const x2 = rand([10, 8], 12);
      const mean = rand([8], 13);
      const variance = tf.add(tf.abs(rand([8], 14)), 0.1);
      const gamma = tf.add(rand([8], 15), 1);
      const beta = rand([8], 16);
      const r = rand([4, 6, 6, 8], 17);
      const bn = (a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.batchNorm(a, m, v, b, g, 1e-5);
      const grads = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(bn(a, m, v, g, b), r)))([
        x,
        mean,
        variance,
        gamma,
        beta,
      ]);
      return [
        bn(x, mean, variance, gamma, beta),
        tf.batchNorm(x2, mean, variance),
        tf.batchNorm(x, tf.scalar(0.2), tf.scalar(1.5), tf.scalar(0.1), tf.scalar(2)),
        ...grads,
      ];
    });
  });
  it('training-mode batch normalisation as a network uses it: moments + batchNorm, gradients to x, gamma, beta', async () => {
    await expectParity(() => {
      const x = tf.mul(rand([8, 5, 5, 12], 18), 3);
      const gamma = tf.add(rand([12], 19), 1);
      const beta = rand([12], 20);
      const r = rand([8, 5, 5, 12], 21);
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, [0, 1, 2]);
        return tf.batchNorm(a, mean, variance, b, g, 1e-5);
      };
      return [f(x, gamma, beta), ...tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, g, b), r)))([x, gamma, beta])];
    });
  });
  it('Square and its gradient', async () => {
    await expectParity(() => {
      const x = rand([4, 16, 16, 8], 22);
      return [tf.square(x), tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.square(a), x)))(x)];
    });
  });
});
