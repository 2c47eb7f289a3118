import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { cifar10Net, getModel, improvedMnistNet, mnistNet } from '@cnn/models';
import { UnsupportedLayerError } from '../errors.js';
import { mnistTestBatch } from '../testing/mnist.js';
import { calibrateBatchNorm, seededUniform, useTestBackend } from '../testing/backend.js';
import { decodeOnnx, exportOnnx, type ExportOnnxOptions } from './export-onnx.js';

beforeAll(async () => {
  await useTestBackend();
});

interface Parity {
  maxDiff: number;
  top1Agree: number;
  n: number;
}

async function parity(model: tfl.LayersModel, x: tf.Tensor, opts: ExportOnnxOptions = {}): Promise<Parity> {
  const bytes = exportOnnx(model, opts);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) };
    const out = (await session.run(feeds))[session.outputNames[0]!]!;
    const want = model.predict(x) as tf.Tensor;
    expect(out.dims).toEqual(want.shape);
    const a = out.data as Float32Array;
    const b = want.dataSync() as Float32Array;
    const classes = want.shape[want.shape.length - 1]!;
    let maxDiff = 0;
    let agree = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    const n = a.length / classes;
    for (let r = 0; r < n; r++) {
      let ia = 0;
      let ib = 0;
      for (let c = 1; c < classes; c++) {
        if (a[r * classes + c]! > a[r * classes + ia]!) ia = c;
        if (b[r * classes + c]! > b[r * classes + ib]!) ib = c;
      }
      if (ia === ib) agree++;
    }
    want.dispose();
    return { maxDiff, top1Agree: agree, n };
  } finally {
    await session.release();
  }
}

