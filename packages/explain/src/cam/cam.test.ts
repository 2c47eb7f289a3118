import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
// biome-ignore lint/correctness/useImportExtensions: a JSON fixture keeps its own extension
import reference from '../__fixtures__/cam-reference.json';
import { ExplainError } from '../errors.js';
import { GradCam } from './grad-cam.js';
import { GradCamPlusPlus } from './grad-cam-plus-plus.js';
import { forwardLayers, lastConvLayerName } from './layer-graph.js';
import { saliencyMap, smoothGrad } from './saliency.js';

type Nested = number | Nested[];
const w = reference.weights as unknown as Record<string, Nested>;

/** PyTorch OIHW conv kernel → tfjs HWIO; Linear [out, in] → Dense [in, out]. */
function torchWeights(): tf.Tensor[] {
  const conv = (name: string) => tf.transpose(tf.tensor(w[`${name}.weight`] as number[][][][]), [2, 3, 1, 0]);
  return [
    conv('conv1'),
    tf.tensor1d(w['conv1.bias'] as number[]),
    conv('conv2'),
    tf.tensor1d(w['conv2.bias'] as number[]),
    tf.transpose(tf.tensor2d(w['fc.weight'] as number[][])),
    tf.tensor1d(w['fc.bias'] as number[]),
  ];
}

function sequentialNet(headActivation: 'linear' | 'softmax'): tfl.Sequential {
  const m = tfl.sequential({ name: 'seq' });
  m.add(tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }));
  m.add(tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'cam_conv' }));
  m.add(tfl.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tfl.layers.dense({ units: 3, activation: headActivation, name: 'fc' }));
  m.setWeights(torchWeights());
  return m;
}

function functionalNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1' }).apply(input);
  const p = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool' }).apply(c1);
  const c2 = tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', name: 'cam_conv' }).apply(p);
  const g = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(c2);
  const out = tfl.layers.dense({ units: 3, name: 'fc' }).apply(g);
  const softmax = tfl.layers.activation({ activation: 'softmax', name: 'probs' }).apply(out) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: input, outputs: softmax, name: 'func' });
  m.setWeights(torchWeights());
  return m;
}

/** Functional model with a skip connection that bypasses the CAM layer (Add of two branches). */
function residualNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 2] });
  const a = tfl.layers
    .conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'stem', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) })
    .apply(input);
  const b = tfl.layers
    .conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'branch', kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) })
    .apply(a);
  const sum = tfl.layers.add({ name: 'add' }).apply([a, b] as tfl.SymbolicTensor[]);
  const g = tfl.layers.globalAveragePooling2d({}).apply(sum);
  const out = tfl.layers.dense({ units: 4, activation: 'softmax', kernelInitializer: tfl.initializers.glorotNormal({ seed: 3 }), name: 'head' }).apply(g);
  return tfl.model({ inputs: input, outputs: out as tfl.SymbolicTensor, name: 'residual' });
}

const input = () => tf.tensor4d(reference.inputNHWC as number[][][][]);
const maxAbsDiff = (a: tf.Tensor, b: Nested) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, tf.tensor(b as number[])))).dataSync()[0]);

