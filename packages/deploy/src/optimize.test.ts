import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNorm, cifar10Net, getModel, improvedMnistNet, mnistNet } from '@cnn/models';
import { optimizeForInference, type OptimizeReport } from './optimize.js';
import { calibrateBatchNorm, maxAbsDiff, seededUniform, useTestBackend } from './testing/backend.js';

beforeAll(async () => {
  await useTestBackend();
});

function check(model: tfl.LayersModel, batches: number[], calibration = { steps: 3, batch: 16 }): { report: OptimizeReport; opt: tfl.LayersModel } {
  calibrateBatchNorm(model, calibration.steps, calibration.batch);
  let report!: OptimizeReport;
  const opt = optimizeForInference(model, {
    onReport: (r) => {
      report = r;
    },
  });
  const shape = model.inputs[0]!.shape.slice(1) as number[];
  for (const b of batches) {
    const x = tf.tensor(seededUniform(b * shape.reduce((p, q) => p * q, 1), b, -1, 2), [b, ...shape]);
    const want = model.predict(x) as tf.Tensor;
    const got = opt.predict(x) as tf.Tensor;
    expect(got.shape).toEqual(want.shape);
    const scale = tf.tidy(() => tf.max(tf.abs(want)).dataSync()[0]!);
    expect(scale).toBeGreaterThan(0.01);
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5);
    tf.dispose([x, want, got]);
  }
  return { report, opt };
}

describe('optimizeForInference', () => {
  it('MNISTNet: drops dropout, keeps fused relus, same outputs at batch 1 and 256', () => {
    const { report, opt } = check(mnistNet({ seed: 3 }), [1, 256]);
    expect(report.removed).toEqual(['dropout']);
    expect(opt.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'Dense']);
  });

  it('ImprovedMNISTNet: folds the 4 BatchNorms, fuses the 4 ReLUs, same outputs at batch 1 and 256', () => {
    const { report, opt } = check(improvedMnistNet({ seed: 4 }), [1, 256]);
    expect(report.foldedBatchNorms).toEqual(['bn1 → conv1', 'bn2 → conv2', 'bn3 → conv3', 'bn_fc → fc1']);
    expect(report.fusedActivations).toEqual(['relu1 → conv1', 'relu2 → conv2', 'relu3 → conv3', 'relu_fc → fc1']);
    expect(opt.layers.some((l) => l.getClassName() === 'BatchNorm' || l.getClassName() === 'ReLU')).toBe(false);
    expect((opt.getLayer('conv2').getConfig() as { activation: string }).activation).toBe('relu');
  });

  it('CIFAR10Net: folds all 8 BatchNorms, drops tfjs Dropout (batch 1 and 8)', () => {
    const { report } = check(cifar10Net({ seed: 5 }), [1, 8], { steps: 1, batch: 4 });
    expect(report.foldedBatchNorms).toHaveLength(8);
    expect(report.removed).toEqual(['dropout']);
  });

  it('CIFAR10Net layer pattern, narrow (batch 256)', () => {
    const m = tfl.sequential({ name: 'cifar_like' });
    m.add(tfl.layers.conv2d({ inputShape: [32, 32, 3], filters: 8, kernelSize: 3, padding: 'same', name: 'conv1_1' }));
    m.add(batchNorm({ name: 'bn1_1' }));
    m.add(tfl.layers.reLU({ name: 'relu1_1' }));
    m.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv1_2' }));
    m.add(batchNorm({ name: 'bn1_2' }));
    m.add(tfl.layers.reLU({ name: 'relu1_2' }));
    m.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: 'pool1' }));
    m.add(tfl.layers.flatten({ name: 'flatten' }));
    m.add(tfl.layers.dense({ units: 16, name: 'fc1' }));
    m.add(batchNorm({ name: 'bn_fc1' }));
    m.add(tfl.layers.reLU({ name: 'relu_fc1' }));
    m.add(tfl.layers.dropout({ rate: 0.5, name: 'dropout' }));
    m.add(tfl.layers.dense({ units: 10, name: 'fc2' }));
    const { report } = check(m, [1, 256]);
    expect(report.foldedBatchNorms).toHaveLength(3);
    expect(report.fusedActivations).toHaveLength(3);
  });

  it('ResNet-18 (CIFAR stem) from the model zoo: folds every BatchNorm (batch 1 and 4)', () => {
    const model = getModel('resnet18-cifar', { seed: 6 });
    const bns = model.layers.filter((l) => l.getClassName() === 'BatchNorm').length;
    const { report, opt } = check(model, [1, 4], { steps: 1, batch: 2 });
    expect(report.foldedBatchNorms).toHaveLength(bns);
    expect(opt.layers.some((l) => l.getClassName() === 'BatchNorm')).toBe(false);
  });

  it('functional graph with a bias-free conv, tfjs BatchNormalization and a residual Add', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'c1' }).apply(input) as tfl.SymbolicTensor;
    const b1 = tfl.layers.batchNormalization({ name: 'b1', epsilon: 1e-3 }).apply(c1) as tfl.SymbolicTensor;
    const r1 = tfl.layers.activation({ activation: 'relu', name: 'r1' }).apply(b1) as tfl.SymbolicTensor;
    const c2 = tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: 'c2' }).apply(r1) as tfl.SymbolicTensor;
    const b2 = batchNorm({ name: 'b2' }).apply(c2) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'sum' }).apply([b2, r1]) as tfl.SymbolicTensor;
    const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 3, name: 'out' }).apply(gap) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const { report } = check(model, [1, 5]);
    expect(report.foldedBatchNorms).toEqual(['b1 → c1', 'b2 → c2']);
    expect(report.fusedActivations).toEqual(['r1 → c1']);
  });

  it('does not fold a BatchNorm whose conv output has a second reader', () => {
    const input = tfl.input({ shape: [4, 4, 2] });
    const c = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }).apply(input) as tfl.SymbolicTensor;
    const b = batchNorm({ name: 'b' }).apply(c) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'sum' }).apply([b, c]) as tfl.SymbolicTensor;
    const { report } = check(tfl.model({ inputs: input, outputs: sum }), [2]);
    expect(report.foldedBatchNorms).toEqual([]);
  });

  it('leaks no tensors', () => {
    const model = improvedMnistNet({ seed: 1 });
    const before = tf.memory().numTensors;
    const opt = optimizeForInference(model);
    const added = tf.memory().numTensors - before;
    expect(added).toBe(opt.weights.length);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
