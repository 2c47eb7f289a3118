// Op-level parity of the `webgpu` backend (tfjs-backend-webgpu's WGSL shaders, and this package's custom kernels
// composed from tfjs ops for webgpu) against the CPU: tfjs' `cpu` backend for matMul / conv2d and both
// backprops, this package's native `onednn` kernels for the custom ones. WEBGPU_CPU_FORWARD is off, so the
// small tensors here really run as shaders instead of being forwarded to the CPU.
// Tolerance: max |webgpu − reference| ≤ 1e-4 · max(1, max |reference|) (float32; different summation orders).
// Runs where an adapter exists (the software one from scripts/setup.sh is enough); under CI it must exist.
import '@tensorflow/tfjs-layers'; // the gradients
import {
  ADAM_UPDATE_KERNEL,
  BATCH_NORM_GRAD_KERNEL,
  BATCH_NORM_TRAIN_KERNEL,
  EMA_UPDATE_KERNEL,
  GELU_GRAD_KERNEL,
  GELU_KERNEL,
  RELU_BIAS_GRAD_KERNEL,
  SGD_UPDATE_KERNEL,
} from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { disposeWebGpu, selectBackend, WEBGPU_KERNEL_NAMES } from './index.js';
import { probeWebGpu, WEBGPU_REQUIRED } from './webgpu-probe.test-utils.js';

const missing = await probeWebGpu();
const TOL = 1e-4;

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

type Spec = Record<string, { shape: number[]; seed: number; positive?: boolean }>;

/** Runs `fn` on `backend` with fresh tensors made from `spec`, returns every output's values. */
async function runOn(backend: string, spec: Spec, fn: (inputs: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const inputs: Record<string, tf.Tensor> = {};
  for (const [name, { shape, seed, positive }] of Object.entries(spec)) {
    const v = values(
      shape.reduce((a, b) => a * b, 1),
      seed,
    );
    inputs[name] = tf.tensor(positive ? v.map((x) => Math.abs(x) + 0.1) : v, shape, 'float32');
  }
  const out = fn(inputs);
  const outs = Array.isArray(out) ? out : [out];
  const read = await Promise.all(outs.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...outs, ...Object.values(inputs)]);
  return read;
}

function expectClose(actual: Float32Array[], expected: Float32Array[], what: string): void {
  expect(actual.length, what).toBe(expected.length);
  expected.forEach((ref, k) => {
    const got = actual[k]!;
    expect(got.length, `${what} output ${k} size`).toBe(ref.length);
    let scale = 1;
    let diff = 0;
    for (let i = 0; i < ref.length; i++) {
      scale = Math.max(scale, Math.abs(ref[i]!));
      const d = Math.abs(got[i]! - ref[i]!);
      diff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(diff, d);
    }
    expect(diff, `${what} output ${k}: max |webgpu − reference|`).toBeLessThanOrEqual(TOL * scale);
  });
}

