/**
 * Winograd F(m x m, 3x3) convolutions, m = 2..7: parity with tfjs' JS `cpu` backend (forward, dx, dw, fused
 * bias + relu) over 3x3 stride-1 geometries with odd sizes (tiles hanging over the edge), every padding form,
 * batch 1 and channel counts 1..64, with the algorithm forced to `'winograd'`, for every tile; their float32
 * error against a float64 direct convolution; which algorithm `'auto'` picks, and which tile the `'auto'` tile
 * setting picks for each pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import '@tensorflow/tfjs-layers';

import { getBinding } from './binding.js';
import { getConvAlgorithm, getPrimitiveImpls, getWinogradTile, setConvAlgorithm, setWinogradTile } from './info.js';
import './index.js';
import { DIRECT_CONV_IMPL, expectParity, rand } from './parity-helpers.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

const cases: { x: [number, number, number, number]; f: [number, number, number, number]; pad: Pad }[] = [
  { x: [1, 4, 4, 1], f: [3, 3, 1, 1], pad: 'valid' },
  { x: [1, 5, 5, 1], f: [3, 3, 1, 2], pad: 'same' },
  { x: [2, 7, 7, 3], f: [3, 3, 3, 4], pad: 'same' },
  { x: [2, 7, 9, 5], f: [3, 3, 5, 7], pad: 'valid' },
  { x: [3, 6, 6, 8], f: [3, 3, 8, 16], pad: 'same' },
  { x: [2, 9, 8, 16], f: [3, 3, 16, 16], pad: 'same' },
  { x: [1, 11, 13, 17], f: [3, 3, 17, 9], pad: 'valid' },
  {
    x: [2, 8, 8, 4],
    f: [3, 3, 4, 6],
    pad: [
      [0, 0],
      [1, 2],
      [2, 1],
      [0, 0],
    ],
  },
  {
    x: [2, 8, 7, 6],
    f: [3, 3, 6, 3],
    pad: [
      [0, 0],
      [2, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [2, 5, 5, 64], f: [3, 3, 64, 32], pad: 'same' },
  { x: [1, 3, 3, 32], f: [3, 3, 32, 64], pad: 'same' },
  { x: [4, 16, 16, 24], f: [3, 3, 24, 40], pad: 'same' },
];

/** expectParity's relative error bound per tile: the default 1e-4 up to F(6x6) (measured here: at most 1e-5), 1e-3 for F(7x7) (measured: 2.6e-4). */
const TOLERANCE = { 2: 1e-4, 3: 1e-4, 4: 1e-4, 5: 1e-4, 6: 1e-4, 7: 1e-3 } as const;

function label(c: (typeof cases)[number]): string {
  return `x${c.x.join('x')} f${c.f.join('x')} ${JSON.stringify(c.pad)}`;
}

describe.each([2, 3, 4, 5, 6, 7] as const)('Winograd tile %i, F(m x m, 3x3) (forced), matches the JS cpu backend', (tile) => {
  const tol = TOLERANCE[tile];
  const previous = getConvAlgorithm();
  const previousTile = getWinogradTile();
  afterAll(() => {
    setConvAlgorithm(previous);
    setWinogradTile(previousTile);
  });

  cases.forEach((c, i) => {
    it(`conv2d fwd + dx + dw: ${label(c)}`, async () => {
      setConvAlgorithm('winograd');
      setWinogradTile(tile);
      await expectParity(() => {
        const x = rand(c.x, 301 + i);
        const w = rand(c.f, 311 + i);
        const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, c.pad);
        const r = rand(y.shape, 321 + i);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, c.pad), r)))([x, w]);
        return [y, dx!, dw!];
      }, tol);
    });
  });

  [cases[2]!, cases[6]!, cases[9]!].forEach((c, i) => {
    it(`fused conv2d bias + relu fwd: ${label(c)}`, async () => {
      setConvAlgorithm('winograd');
      setWinogradTile(tile);
      await expectParity(
        () => [
          tf.fused.conv2d({
            x: rand(c.x, 401 + i) as tf.Tensor4D,
            filter: rand(c.f, 411 + i) as tf.Tensor4D,
            bias: rand([c.f[3]], 421 + i),
            strides: 1,
            pad: c.pad,
            activation: 'relu',
          }),
        ],
        tol,
      );
    });
  });

  it('records the Winograd implementation for the shapes it ran', async () => {
    setConvAlgorithm('winograd');
    setWinogradTile(tile);
    await tf.setBackend('onednn');
    getBinding().clearCache();
    tf.tidy(() => tf.conv2d(rand([1, 6, 6, 4], 1) as tf.Tensor4D, rand([3, 3, 4, 4], 2) as tf.Tensor4D, 1, 'same').dataSync());
    const impls = getPrimitiveImpls().filter((p) => p.kernel === 'Conv2D');
    expect(impls.map((p) => p.impl)).toEqual([`native:winograd_f${tile}x${tile}_3x3+gemm:jit`]);
  });
});

