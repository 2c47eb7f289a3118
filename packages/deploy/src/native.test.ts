import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { airbench94, cifar10Net, densenetCifar, improvedMnistNet, mnistNet, mobilenetV2, resnet18 } from '@cnn/models';
import { DeployError, UnsupportedLayerError } from './errors.js';
import { compileNative, nativeGraphOps } from './native.js';
import { optimizeForInference } from './optimize.js';
import { calibrateBatchNorm, seededUniform, useTestBackend } from './testing/backend.js';

beforeAll(async () => {
  expect(await useTestBackend()).toBe('onednn');
});

/** max |native − predict| / max(1, max |predict|) over `batches`. */
async function relError(model: tfl.LayersModel, batches: number[], winogradTile: 'auto' | 0 | 2 | 4 = 2): Promise<number> {
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  const native = await compileNative(model, { winogradTile });
  let worst = 0;
  try {
    for (const b of batches) {
      const x = tf.tensor(seededUniform(b * shape.reduce((p, q) => p * q, 1), 11 + b, -1, 2), [b, ...shape]);
      const want = model.predict(x, { batchSize: b }) as tf.Tensor;
      const got = native.predict(x);
      expect(got.shape).toEqual(want.shape);
      const w = want.dataSync();
      const g = got.dataSync();
      const scale = Math.max(1, ...Array.from(w, Math.abs));
      let diff = 0;
      for (let i = 0; i < w.length; i++) diff = Math.max(diff, Math.abs(g[i]! - w[i]!));
      expect(Number.isFinite(diff)).toBe(true);
      worst = Math.max(worst, diff / scale);
      tf.dispose([x, want, got]);
    }
  } finally {
    native.dispose();
  }
  return worst;
}

