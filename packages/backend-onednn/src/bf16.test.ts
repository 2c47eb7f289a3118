/**
 * bf16 precision (`setPrecision('bf16')`): conv forward / backward data / backward filter and matmul against
 * float32 on the `onednn` backend within bf16 tolerance (and visibly not float32: bf16 really ran, on a bf16
 * oneDNN kernel); a few SGD steps of a tiny CNN whose loss tracks float32's; the refusal on a CPU without bf16
 * (simulated with DNNL_MAX_CPU_ISA=AVX2 in a child process); selectBackend's precision option.
 * The parity tests run only where the CPU has AVX512_BF16 / AMX.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';

import '@tensorflow/tfjs-layers'; // registers the gradients

import { Bf16UnsupportedError, bf16Supported, getPrecision, getPrimitiveImpls, PRECISION_CHOICES, selectBackend, setPrecision } from './index.js';
import { rand } from './parity-helpers.js';

const supported = bf16Supported();

/** Relative L2 error ‖a − b‖ / ‖b‖. */
function relL2(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

/** The outputs of `build` on `onednn` in `precision`, copied out. */
function run(precision: 'float32' | 'bf16', build: () => tf.Tensor[]): Float32Array[] {
  setPrecision(precision);
  const outs = tf.tidy(build);
  const data = outs.map((t) => Float32Array.from(t.dataSync() as Float32Array));
  tf.dispose(outs);
  return data;
}

afterEach(() => {
  if (tf.getBackend() === 'onednn') setPrecision('float32');
});

describe.runIf(supported)('bf16 precision on a CPU with AVX512_BF16 / AMX', () => {
  it.each([
    { x: [4, 12, 12, 16], f: [3, 3, 16, 32], strides: 1, dw: 'gemm' }, // Winograd in float32
    { x: [4, 12, 12, 16], f: [3, 3, 16, 32], strides: 1, dw: 'direct' },
    { x: [2, 9, 9, 8], f: [3, 3, 8, 24], strides: 2, dw: 'direct' },
    { x: [2, 9, 9, 8], f: [3, 3, 8, 24], strides: 2, dw: 'gemm' },
    { x: [3, 8, 8, 32], f: [1, 1, 32, 16], strides: 1, dw: 'gemm' },
    { x: [6, 7, 7, 16], f: [3, 3, 16, 8], strides: 1, dw: 'gemm', chunk: 2 * 49 * 144 }, // dw in 3 chunks of 2 images
    { x: [5, 12, 12, 16], f: [3, 3, 16, 32], strides: 1, dw: 'float32' }, // dw on float32's Winograd path
    { x: [3, 9, 9, 8], f: [3, 3, 8, 24], strides: 2, dw: 'float32' }, // dw on float32's oneDNN convolution
  ] as const)('conv2d forward, dx and dw ($dw) of x $x, filter $f, stride $strides match float32 within 1e-2', async ({ x, f, strides, dw: mode, ...rest }) => {
    await tf.setBackend('onednn');
    const chunk = 'chunk' in rest ? rest.chunk : undefined;
    if (chunk) process.env.ONEDNN_BF16_GEMM_CHUNK = String(chunk);
    process.env.ONEDNN_BF16_BWD_WEIGHTS = mode;
    const build = () => {
      const xs = rand([...x], 1);
      const fs = rand([...f], 2);
      const dy = rand(tf.conv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, strides, 'same').shape, 3);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, 'same'));
      const [dx, dw] = g([xs, fs], dy);
      return [tf.conv2d(xs as tf.Tensor4D, fs as tf.Tensor4D, strides, 'same'), dx!, dw!];
    };
    const ref = run('float32', build);
    const got = run('bf16', build);
    ['y', 'dx', 'dw'].forEach((name, i) => {
      const err = relL2(got[i]!, ref[i]!);
      if (name === 'dw' && mode === 'float32') {
        expect(err, 'dw on the float32 path equals float32').toBeLessThan(1e-6);
        return;
      }
      expect(err, `${name} relative error`).toBeLessThan(1e-2);
      expect(err, `${name} differs from float32 (bf16 ran)`).toBeGreaterThan(1e-4);
    });
    delete process.env.ONEDNN_BF16_GEMM_CHUNK;
    delete process.env.ONEDNN_BF16_BWD_WEIGHTS;
    const impls = getPrimitiveImpls().filter((r) => /_bf16(_gemm)?:/.test(r.key));
    expect(impls.map((r) => r.kernel).sort()).toEqual(expect.arrayContaining(['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput']));
    for (const r of impls) expect(r.impl, `${r.kernel} ${r.key}`).toMatch(/bf16/);
    // dw: im2col + bf16 matmul (in chunks of `chunk` elements when set), or oneDNN's bf16 convolution
    if (mode === 'gemm') {
      expect(impls.some((r) => r.key.startsWith(`conv_bwd_weights_bf16_gemm:${x.join(',')},`) && r.key.endsWith(`|${chunk ?? 2 ** 24}`))).toBe(true);
    } else if (mode === 'direct') {
      expect(impls.some((r) => r.key.startsWith(`conv_bwd_weights_bf16:${x.join(',')},`))).toBe(true);
    } else {
      expect(impls.some((r) => r.key.startsWith(`conv_bwd_weights_bf16`) && r.key.includes(`:${x.join(',')},`))).toBe(false);
    }
  });

  it('matMul (dense layer, both transposes) matches float32 within 1e-2', async () => {
    await tf.setBackend('onednn');
    const build = () => {
      const a = rand([64, 96], 4);
      const b = rand([96, 10], 5);
      return [tf.matMul(a, b), tf.matMul(a, rand([64, 10], 6), true, false), tf.matMul(rand([10, 96], 7), b, true, true)];
    };
    const ref = run('float32', build);
    const got = run('bf16', build);
    got.forEach((g, i) => {
      expect(relL2(g, ref[i]!)).toBeLessThan(1e-2);
      expect(relL2(g, ref[i]!)).toBeGreaterThan(1e-4);
    });
    expect(getPrimitiveImpls().some((r) => r.key.startsWith('matmul_bf16:') && /bf16/.test(r.impl))).toBe(true);
  });

  it('trains a tiny CNN for 8 SGD steps with a loss that tracks float32 within 2% (0.3% here)', async () => {
    await tf.setBackend('onednn');
    const losses = (precision: 'float32' | 'bf16'): number[] => {
      setPrecision(precision);
      const w1 = tf.variable(tf.mul(rand([3, 3, 3, 16], 11), 0.3));
      const w2 = tf.variable(tf.mul(rand([3, 3, 16, 16], 12), 0.1));
      const w3 = tf.variable(tf.mul(rand([16, 4], 13), 0.3));
      const b3 = tf.variable(tf.zeros([4]));
      // Class c's images: noise plus a colour of its own (red, green, blue, dark): learnable in a few steps.
      const classes = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], 'int32');
      const colours = tf.tensor2d([1, 0, 0, 0, 1, 0, 0, 0, 1, -1, -1, -1], [4, 3]);
      const x = tf.add(tf.mul(rand([16, 8, 8, 3], 14), 0.5), tf.reshape(tf.gather(colours, classes), [16, 1, 1, 3]));
      const labels = tf.oneHot(classes, 4);
      const opt = tf.train.sgd(0.5);
      const out: number[] = [];
      for (let step = 0; step < 8; step++) {
        const loss = opt.minimize(() => {
          const h1 = tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Variable<tf.Rank.R4>, 1, 'same'));
          const h2 = tf.relu(tf.conv2d(h1, w2 as tf.Variable<tf.Rank.R4>, 1, 'same'));
          const logits = tf.add(tf.matMul(tf.mean(h2, [1, 2]), w3), b3);
          return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
        }, true)!;
        out.push(loss.dataSync()[0]!);
        loss.dispose();
      }
      tf.dispose([w1, w2, w3, b3, x, labels, classes, colours]);
      opt.dispose();
      return out;
    };
    const f32 = losses('float32');
    const bf16 = losses('bf16');
    expect(f32[7]!).toBeLessThan(f32[0]! * 0.2); // it learns (1.39 → 0.07 here)
    expect(bf16[7]!).toBeLessThan(bf16[0]! * 0.2);
    bf16.forEach((l, i) => expect(Math.abs(l - f32[i]!) / f32[i]!, `step ${i}: ${l} vs ${f32[i]}`).toBeLessThan(2e-2));
  });
});

