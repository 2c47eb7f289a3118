/**
 * The GELU kernels `CnnGelu` / `CnnGeluGrad` against PyTorch (src/__fixtures__/gelu-torch.json from
 * scripts/gelu-fixtures.py: F.gelu and autograd in float32) and against the exact erf formula in tf ops; the
 * averaging kernel `CnnEmaUpdate` bit-exact against the same expression in tf ops (torch.lerp's formula).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

import './index.js';

const fx = JSON.parse(readFileSync(new URL('./__fixtures__/gelu-torch.json', import.meta.url), 'utf8')) as {
  x: number[];
  dy: number[];
  y: number[];
  dx: number[];
  exactY: number[];
  exactDx: number[];
};

beforeAll(async () => {
  await tf.setBackend('onednn');
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('CnnGelu / CnnGeluGrad', () => {
  it('match the exact values (y within 1.25e-7, dx within 2.5e-7) and PyTorch within 4e-7, × max(1, |value|)', () => {
    const x = tf.tensor1d(fx.x);
    const dy = tf.tensor1d(fx.dy);
    const y = tf.engine().runKernel('CnnGelu', { x }, {}) as tf.Tensor;
    const dx = tf.engine().runKernel('CnnGeluGrad', { dy, x }, {}) as tf.Tensor;
    const yv = y.dataSync();
    const dxv = dx.dataSync();
    const tol = (v: number, t: number) => t * Math.max(1, Math.abs(v));
    for (let i = 0; i < fx.x.length; i++) {
      // float32 rounding of the result alone is up to 6e-8 relative (dx: three roundings of dy·(Φ + x·φ)); the
      // FMA-contracted polynomials of the x86-64-v3 / AVX-512 clones reach 1.09e-7 × max(1, |y|) on these points
      // (just over one float32 ulp at y ≈ 1.2; 0.94e-7 with separate multiplies and adds). torch's 1 + erf(z)
      // loses up to ~2e-7.
      expect(Math.abs(yv[i]! - fx.exactY[i]!), `y at x=${fx.x[i]}`).toBeLessThanOrEqual(tol(fx.exactY[i]!, 1.25e-7));
      expect(Math.abs(dxv[i]! - fx.exactDx[i]!), `dx at x=${fx.x[i]}`).toBeLessThanOrEqual(tol(fx.exactDx[i]!, 2.5e-7));
      expect(Math.abs(yv[i]! - fx.y[i]!), `torch y at x=${fx.x[i]}`).toBeLessThanOrEqual(tol(fx.y[i]!, 4e-7));
      expect(Math.abs(dxv[i]! - fx.dx[i]!), `torch dx at x=${fx.x[i]}`).toBeLessThanOrEqual(tol(fx.dx[i]!, 4e-7));
    }
    tf.dispose([x, dy, y, dx]);
  });

  it('is relatively accurate in the negative tail (where torch loses digits in 1 + erf)', () => {
    // gelu(x) = x·Φ(x); Φ(−4) = 3.1671241833119863e-5, Φ(−8) = 6.22096057427178e-16 (exact values).
    const x = tf.tensor1d([-4, -8]);
    const y = (tf.engine().runKernel('CnnGelu', { x }, {}) as tf.Tensor).dataSync();
    expect(Math.abs(y[0]! / (-4 * 3.1671241833119863e-5) - 1)).toBeLessThan(2e-5);
    expect(Math.abs(y[1]! / (-8 * 6.22096057427178e-16) - 1)).toBeLessThan(2e-5);
    x.dispose();
  });

  it('propagates NaN and gives torch values at ±Infinity, on a large multi-threaded tensor', () => {
    const n = 1 << 17;
    const values = new Float32Array(n).map((_, i) => ((i % 997) - 498) / 50);
    values[5] = NaN;
    values[6] = Infinity;
    values[7] = -Infinity;
    const x = tf.tensor1d(values);
    const y = tf.engine().runKernel('CnnGelu', { x }, {}) as tf.Tensor;
    const dx = tf.engine().runKernel('CnnGeluGrad', { dy: tf.onesLike(x), x }, {}) as tf.Tensor;
    const yv = y.dataSync();
    const dxv = dx.dataSync();
    expect(yv[5]).toBeNaN();
    expect(dxv[5]).toBeNaN();
    expect(yv[6]).toBe(Infinity);
    expect(yv[7]).toBeNaN(); // −∞ · Φ(−∞) = −∞ · 0, as torch.nn.functional.gelu
    // Everything else against the erf formula in tf ops (float32 erf of the cpu backend's polynomial).
    const ref = tf.tidy(() => tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))))).dataSync();
    let worst = 0;
    for (let i = 8; i < n; i++) worst = Math.max(worst, Math.abs(yv[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
    expect(worst).toBeLessThan(1e-6);
    tf.dispose([x, y, dx]);
  });

  it('rejects a missing or non-float32 input', () => {
    const x = tf.tensor1d([1, 2], 'int32');
    expect(() => tf.engine().runKernel('CnnGelu', { x }, {})).toThrow(/CnnGelu: input 'x' must be float32/);
    expect(() => tf.engine().runKernel('CnnGeluGrad', { x: tf.ones([2]) }, {})).toThrow(/CnnGeluGrad: input 'dy' is required/);
    x.dispose();
  });
});

describe('CnnEmaUpdate', () => {
  it('equals torch.lerp’s formula in tf ops bit for bit, for weights below and above 0.5', () => {
    const n = 5000;
    const avg = tf.randomNormal([50, 100], 0, 1, 'float32', 1);
    const param = tf.randomNormal([50, 100], 0, 1, 'float32', 2);
    for (const w of [0, 0.001, 0.2262, 0.49, 0.5, 0.77, 1]) {
      const [out] = tf.engine().runKernel('CnnEmaUpdate', { avg, param }, { weight: w }) as tf.Tensor[];
      const ref = tf.tidy(() => (Math.abs(w) < 0.5 ? tf.add(avg, tf.mul(w, tf.sub(param, avg))) : tf.sub(param, tf.mul(tf.sub(param, avg), 1 - w))));
      expect(out!.shape).toEqual([50, 100]);
      expect(maxAbsDiff(out!.dataSync(), ref.dataSync()), `weight ${w}`).toBe(0);
      expect(out!.dataSync().length).toBe(n);
      tf.dispose([out!, ref]);
    }
    // weight 1 gives param exactly, weight 0 gives avg exactly.
    const [one] = tf.engine().runKernel('CnnEmaUpdate', { avg, param }, { weight: 1 }) as tf.Tensor[];
    expect(maxAbsDiff(one!.dataSync(), param.dataSync())).toBe(0);
    tf.dispose([avg, param, one!]);
  });

  it('rejects mismatched sizes and a non-finite weight', () => {
    const a = tf.ones([4]);
    expect(() => tf.engine().runKernel('CnnEmaUpdate', { avg: a, param: tf.ones([5]) }, { weight: 0.1 })).toThrow(
      /CnnEmaUpdate: input 'param' has shape \[5\]/,
    );
    expect(() => tf.engine().runKernel('CnnEmaUpdate', { avg: a, param: a }, { weight: NaN })).toThrow(/attr 'weight' must be a finite number/);
    a.dispose();
  });
});
