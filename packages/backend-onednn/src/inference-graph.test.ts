/**
 * InferenceGraph: every op against the same computation in tf ops on the JS `cpu` backend (≤ 1e-5 relative),
 * buffer reuse across a long chain, several batch sizes on one graph, and the errors for bad descriptions.
 */
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import './index.js';
import { getConvAlgorithm, setConvAlgorithm } from './info.js';
import { type GraphOp, InferenceGraph, type InferenceGraphOptions } from './inference-graph.js';
import { rand, relError, seeded } from './parity-helpers.js';

/** Runs `reference` (tf ops on x `[batch, ...inputShape]`) on cpu and the graph on the same x. */
async function expectGraph(
  inputShape: [number, number, number],
  ops: GraphOp[],
  batch: number,
  reference: (x: tf.Tensor4D) => tf.Tensor,
  options: InferenceGraphOptions = {},
  tol = 1e-5,
): Promise<InferenceGraph> {
  await tf.setBackend('cpu');
  const input = seeded(batch * inputShape[0] * inputShape[1] * inputShape[2], 5 + batch);
  const want = tf.tidy(() => reference(tf.tensor4d(input, [batch, ...inputShape])).dataSync() as Float32Array);
  const graph = new InferenceGraph(inputShape, ops, options);
  const got = graph.run(input, batch);
  expect(got.length).toBe(want.length);
  expect(relError(got, want)).toBeLessThanOrEqual(tol);
  return graph;
}

const f32 = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;