describe('bf16 precision: refusals and options', () => {
  it('refuses bf16 where oneDNN has no bf16 ISA (DNNL_MAX_CPU_ISA=AVX2), naming the ISA, with ERR_CNN_BF16_UNSUPPORTED', () => {
    const script = [
      "import { bf16Supported, setPrecision, getPrecision, selectBackend } from './src/index.ts';",
      'const out = { supported: bf16Supported() };',
      "try { setPrecision('bf16'); } catch (e) { out.name = e.name; out.code = e.code; out.message = e.message; out.isa = e.isa; }",
      'out.precision = getPrecision();',
      "try { await selectBackend('onednn', { precision: 'bf16', fallback: true, log: () => {} }); } catch (e) { out.selectCode = e.code; }",
      'console.log(JSON.stringify(out));',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, DNNL_MAX_CPU_ISA: 'AVX2', OMP_NUM_THREADS: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out).toMatchObject({ supported: false, name: 'Bf16UnsupportedError', code: 'ERR_CNN_BF16_UNSUPPORTED', isa: 'avx2', precision: 'float32' });
    expect(out.message).toMatch(/needs a CPU with AVX512_BF16 or AMX .*oneDNN found avx2 on this CPU/);
    expect(out.selectCode).toBe('ERR_CNN_BF16_UNSUPPORTED'); // not silently falling back to cpu
  });

  it('Bf16UnsupportedError is a typed CnnError with the ISA', () => {
    const e = new Bf16UnsupportedError('avx512_core');
    expect(Bf16UnsupportedError.isInstance(e)).toBe(true);
    expect(e.code).toBe('ERR_CNN_BF16_UNSUPPORTED');
    expect(e.isa).toBe('avx512_core');
    expect(e.message).toContain('oneDNN found avx512_core');
  });

  it('rejects an unknown precision and bf16 on another backend than onednn', async () => {
    expect(PRECISION_CHOICES).toEqual(['float32', 'bf16']);
    expect(() => setPrecision('fp16' as 'bf16')).toThrow(
      expect.objectContaining({ code: 'ERR_CNN_ONEDNN', message: expect.stringContaining('Received: precision=fp16') }),
    );
    await expect(selectBackend('onednn', { precision: 'half' as 'bf16' })).rejects.toMatchObject({
      code: 'ERR_CNN_ONEDNN',
      message: expect.stringContaining('Unknown precision "half"'),
    });
    for (const name of ['cpu', 'auto', 'webgpu'] as const) {
      await expect(selectBackend(name, { precision: 'bf16', fallback: true })).rejects.toMatchObject({
        code: 'ERR_CNN_PRECISION_BACKEND',
        message: expect.stringContaining(`backend "${name}"`),
      });
    }
  });

  it.runIf(supported)('selectBackend sets the precision and resets it to float32', async () => {
    const chosen = await selectBackend('onednn', { precision: 'bf16' });
    expect(chosen.reason).toMatch(/, precision bf16$/);
    expect(getPrecision()).toBe('bf16');
    await selectBackend('onednn');
    expect(getPrecision()).toBe('float32');
  });
});