describe('exportOnnx checked by onnxruntime-node (CPU)', () => {
  it('MNISTNet: ≤ 1e-4 and identical top-1 on 1,000 MNIST test images; dynamic batch', async () => {
    const model = mnistNet({ seed: 11 });
    const { x } = await mnistTestBatch(1000);
    const p = await parity(model, x);
    expect(p.n).toBe(1000);
    expect(p.maxDiff).toBeLessThanOrEqual(1e-4);
    expect(p.top1Agree).toBe(1000);
    const one = tf.slice(x, [0, 0, 0, 0], [1, 28, 28, 1]);
    expect((await parity(model, one)).maxDiff).toBeLessThanOrEqual(1e-4);
    tf.dispose([x, one]);

    const decoded = decodeOnnx(exportOnnx(model)) as {
      ir_version: number;
      opset_import: { version: number }[];
      graph: { input: { name: string; type: { tensor_type: { shape: { dim: Record<string, unknown>[] } } } }[]; node: { op_type: string }[] };
    };
    expect(decoded.opset_import[0]!.version).toBeGreaterThanOrEqual(13);
    expect(decoded.graph.input[0]!.type.tensor_type.shape.dim).toEqual([{ dim_param: 'batch' }, { dim_value: 28 }, { dim_value: 28 }, { dim_value: 1 }]);
    const ops = decoded.graph.node.map((n) => n.op_type);
    // NHWC→NCHW once at the input, NCHW→NHWC once before Flatten.
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(2);
    expect(ops.indexOf('Transpose', 1)).toBe(ops.indexOf('Flatten') - 1);
  });

  it('ImprovedMNISTNet (calibrated BatchNorm, dropout) on 200 images', async () => {
    const model = improvedMnistNet({ seed: 12 });
    calibrateBatchNorm(model);
    const { x } = await mnistTestBatch(200);
    const p = await parity(model, x);
    expect(p.maxDiff).toBeLessThanOrEqual(1e-4);
    expect(p.top1Agree).toBe(200);
    x.dispose();
  });

  it('CIFAR10Net with random weights on 100 random images', async () => {
    const model = cifar10Net({ seed: 13 });
    calibrateBatchNorm(model, 1, 4);
    const x = tf.tensor4d(seededUniform(100 * 32 * 32 * 3, 99, -2, 2), [100, 32, 32, 3]);
    const p = await parity(model, x);
    expect(p.maxDiff).toBeLessThanOrEqual(1e-4);
    expect(p.top1Agree).toBe(100);
    x.dispose();
  });

  it('functional graph: strided same conv, avg pool (same), Add, Concatenate, GAP, Reshape, Dense on rank 4, softmax', async () => {
    const input = tfl.input({ shape: [9, 9, 2] });
    const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }).apply(input) as tfl.SymbolicTensor;
    const zp = tfl.layers
      .zeroPadding2d({
        padding: [
          [1, 0],
          [0, 1],
        ],
        name: 'zp',
      })
      .apply(c1) as tfl.SymbolicTensor;
    const dw = tfl.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 1, name: 'dw' }).apply(zp) as tfl.SymbolicTensor;
    const c2 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2, name: 'c2' }).apply(dw) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'sum' }).apply([c1, c2]) as tfl.SymbolicTensor;
    const lr = tfl.layers.leakyReLU({ alpha: 0.1, name: 'lr' }).apply(sum) as tfl.SymbolicTensor;
    const ap = tfl.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'ap' }).apply(lr) as tfl.SymbolicTensor;
    const d4 = tfl.layers.dense({ units: 3, activation: 'tanh', name: 'd4' }).apply(ap) as tfl.SymbolicTensor;
    const cat = tfl.layers.concatenate({ name: 'cat' }).apply([ap, d4]) as tfl.SymbolicTensor;
    const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(cat) as tfl.SymbolicTensor;
    const rs = tfl.layers.reshape({ targetShape: [7, 1], name: 'rs' }).apply(gap) as tfl.SymbolicTensor;
    const fl = tfl.layers.flatten({ name: 'fl' }).apply(rs) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 5, activation: 'softmax', name: 'out' }).apply(fl) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const x = tf.tensor4d(seededUniform(6 * 9 * 9 * 2, 5, -1, 1), [6, 9, 9, 2]);
    const p = await parity(model, x);
    expect(p.maxDiff).toBeLessThanOrEqual(1e-5);
    x.dispose();
  });

  it('DepthwiseConv2D with depth multiplier 2 and strides', async () => {
    const m = tfl.sequential();
    m.add(
      tfl.layers.depthwiseConv2d({ inputShape: [7, 7, 3], kernelSize: 3, depthMultiplier: 2, strides: 2, padding: 'same', activation: 'relu', name: 'dw' }),
    );
    m.add(tfl.layers.flatten({ name: 'fl' }));
    const x = tf.tensor4d(seededUniform(3 * 7 * 7 * 3, 8, -1, 1), [3, 7, 7, 3]);
    expect((await parity(m, x)).maxDiff).toBeLessThanOrEqual(1e-5);
    x.dispose();
  });

  it('ResNet-18 (CIFAR stem) from the model zoo, random weights, 4 images', async () => {
    const model = getModel('resnet18-cifar', { seed: 14 });
    calibrateBatchNorm(model, 1, 2);
    const x = tf.tensor4d(seededUniform(4 * 32 * 32 * 3, 17, -2, 2), [4, 32, 32, 3]);
    const p = await parity(model, x);
    expect(p.maxDiff).toBeLessThanOrEqual(1e-4);
    expect(p.top1Agree).toBe(4);
    x.dispose();
  });

  it('int8 weights (DequantizeLinear, per channel): ~4× smaller, close outputs', async () => {
    const model = mnistNet({ seed: 11 });
    const f32 = exportOnnx(model).byteLength;
    const i8 = exportOnnx(model, { weights: 'int8' }).byteLength;
    expect(i8 / f32).toBeLessThan(0.3);
    const { x } = await mnistTestBatch(300);
    const p = await parity(model, x, { weights: 'int8' });
    expect(p.maxDiff).toBeLessThan(0.05);
    expect(p.top1Agree).toBeGreaterThanOrEqual(290);
    x.dispose();
  });

  it('refuses an unsupported layer, naming it and its type', () => {
    const m = tfl.sequential();
    m.add(tfl.layers.upSampling2d({ inputShape: [8, 8, 2], size: [2, 2], name: 'up' }));
    expect(() => exportOnnx(m)).toThrow(UnsupportedLayerError);
    expect(() => exportOnnx(m)).toThrow(/layer 'up' of type UpSampling2D is not supported/);
    const act = tfl.sequential();
    act.add(tfl.layers.dense({ inputShape: [4], units: 2, activation: 'mish', name: 'fc' }));
    expect(() => exportOnnx(act)).toThrow(/layer 'fc' of type Dense .*activation 'mish'/);
    expect(() => exportOnnx(mnistNet(), { opset: 11 })).toThrow(/opset must be an integer >= 13/);
  });
});