describe('InferenceGraph ops match tf ops', () => {
  it('conv2d (explicit asymmetric pads, stride 2, dilation, relu; the Winograd path at 64 channels)', async () => {
    const w1 = rand([3, 5, 3, 4], 1);
    const b1 = rand([4], 2);
    const w2 = rand([3, 3, 4, 6], 3);
    const w3 = rand([3, 3, 6, 64], 4);
    const w4 = rand([3, 3, 64, 64], 5);
    const b4 = rand([64], 6);
    const graph = await expectGraph(
      [9, 11, 3],
      [
        {
          op: 'conv2d',
          inputs: [0],
          filter: f32(w1),
          bias: f32(b1),
          kernel: [3, 5],
          strides: [2, 1],
          dilations: [1, 1],
          pads: [1, 2, 0, 2],
          outChannels: 4,
          activation: 'relu',
        },
        { op: 'conv2d', inputs: [1], filter: f32(w2), kernel: [3, 3], strides: [1, 1], dilations: [2, 2], pads: [2, 2, 2, 2], outChannels: 6 },
        { op: 'conv2d', inputs: [2], filter: f32(w3), kernel: [3, 3], strides: [1, 1], dilations: [1, 1], pads: [1, 1, 1, 1], outChannels: 64 },
        {
          op: 'conv2d',
          inputs: [3],
          filter: f32(w4),
          bias: f32(b4),
          kernel: [3, 3],
          strides: [1, 1],
          dilations: [1, 1],
          pads: [1, 1, 1, 1],
          outChannels: 64,
          activation: 'relu',
        },
      ],
      3,
      (x) => {
        let y = tf.relu(
          tf.add(
            tf.conv2d(
              x,
              w1 as tf.Tensor4D,
              [2, 1],
              [
                [0, 0],
                [1, 0],
                [2, 2],
                [0, 0],
              ],
            ),
            b1,
          ),
        ) as tf.Tensor4D;
        y = tf.conv2d(
          y,
          w2 as tf.Tensor4D,
          1,
          [
            [0, 0],
            [2, 2],
            [2, 2],
            [0, 0],
          ],
          'NHWC',
          2,
        );
        y = tf.conv2d(y, w3 as tf.Tensor4D, 1, 'same');
        return tf.relu(tf.add(tf.conv2d(y, w4 as tf.Tensor4D, 1, 'same'), b4));
      },
      { winogradTile: 4 },
    );
    expect(graph.implementations(3)[3]).toBe('conv2d native:winograd_f4x4_3x3+gemm:jit');
    expect(graph.outputShape).toEqual([4, 11, 64]);
    const profile = graph.profile(seeded(3 * 9 * 11 * 3, 1), 3, 2);
    expect(profile.map((p) => p.op.split(' ')[0])).toEqual(['conv2d', 'conv2d', 'conv2d', 'conv2d']);
    expect(profile.every((p) => p.ms > 0 && Number.isFinite(p.ms))).toBe(true);
    graph.dispose();
  });

  it("Winograd F(2x2) … F(7x7), the training kernels' tiles and direct on odd sizes with every padding form", async () => {
    // [h, w, pads, the training kernels' tile for the output]: 9x7 → F(7x7) (2 tiles of 81 against F(4x4)'s 6 of
    // 36), 4x9 → F(4x4), 14x5 → F(5x5), 4x4 → F(4x4) (see TileForOutput in winograd.h).
    for (const [h, w, pads, trained] of [
      [9, 7, [1, 1, 1, 1], 7],
      [6, 11, [0, 0, 0, 0], 4],
      [13, 5, [2, 0, 1, 2], 5],
      [4, 4, [1, 1, 1, 1], 4],
    ] as const) {
      const k = rand([3, 3, 64, 72], h * 10 + w);
      const b = rand([72], 3);
      const ops: GraphOp[] = [
        {
          op: 'conv2d',
          inputs: [0],
          filter: f32(k),
          bias: f32(b),
          kernel: [3, 3],
          strides: [1, 1],
          dilations: [1, 1],
          pads: [...pads],
          outChannels: 72,
          activation: 'relu',
        },
      ];
      const reference = (x: tf.Tensor4D) =>
        tf.relu(
          tf.add(
            tf.conv2d(x, k as tf.Tensor4D, 1, [
              [0, 0],
              [pads[0], pads[2]],
              [pads[1], pads[3]],
              [0, 0],
            ]),
            b,
          ),
        );
      for (const [tile, tol, impl] of [
        [4, 1e-4, /f4x4/],
        [2, 1e-5, /f2x2/],
        [3, 1e-4, /f3x3/],
        [5, 1e-4, /f5x5/],
        [6, 1e-4, /f6x6/],
        [7, 1e-3, /f7x7/],
        ['training', 1e-3, new RegExp(`f${trained}x${trained}`)],
        [0, 1e-5, /^conv2d (jit|brg[a-z_]*):/],
      ] as const) {
        const g = await expectGraph([h, w, 64], ops, 3, reference, { winogradTile: tile }, tol);
        expect(g.implementations(3)[0]).toMatch(impl);
        g.dispose();
      }
    }
    for (const bad of [1, 8, 2.5, -1, 'fit']) {
      expect(() => new InferenceGraph([5, 5, 2], [{ op: 'relu', inputs: [0] }], { winogradTile: bad as 4 })).toThrow(
        `winogradTile must be 'auto', 'training', 0 or 2 … 7, got ${JSON.stringify(bad)}`,
      );
    }
  });

  it('Winograd relu keeps NaN (as tfjs Relu): every output a NaN input pixel reaches is NaN, not 0', async () => {
    await tf.setBackend('cpu');
    const [h, w, c] = [8, 8, 64];
    const k = rand([3, 3, c, 64], 7);
    const input = seeded(h * w * c, 8);
    for (let ch = 0; ch < c; ch++) input[(2 * w + 3) * c + ch] = NaN; // pixel (2, 3)
    const want = tf.tidy(() => f32(tf.relu(tf.conv2d(tf.tensor4d(input, [1, h, w, c]), k as tf.Tensor4D, 1, 'same'))));
    const reached = [...want.keys()].filter((i) => Number.isNaN(want[i]));
    expect(reached).toHaveLength(9 * 64);
    for (const tile of [2, 4] as const) {
      const g = new InferenceGraph(
        [h, w, c],
        [
          {
            op: 'conv2d',
            inputs: [0],
            filter: f32(k),
            kernel: [3, 3],
            strides: [1, 1],
            dilations: [1, 1],
            pads: [1, 1, 1, 1],
            outChannels: 64,
            activation: 'relu',
          },
        ],
        { winogradTile: tile },
      );
      expect(g.implementations(1)[0]).toContain(`f${tile}x${tile}`);
      const got = g.run(input, 1);
      expect(reached.filter((i) => !Number.isNaN(got[i]))).toEqual([]);
      g.dispose();
    }
  });

  it("winogradTile 'auto' (default) times direct, F(2x2) and F(4x4) per batch size and keeps the most accurate within 3% of the fastest", async () => {
    const k = rand([3, 3, 32, 48], 31);
    const b = rand([48], 32);
    const k0 = rand([3, 3, 3, 32], 33);
    const ops: GraphOp[] = [
      {
        op: 'conv2d',
        inputs: [0],
        filter: f32(k0),
        kernel: [3, 3],
        strides: [1, 1],
        dilations: [1, 1],
        pads: [1, 1, 1, 1],
        outChannels: 32,
        activation: 'relu',
      },
      {
        op: 'conv2d',
        inputs: [1],
        filter: f32(k),
        bias: f32(b),
        kernel: [3, 3],
        strides: [1, 1],
        dilations: [1, 1],
        pads: [1, 1, 1, 1],
        outChannels: 48,
        activation: 'relu',
      },
    ];
    const reference = (x: tf.Tensor4D) =>
      tf.relu(tf.add(tf.conv2d(tf.relu(tf.conv2d(x, k0 as tf.Tensor4D, 1, 'same')) as tf.Tensor4D, k as tf.Tensor4D, 1, 'same'), b));
    const graph = await expectGraph([10, 9, 3], ops, 2, reference, {}, 1e-4);
    for (const batch of [2, 5]) {
      const impls = graph.implementations(batch);
      expect(impls[0]).not.toContain('tuned'); // 3 input channels: direct, not tuned
      const m = /^conv2d (\S+) \(tuned: direct ([\d.e+-]+), f2x2 ([\d.e+-]+), f4x4 ([\d.e+-]+) ms\)$/.exec(impls[1]!);
      expect(m, impls[1]).not.toBeNull();
      const [direct, f2, f4] = [m![2], m![3], m![4]].map(Number) as [number, number, number];
      expect(Math.min(direct, f2, f4)).toBeGreaterThan(0);
      // The rule (graph_tune.cc): the most accurate candidate (direct, f2x2, f4x4) within 3% of the fastest; the
      // times are printed to 3 significant digits, hence the 1% margins.
      const fastest = Math.min(direct, f2, f4);
      const chosen = /winograd_(f2x2|f4x4)_/.exec(m![1]!)?.[1] ?? 'direct';
      const candidates = [
        ['direct', direct],
        ['f2x2', f2],
        ['f4x4', f4],
      ] as const;
      const at = candidates.findIndex(([name]) => name === chosen);
      if (chosen === 'direct') expect(m![1]).not.toContain('winograd');
      expect(candidates[at]![1], impls[1]).toBeLessThanOrEqual(fastest * 1.03 * 1.01);
      for (const [, ms] of candidates.slice(0, at)) expect(ms, impls[1]).toBeGreaterThan(fastest * 1.03 * 0.99);
    }
    const input = seeded(5 * 270, 9);
    const want = tf.tidy(() => f32(reference(tf.tensor4d(input, [5, 10, 9, 3]))));
    expect(relError(graph.run(input, 5), want)).toBeLessThanOrEqual(1e-4);
    graph.dispose();
    // setConvAlgorithm('direct') (or ONEDNN_CONV_ALGO=direct) still means oneDNN's direct kernels, untuned
    const previous = getConvAlgorithm();
    setConvAlgorithm('direct');
    try {
      const direct = new InferenceGraph([10, 9, 3], ops);
      expect(direct.implementations(2)[1]).toMatch(/^conv2d (jit|brg[a-z_]*):[^(]*$/);
      direct.dispose();
    } finally {
      setConvAlgorithm(previous);
    }
  });

  it('blocked layouts: conv → pool → conv → pool → flatten → dense, as MNISTNet, both layouts give the same', async () => {
    const k1 = rand([5, 5, 1, 32], 41);
    const b1 = rand([32], 42);
    const k2 = rand([5, 5, 32, 64], 43);
    const wd = rand([4 * 4 * 64, 10], 44);
    const ops: GraphOp[] = [
      {
        op: 'conv2d',
        inputs: [0],
        filter: f32(k1),
        bias: f32(b1),
        kernel: [5, 5],
        strides: [1, 1],
        dilations: [1, 1],
        pads: [0, 0, 0, 0],
        outChannels: 32,
        activation: 'relu',
      },
      { op: 'maxPool', inputs: [1], kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] },
      {
        op: 'conv2d',
        inputs: [2],
        filter: f32(k2),
        kernel: [5, 5],
        strides: [1, 1],
        dilations: [1, 1],
        pads: [0, 0, 0, 0],
        outChannels: 64,
        activation: 'relu',
      },
      { op: 'avgPool', inputs: [3], kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] },
      { op: 'flatten', inputs: [4] },
      { op: 'dense', inputs: [5], weights: f32(wd), units: 10 },
    ];
    const reference = (x: tf.Tensor4D) => {
      const y = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, k1 as tf.Tensor4D, 1, 'valid'), b1)) as tf.Tensor4D, 2, 2, 'valid');
      const z = tf.avgPool(tf.relu(tf.conv2d(y, k2 as tf.Tensor4D, 1, 'valid')), 2, 2, 'valid');
      return tf.matMul(tf.reshape(z, [3, 1024]), wd);
    };
    const blocked = await expectGraph([28, 28, 1], ops, 3, reference);
    expect(blocked.implementations(3)[4]).toBe('flatten reorder:to_nhwc');
    expect(blocked.profile(seeded(3 * 784, 2), 3, 1).length).toBe(6);
    const plain = await expectGraph([28, 28, 1], ops, 3, reference, { blockedLayouts: false });
    expect(plain.implementations(3)[4]).toBe('flatten alias');
    blocked.dispose();
    plain.dispose();
  });

  it('blocked layouts that would be padded (24 channels: nChw16c on AVX-512) stay within the NHWC-sized buffers', async () => {
    const k1 = rand([3, 3, 5, 24], 51);
    const k2 = rand([1, 1, 24, 40], 52);
    const wd = rand([3 * 3 * 40, 6], 53);
    const ops: GraphOp[] = [
      {
        op: 'conv2d',
        inputs: [0],
        filter: f32(k1),
        kernel: [3, 3],
        strides: [2, 2],
        dilations: [1, 1],
        pads: [1, 1, 1, 1],
        outChannels: 24,
        activation: 'relu',
      },
      { op: 'maxPool', inputs: [1], kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] },
      { op: 'conv2d', inputs: [2], filter: f32(k2), kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], outChannels: 40 },
      { op: 'flatten', inputs: [3] },
      { op: 'dense', inputs: [4], weights: f32(wd), units: 6 },
    ];
    const reference = (x: tf.Tensor4D) => {
      const y = tf.maxPool(
        tf.relu(
          tf.conv2d(x, k1 as tf.Tensor4D, 2, [
            [0, 0],
            [1, 1],
            [1, 1],
            [0, 0],
          ]),
        ) as tf.Tensor4D,
        2,
        2,
        'valid',
      );
      return tf.matMul(tf.reshape(tf.conv2d(y, k2 as tf.Tensor4D, 1, 'valid'), [-1, 360]), wd);
    };
    for (const batch of [1, 3, 8]) (await expectGraph([12, 12, 5], ops, batch, reference)).dispose();
  });

  it('max / avg pooling with same padding (avg excludes padding), global average pooling, flatten, dense', async () => {
    const wd = rand([4 * 3 * 3, 5], 7);
    const bd = rand([5], 8);
    const graph = await expectGraph(
      [7, 6, 3],
      [
        { op: 'maxPool', inputs: [0], kernel: [3, 3], strides: [2, 2], pads: [1, 0, 1, 1] }, // tfjs 'same' on 7x6
        { op: 'avgPool', inputs: [1], kernel: [2, 2], strides: [1, 1], pads: [0, 0, 1, 1] },
        { op: 'globalAvgPool', inputs: [0] },
        { op: 'flatten', inputs: [2] },
        { op: 'dense', inputs: [4], weights: f32(wd), bias: f32(bd), units: 5, activation: 'relu' },
        { op: 'softmax', inputs: [5] },
        { op: 'concat', inputs: [3, 6] },
      ],
      2,
      (x) => {
        const p = tf.avgPool(tf.maxPool(x, 3, 2, 'same'), 2, 1, 'same');
        const gap = tf.mean(x, [1, 2]);
        const d = tf.softmax(tf.relu(tf.add(tf.matMul(tf.reshape(p, [2, 36]), wd), bd)));
        return tf.concat([gap, d], 1);
      },
    );
    expect(graph.outputShape).toEqual([1, 1, 8]);
    graph.dispose();
  });

  it('affine, relu, add with relu over three inputs, concat of NHWC maps, dense over the channel axis', async () => {
    const s = rand([4], 9);
    const o = rand([4], 10);
    const wd = rand([8, 3], 11);
    await expectGraph(
      [3, 5, 4],
      [
        { op: 'affine', inputs: [0], scale: f32(s), offset: f32(o) },
        { op: 'relu', inputs: [1] },
        { op: 'add', inputs: [0, 1, 2], activation: 'relu' },
        { op: 'concat', inputs: [3, 1] },
        { op: 'dense', inputs: [4], weights: f32(wd), units: 3 },
        { op: 'identity', inputs: [5] },
      ],
      2,
      (x) => {
        const a = tf.add(tf.mul(x, s), o);
        const r = tf.relu(a);
        const sum = tf.relu(tf.addN([x, a, r]));
        const c = tf.concat([sum, a], 3);
        return tf.reshape(tf.matMul(tf.reshape(c, [30, 8]), wd), [2, 3, 5, 3]);
      },
    );
  });

  it('gelu (exact, x·Φ(x)) between an affine and a dense layer, as tf.erf gives it', async () => {
    const s = tf.mul(rand([4], 12), 4); // spreads the gelu's input over ±4, where Φ bends
    const o = rand([4], 13);
    const wd = rand([4, 3], 14);
    const graph = await expectGraph(
      [3, 5, 4],
      [
        { op: 'affine', inputs: [0], scale: f32(s), offset: f32(o) },
        { op: 'gelu', inputs: [1] },
        { op: 'dense', inputs: [2], weights: f32(wd), units: 3 },
      ],
      2,
      (x) => {
        const a = tf.add(tf.mul(x, s), o);
        const g = tf.mul(tf.mul(a, 0.5), tf.add(1, tf.erf(tf.div(a, Math.SQRT2))));
        return tf.reshape(tf.matMul(tf.reshape(g, [30, 4]), wd), [2, 3, 5, 3]);
      },
    );
    expect(graph.implementations(2)[1]).toBe('gelu native:gelu');
    graph.dispose();
  });

  it('one graph serves several batch sizes; buffers are reused along a 12-layer chain', async () => {
    const ops: GraphOp[] = [];
    const weights: tf.Tensor[] = [];
    for (let i = 0; i < 12; i++) {
      const w = rand([3, 3, 8, 8], 20 + i);
      weights.push(w);
      ops.push({
        op: 'conv2d',
        inputs: [i],
        filter: f32(w),
        kernel: [3, 3],
        strides: [1, 1],
        dilations: [1, 1],
        pads: [1, 1, 1, 1],
        outChannels: 8,
        activation: 'relu',
      });
    }
    const reference = (x: tf.Tensor4D) => weights.reduce<tf.Tensor4D>((y, w) => tf.relu(tf.conv2d(y, w as tf.Tensor4D, 1, 'same')) as tf.Tensor4D, x);
    const graph = await expectGraph([6, 6, 8], ops, 1, reference);
    for (const batch of [4, 1, 2]) {
      const input = seeded(batch * 288, 5 + batch);
      const want = tf.tidy(() => f32(reference(tf.tensor4d(input, [batch, 6, 6, 8]))));
      expect(relError(graph.run(input, batch), want)).toBeLessThanOrEqual(1e-5);
    }
    graph.dispose();
  });
});