describe.skipIf(missing !== null && !WEBGPU_REQUIRED)('webgpu parity with the CPU', () => {
  beforeAll(async () => {
    expect(missing, `CI requires a WebGPU adapter (run scripts/setup.sh): ${missing}`).toBeNull();
    await selectBackend('webgpu');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
    disposeWebGpu();
  });

  it('runs the shaders: webgpu is active and WEBGPU_CPU_FORWARD is off', async () => {
    await tf.setBackend('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(tf.env().getBool('WEBGPU_CPU_FORWARD')).toBe(false);
  });

  it('matMul (both transposes)', async () => {
    const spec: Spec = { a: { shape: [33, 47], seed: 1 }, b: { shape: [47, 29], seed: 2 }, c: { shape: [29, 33], seed: 3 } };
    const fn = ({ a, b, c }: Record<string, tf.Tensor>) => [
      tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
      tf.matMul(c as tf.Tensor2D, b as tf.Tensor2D, true, true),
    ];
    expectClose(await runOn('webgpu', spec, fn), await runOn('cpu', spec, fn), 'matMul');
  });

  it('conv2d forward and both backprops (3x3 same stride 1, 3x3 valid stride 2)', async () => {
    const spec: Spec = { x: { shape: [2, 9, 9, 3], seed: 4 }, w: { shape: [3, 3, 3, 5], seed: 5 } };
    for (const [stride, pad] of [
      [1, 'same'],
      [2, 'valid'],
    ] as const) {
      const fn = ({ x, w }: Record<string, tf.Tensor>) => {
        const f = (xi: tf.Tensor, wi: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, stride, pad), tf.range(1, 6)));
        const [dx, dw] = tf.grads(f)([x!, w!]);
        return [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad), dx!, dw!];
      };
      expectClose(await runOn('webgpu', spec, fn), await runOn('cpu', spec, fn), `conv2d stride ${stride} ${pad}`);
    }
  });

  const nhwc: Spec = { x: { shape: [2, 5, 5, 6], seed: 11 }, dy: { shape: [2, 5, 5, 6], seed: 12 } };
  const channel = (seed: number, positive = false) => ({ shape: [6], seed, positive });
  const param = (seed: number, positive = false) => ({ shape: [4, 7], seed, positive });
  const cases: [string, Spec, Record<string, unknown>, (i: Record<string, tf.Tensor>) => Record<string, tf.Tensor>][] = [
    [GELU_KERNEL, { x: nhwc.x! }, {}, (i) => ({ x: tf.mul(i.x!, 3) })],
    [GELU_GRAD_KERNEL, nhwc, {}, (i) => ({ dy: i.dy!, x: tf.mul(i.x!, 3) })],
    [RELU_BIAS_GRAD_KERNEL, nhwc, {}, (i) => ({ dy: i.dy!, y: tf.relu(i.x!) })],
    [BATCH_NORM_TRAIN_KERNEL, { x: nhwc.x!, gamma: channel(13), beta: channel(14) }, { epsilon: 1e-5 }, (i) => i],
    [
      BATCH_NORM_GRAD_KERNEL,
      { ...nhwc, gamma: channel(13), mean: channel(15), variance: channel(16, true) },
      { epsilon: 1e-5 },
      (i) => ({ ...i, mean: tf.mul(i.mean!, 0.1) }),
    ],
    [
      ADAM_UPDATE_KERNEL,
      { param: param(21), grad: param(22), m: param(23), v: param(24, true) },
      { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 5e-4, amsgrad: false, step: 3 },
      (i) => i,
    ],
    [
      ADAM_UPDATE_KERNEL,
      { param: param(21), grad: param(22), m: param(23), v: param(24, true), vmax: param(25, true) },
      { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: true, step: 3 },
      (i) => i,
    ],
    [
      ADAM_UPDATE_KERNEL,
      { param: param(21), grad: param(22) },
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, step: 1 },
      (i) => i,
    ],
    [
      SGD_UPDATE_KERNEL,
      { param: param(31), grad: param(32), buf: param(33) },
      { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 5e-4 },
      (i) => i,
    ],
    [SGD_UPDATE_KERNEL, { param: param(31), grad: param(32) }, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0 }, (i) => i],
    [SGD_UPDATE_KERNEL, { param: param(31), grad: param(32) }, { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }, (i) => i],
    [EMA_UPDATE_KERNEL, { avg: param(41), param: param(42) }, { weight: Math.fround(0.2) }, (i) => i],
    [EMA_UPDATE_KERNEL, { avg: param(41), param: param(42) }, { weight: Math.fround(0.9) }, (i) => i],
  ];

  it('every custom kernel has a case below', () => {
    expect(new Set(cases.map(([name]) => name))).toEqual(new Set(WEBGPU_KERNEL_NAMES));
  });

  it.each(cases.map(([name, spec, attrs, prep], k) => [`${name} #${k}`, name, spec, attrs, prep] as const))(
    '%s matches the native onednn kernel',
    async (_label, name, spec, attrs, prep) => {
      const fn = (inputs: Record<string, tf.Tensor>) =>
        tf.engine().runKernel(name, prep(inputs) as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
      expect(tf.getKernel(name, 'webgpu')).toBeDefined();
      expectClose(await runOn('webgpu', spec, fn), await runOn('onednn', spec, fn), name);
    },
  );
});