describe('Winograd float32 error against a float64 direct convolution', () => {
  const previous = getConvAlgorithm();
  const previousTile = getWinogradTile();
  afterAll(() => {
    setConvAlgorithm(previous);
    setWinogradTile(previousTile);
  });

  /** y[n, h, w, k] of a 'same' 3x3 convolution in float64. */
  function directF64(x: Float32Array, w: Float32Array, [n, h, wd, c]: number[], k: number): Float64Array {
    const y = new Float64Array(n * h * wd * k);
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < wd; j++) {
          const out = ((b * h + i) * wd + j) * k;
          for (let dh = 0; dh < 3; dh++) {
            const ih = i + dh - 1;
            if (ih < 0 || ih >= h) continue;
            for (let dw = 0; dw < 3; dw++) {
              const iw = j + dw - 1;
              if (iw < 0 || iw >= wd) continue;
              const xi = ((b * h + ih) * wd + iw) * c;
              const wi = (dh * 3 + dw) * c * k;
              for (let ci = 0; ci < c; ci++) {
                const xv = x[xi + ci]!;
                const row = wi + ci * k;
                for (let o = 0; o < k; o++) y[out + o] += xv * w[row + o]!;
              }
            }
          }
        }
      }
    }
    return y;
  }

  it('grows with the tile as the Toom-Cook points spread (relative RMS, 128 channels, 7x7 and 15x15)', async () => {
    await tf.setBackend('onednn');
    setConvAlgorithm('winograd');
    for (const hw of [7, 15]) {
      const shape: [number, number, number, number] = [2, hw, hw, 128];
      const x = tf.randomNormal(shape, 0, 1, 'float32', 11) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 128, 32], 0, Math.sqrt(2 / (9 * 128)), 'float32', 12) as tf.Tensor4D;
      const ref = directF64(x.dataSync() as Float32Array, w.dataSync() as Float32Array, shape, 32);
      const rms = (a: ArrayLike<number>): number => {
        let s = 0;
        let d = 0;
        for (let i = 0; i < ref.length; i++) {
          s += ref[i]! * ref[i]!;
          d += (a[i]! - ref[i]!) ** 2;
        }
        return Math.sqrt(d / s);
      };
      const errors = new Map<number, number>();
      for (const tile of [2, 3, 4, 5, 6, 7] as const) {
        setWinogradTile(tile);
        errors.set(tile, rms(tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync())));
      }
      // scripts/winograd_matrices.py over 256 channels: 5e-7, 1.8e-6, 3.3e-6, 5.1e-6, 6.5e-6, 6.6e-5.
      for (const tile of [2, 3, 4, 5, 6] as const) expect(errors.get(tile), `F(${tile}x${tile}) at ${hw}x${hw}`).toBeLessThan(2e-5);
      expect(errors.get(7), `F(7x7) at ${hw}x${hw}`).toBeLessThan(2e-4);
      expect(errors.get(2)!, 'F(2x2) is the most accurate').toBeLessThan(errors.get(4)!);
      expect(errors.get(7)!, 'F(7x7) is the least accurate').toBeGreaterThan(3 * errors.get(6)!);
      tf.dispose([x, w]);
    }
  });
});