describe('compileNative (one native call per forward pass)', () => {
  it('MNISTNet: same logits as predict at batch 1, 7 and 64; relus and bias fused', async () => {
    const model = optimizeForInference(mnistNet({ seed: 3 }));
    expect(await relError(model, [1, 7, 64])).toBeLessThan(1e-5);
    const native = await compileNative(model);
    expect(native.implementations(2).map((s) => s.split(' ')[0])).toEqual(['conv2d', 'maxPool', 'conv2d', 'maxPool', 'flatten', 'dense', 'dense']);
    const { ops } = nativeGraphOps(model);
    expect(ops.filter((o) => 'activation' in o && o.activation === 'relu').length).toBe(3);
    native.dispose();
  });

  it('ImprovedMNISTNet and CIFAR10Net, BatchNorm folded or left as an affine op', async () => {
    const improved = improvedMnistNet({ seed: 4 });
    calibrateBatchNorm(improved);
    expect(await relError(improved, [1, 5])).toBeLessThan(1e-5); // BatchNorm as affine + relu ops
    expect(await relError(optimizeForInference(improved), [3])).toBeLessThan(1e-5);
    const cifar = cifar10Net({ seed: 5 });
    calibrateBatchNorm(cifar, 2, 8);
    const folded = optimizeForInference(cifar);
    expect(await relError(folded, [1, 4])).toBeLessThan(1e-5);
    expect(await relError(folded, [2], 4)).toBeLessThan(1e-4); // the F(4x4) tile
    expect(await relError(folded, [2], 'auto')).toBeLessThan(1e-4); // tuned: any of direct, F(2x2), F(4x4)
    const fixed = await compileNative(folded, { winogradTile: 4 });
    // with a fixed tile the 64+ channel 3x3 layers take Winograd (filters transformed once), the RGB first layer
    // oneDNN's direct kernel (jit:avx2 or brgconv:avx512_core, never ref:)
    const convs = fixed.implementations(4).filter((s) => s.startsWith('conv2d'));
    expect(convs[0]).toMatch(/^conv2d (jit|brgconv):/);
    expect(convs.slice(1).every((s) => s.includes('winograd'))).toBe(true);
    fixed.dispose();
    // 'auto' (default) times direct, F(2x2) and F(4x4) for each of those layers and keeps the fastest
    const tuned = await compileNative(folded);
    const auto = tuned.implementations(4).filter((s) => s.startsWith('conv2d'));
    expect(auto[0]).not.toContain('tuned');
    for (const s of auto.slice(1)) expect(s).toMatch(/ \(tuned: direct [\d.e+-]+, f2x2 [\d.e+-]+, f4x4 [\d.e+-]+ ms\)$/);
    tuned.dispose();
  });

  it('residual Add (ResNet-18, CIFAR stem) and Concatenate (DenseNet-BC) with global average pooling', async () => {
    const res = resnet18({ stem: 'cifar', baseWidth: 8, seed: 6 });
    calibrateBatchNorm(res, 2, 4);
    expect(await relError(optimizeForInference(res), [1, 3])).toBeLessThan(1e-5);
    const dense = densenetCifar({ seed: 7, growthRate: 6, blockConfig: [2, 2, 2] });
    calibrateBatchNorm(dense, 2, 4);
    expect(await relError(optimizeForInference(dense), [2])).toBeLessThan(1e-5);
  });

  it('airbench94: WhiteningConv2D, GELU, BatchNorm after pooling and the Rescaling head give the logits of predict', async () => {
    const net = airbench94({ seed: 8, widths: { block1: 16, block2: 32, block3: 32 } });
    const whiten = net.getLayer('whiten');
    whiten.setWeights(whiten.getWeights().map((w, i) => tf.randomUniform(w.shape, -0.5, 0.5, 'float32', 20 + i))); // bias too
    calibrateBatchNorm(net, 2, 8);
    const { ops } = nativeGraphOps(net);
    expect(ops.map((o) => o.op)).toEqual([
      'conv2d',
      'gelu',
      ...['conv2d', 'maxPool', 'affine', 'gelu', 'conv2d', 'affine', 'gelu'],
      ...['conv2d', 'maxPool', 'affine', 'gelu', 'conv2d', 'affine', 'gelu'],
      ...['conv2d', 'maxPool', 'affine', 'gelu', 'conv2d', 'affine', 'gelu'],
      'maxPool',
      'flatten',
      'dense',
      'affine',
    ]);
    const head = ops.at(-1)!;
    expect(head.op === 'affine' && Array.from(head.scale)).toEqual(Array(10).fill(Math.fround(1 / 9)));
    expect(await relError(net, [1, 3])).toBeLessThan(1e-5);
    expect(await relError(net, [2], 'auto')).toBeLessThan(1e-4);
  });

  it('a softmax output, an odd input size with same padding and stride 2, and a model ending in Flatten', async () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [9, 7, 2],
          filters: 5,
          kernelSize: 3,
          strides: 2,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: 'glorotNormal',
          biasInitializer: 'randomNormal',
        }),
        tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }),
        tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 4, activation: 'softmax', biasInitializer: 'randomNormal' }),
      ],
    });
    expect(await relError(m, [1, 6])).toBeLessThan(1e-5);
    const flat = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 2 }), tfl.layers.flatten()] });
    expect(await relError(flat, [2])).toBeLessThan(1e-5);
  });

  it('names an unsupported layer and its class; rejects a wrongly shaped input', async () => {
    const mobile = mobilenetV2({ seed: 1, inputShape: [32, 32, 3], numClasses: 10 });
    expect(() => nativeGraphOps(mobile)).toThrow(UnsupportedLayerError);
    expect(() => nativeGraphOps(mobile)).toThrow(/layer 'features.0.2' of type ReLU is not supported \(maxValue \(relu6\)/);
    const depthwise = tfl.sequential({ layers: [tfl.layers.depthwiseConv2d({ inputShape: [5, 5, 2], kernelSize: 3, name: 'dw' })] });
    expect(() => nativeGraphOps(depthwise)).toThrow(/layer 'dw' of type DepthwiseConv2D is not supported/);
    const elu = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, activation: 'elu' })] });
    expect(() => nativeGraphOps(elu)).toThrow(/activation 'elu'/);
    const native = await compileNative(optimizeForInference(mnistNet({ seed: 1 })));
    expect(() => native.predict(tf.zeros([2, 28, 28, 3]))).toThrow(DeployError);
    expect(() => native.predict(tf.zeros([2, 28, 28, 3]))).toThrow(/expects \[batch, 28, 28, 1\], got \[2, 28, 28, 3\]/);
    expect(() => native.predictArray(new Float32Array(10), 1)).toThrow(/input.*784/);
    native.dispose();
    expect(() => native.predictArray(new Float32Array(784), 1)).toThrow(/after dispose/);
  });

  it('leaks no tensors over repeated predictions', async () => {
    const native = await compileNative(optimizeForInference(mnistNet({ seed: 2 })));
    const x = tf.zeros([3, 28, 28, 1]);
    tf.dispose(native.predict(x));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) tf.dispose(native.predict(x));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    native.dispose();
  });
});