describe('InferenceGraph errors', () => {
  const conv = (extra: Partial<Extract<GraphOp, { op: 'conv2d' }>> = {}): GraphOp => ({
    op: 'conv2d',
    inputs: [0],
    filter: new Float32Array(9 * 2 * 3),
    kernel: [3, 3],
    strides: [1, 1],
    dilations: [1, 1],
    pads: [0, 0, 0, 0],
    outChannels: 3,
    ...extra,
  });

  it('names the op and the problem', () => {
    expect(() => new InferenceGraph([5, 5, 2], [])).toThrow('ops must not be empty');
    expect(() => new InferenceGraph([5, 5, 2], [{ op: 'swish', inputs: [0] } as unknown as GraphOp])).toThrow("op 0: unknown op 'swish'");
    expect(() => new InferenceGraph([5, 5, 2], [conv({ inputs: [1] })])).toThrow('op 0: inputs must be ids of earlier values');
    expect(() => new InferenceGraph([5, 5, 2], [conv({ filter: new Float32Array(5) })])).toThrow("op 0: 'filter' has 5 values, expected 54");
    expect(() => new InferenceGraph([5, 5, 2], [conv({ activation: 'tanh' as 'relu' })])).toThrow("activation must be 'linear' or 'relu'");
    expect(() => new InferenceGraph([2, 2, 2], [conv()])).toThrow('op 0: conv2d: the window does not fit the input');
    expect(() => new InferenceGraph([5, 5, 2], [conv(), { op: 'add', inputs: [0, 1] }])).toThrow("op 1: add: every input must have the first one's shape");
    expect(() => new InferenceGraph([0, 5, 2], [conv()])).toThrow('inputShape must be [h, w, c] with positive entries');
  });

  it('checks run arguments and use after dispose', () => {
    const graph = new InferenceGraph([5, 5, 2], [conv()]);
    expect(() => graph.run(new Float32Array(10), 1)).toThrow("argument 'input' has 10 elements, expected at least 50");
    expect(() => graph.run(new Float32Array(50), 1.5)).toThrow('batch must be a positive integer');
    expect(() => graph.run(new Float32Array(50), 1, new Float32Array(3))).toThrow("argument 'output' has 3 elements, expected at least 27");
    graph.dispose();
    graph.dispose();
    expect(() => graph.run(new Float32Array(50), 1)).toThrow('used after dispose');
  });
});