describe('Grad-CAM vs an independent PyTorch computation', () => {
  const models: [string, () => tfl.LayersModel][] = [
    ['Sequential, linear head', () => sequentialNet('linear')],
    ['Sequential, softmax head', () => sequentialNet('softmax')],
    ['functional, Activation(softmax) layer', functionalNet],
  ];
  for (const [label, build] of models) {
    it(`${label}: logits, α, raw and final CAM within 1e-4`, () => {
      const model = build();
      const x = input();
      const before = tf.memory().numTensors;
      const r = new GradCam(model, 'cam_conv').computeWithDetails(x, { targets: reference.targets });
      expect(maxAbsDiff(r.logits, reference.logits)).toBeLessThan(1e-4);
      expect(maxAbsDiff(r.weights, reference.gradCam.weights)).toBeLessThan(1e-4);
      expect(maxAbsDiff(r.cam, reference.gradCam.cam)).toBeLessThan(1e-4);
      tf.dispose([r.cam, r.weights, r.targets, r.logits]);
      const raw = new GradCam(model, 'cam_conv').compute(x, { targets: reference.targets, upsample: false, normalize: false });
      expect(maxAbsDiff(raw, reference.gradCam.raw)).toBeLessThan(1e-6);
      raw.dispose();
      expect(tf.memory().numTensors).toBe(before);
      x.dispose();
      model.dispose();
    });
  }

  it('Grad-CAM++ weights and map match within 1e-4', () => {
    const model = sequentialNet('softmax');
    const x = input();
    const r = new GradCamPlusPlus(model, 'cam_conv').computeWithDetails(x, { targets: reference.targets });
    expect(maxAbsDiff(r.weights, reference.gradCamPlusPlus.weights)).toBeLessThan(1e-4);
    expect(maxAbsDiff(r.cam, reference.gradCamPlusPlus.cam)).toBeLessThan(1e-4);
    tf.dispose([r.cam, r.weights, r.targets, r.logits, x]);
  });

  it('vanilla saliency matches, and SmoothGrad with zero noise equals it', () => {
    const model = functionalNet();
    const x = input();
    const s = saliencyMap(model, x, { targets: reference.targets });
    expect(maxAbsDiff(s, reference.saliency)).toBeLessThan(1e-4);
    const sg0 = smoothGrad(model, x, { targets: reference.targets, samples: 2, noiseLevel: 0 });
    expect(maxAbsDiff(sg0, reference.saliency)).toBeLessThan(1e-4);
    const sg = smoothGrad(model, x, { samples: 4, seed: 3 });
    const values = sg.dataSync();
    expect(values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    expect(Math.max(...values)).toBeCloseTo(1, 6);
    tf.dispose([s, sg0, sg, x]);
  });
});

describe('Grad-CAM on a functional model with a skip connection', () => {
  let model: tfl.LayersModel;
  beforeAll(() => {
    model = residualNet();
  });

  it('α equals a central finite difference of the class logit w.r.t. each channel of A', () => {
    const x = tf.randomUniform([1, 6, 6, 2], -1, 1, 'float32', 5) as tf.Tensor4D;
    const r = new GradCam(model, 'branch').computeWithDetails(x, { targets: 2 });
    const alpha = r.weights.dataSync();
    const { captured } = forwardLayers(model, x, { layerName: 'branch' });
    const A = captured as tf.Tensor4D;
    const eps = 1e-2;
    for (let k = 0; k < 3; k++) {
      const shift = tf.mul(tf.reshape(tf.oneHot([k], 3), [1, 1, 1, 3]), eps);
      const logit = (a: tf.Tensor) => forwardLayers(model, x, { layerName: 'branch', replacement: a }).output.dataSync()[2];
      // y is linear in a uniform shift of channel k near A (ReLU/max kinks aside): Δy / (2 ε H W) = mean ∂y/∂A_k.
      const fd = (logit(tf.add(A, shift)) - logit(tf.sub(A, shift))) / (2 * eps * 36);
      expect(alpha[k]).toBeCloseTo(fd, 4);
    }
    const cam = r.cam.dataSync();
    expect(cam.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('rejects unknown or non-4-D layers listing the convolution layers', () => {
    expect(() => new GradCam(model, 'nope')).toThrow(/no layer named 'nope'.*convolution layers available: stem, branch/);
    expect(() => new GradCam(model, 'head')).toThrow(/layer 'head' output has shape \[null,4\], expected 4-D.*stem, branch/);
    expect(() => new GradCam(model, 'nope')).toThrow(ExplainError);
    expect(lastConvLayerName(model)).toBe('branch');
  });
});

describe('degenerate maps', () => {
  it('an all-zero CAM gives zeros, never NaN', () => {
    const model = sequentialNet('linear');
    const weights = model.getWeights().map((t, i) => (i === 2 ? tf.zerosLike(t) : t.clone()));
    weights[3] = tf.fill([5], -1); // conv2 outputs ReLU(-1) = 0 everywhere: A = 0
    model.setWeights(weights);
    const x = input();
    for (const Method of [GradCam, GradCamPlusPlus]) {
      const cam = new Method(model, 'cam_conv').compute(x);
      expect(Array.from(cam.dataSync()).every((v) => v === 0)).toBe(true);
      cam.dispose();
    }
    const s = saliencyMap(model, x);
    expect(Array.from(s.dataSync()).every((v) => v === 0)).toBe(true);
    tf.dispose([s, x, ...weights]);
  });
});