describe("setConvAlgorithm / 'auto'", () => {
  const previous = getConvAlgorithm();
  afterAll(() => setConvAlgorithm(previous));

  const implOf = (x: [number, number, number, number], f: [number, number, number, number], strides = 1): string => {
    getBinding().clearCache();
    tf.tidy(() => tf.conv2d(rand(x, 1) as tf.Tensor4D, rand(f, 2) as tf.Tensor4D, strides, 'same').dataSync());
    return getPrimitiveImpls().find((p) => p.kernel === 'Conv2D')!.impl;
  };

  it('auto: Winograd from 16 channels each side; direct below, for 5x5 or stride 2', async () => {
    await tf.setBackend('onednn');
    setConvAlgorithm('auto');
    expect(implOf([2, 8, 8, 64], [3, 3, 64, 64])).toMatch(/^native:winograd/);
    expect(implOf([2, 8, 8, 16], [3, 3, 16, 24])).toMatch(/^native:winograd/);
    expect(implOf([2, 8, 8, 8], [3, 3, 8, 64])).toMatch(DIRECT_CONV_IMPL);
    expect(implOf([2, 8, 8, 32], [3, 3, 32, 8])).toMatch(DIRECT_CONV_IMPL);
    expect(implOf([2, 8, 8, 3], [3, 3, 3, 64])).toMatch(DIRECT_CONV_IMPL);
    expect(implOf([2, 8, 8, 32], [5, 5, 32, 32])).toMatch(DIRECT_CONV_IMPL);
    expect(implOf([2, 8, 8, 32], [3, 3, 32, 32], 2)).toMatch(DIRECT_CONV_IMPL);
  });

  it('direct: never Winograd', async () => {
    await tf.setBackend('onednn');
    setConvAlgorithm('direct');
    expect(getConvAlgorithm()).toBe('direct');
    expect(implOf([2, 8, 8, 64], [3, 3, 64, 64])).toMatch(DIRECT_CONV_IMPL);
  });

  it("tile 'auto' (default) picks the tile per pass from its output size", async () => {
    await tf.setBackend('onednn');
    setConvAlgorithm('auto');
    const previousTile = getWinogradTile();
    try {
      if (process.env.ONEDNN_WINOGRAD_TILE === undefined) expect(previousTile).toBe('auto');
      setWinogradTile('auto');
      expect(getWinogradTile()).toBe('auto');
      // 'same' 3x3: the output is the input's size. Fewest multiplications, ceil(h/m)·ceil(w/m)·(m+2)²,
      // a larger m only below 85% of the best smaller one's: 31 → 4 (F(7x7)'s 2025 is 88% of 2304), 15 → 5,
      // 7 → 7, 3 → 3, 1 → 2, 8 → 4.
      const sizes: [number, number][] = [
        [31, 4],
        [15, 5],
        [7, 7],
        [3, 3],
        [1, 2],
        [8, 4],
      ];
      for (const [hw, m] of sizes) {
        expect(implOf([2, hw, hw, 16], [3, 3, 16, 16]), `${hw}x${hw}`).toBe(`native:winograd_f${m}x${m}_3x3+gemm:jit`);
      }
      // 'valid' 9x9 → 7x7: forward and backward weights tile the 7x7 output (F(7x7)), backward data the 9x9
      // input gradient (F(3x3): 9 tiles x 25 against F(4x4)'s 9 x 36).
      getBinding().clearCache();
      const x = rand([2, 9, 9, 16], 5) as tf.Tensor4D;
      const w = rand([3, 3, 16, 16], 6) as tf.Tensor4D;
      tf.tidy(() => {
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid')))([x, w]);
        dx!.dataSync();
        dw!.dataSync();
      });
      tf.dispose([x, w]);
      const impls = Object.fromEntries(getPrimitiveImpls().map((p) => [p.kernel, p.impl]));
      expect(impls).toMatchObject({
        Conv2D: 'native:winograd_f7x7_3x3+gemm:jit',
        Conv2DBackpropFilter: 'native:winograd_f7x7_3x3+gemm:jit',
        Conv2DBackpropInput: 'native:winograd_f3x3_3x3+gemm:jit',
      });
    } finally {
      setWinogradTile(previousTile);
    }
  });

  it('setWinogradTile takes only auto or an integer 2..7, naming what it got', () => {
    for (const bad of [1, 8, 2.5, '4', null]) {
      expect(() => setWinogradTile(bad as 4)).toThrow(`setWinogradTile: tile must be 'auto' or an integer 2 to 7. Received: tile=${String(bad)}`);
      expect(() => getBinding().setWinogradTile(bad as 4)).toThrow("onednn: setWinogradTile expects 'auto' or an integer 2..7");
    }
  });

  it('rejects an unknown mode, naming it', () => {
    expect(() => setConvAlgorithm('fast' as 'auto')).toThrow(/mode must be 'auto', 'direct' or 'winograd'. Received: mode=fast/);
    expect(() => getBinding().setConvAlgorithm('fast' as 'auto')).toThrow(/expects 'auto', 'direct' or 'winograd', got 'fast'/);
  });
});
