import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { CnnError, UnsupportedLayerError } from './errors.js';
import { histogram, activationHistograms } from './histograms.js';
import { forwardLayers, layerGraph } from './layer-graph.js';
import { getModelMetadata, setModelMetadata } from './model-metadata.js';
import { checkNormalization } from './types.js';

class TrainError extends CnnError {}
class NonFiniteLossError extends TrainError {}
class OtherError extends CnnError {}

/** input → conv → relu ─┬→ add → gap → dense(softmax) ; the add's second input is the relu output (a skip). */
function skipNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [4, 4, 1], name: 'in' });
  const conv = tfl.layers
    .conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'conv', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) })
    .apply(input) as tfl.SymbolicTensor;
  const relu = tfl.layers.reLU({ name: 'relu' }).apply(conv) as tfl.SymbolicTensor;
  const conv2 = tfl.layers
    .conv2d({ filters: 2, kernelSize: 1, name: 'conv2', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) })
    .apply(relu) as tfl.SymbolicTensor;
  const add = tfl.layers.add({ name: 'add' }).apply([conv2, relu]) as tfl.SymbolicTensor;
  const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(add) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ units: 3, activation: 'softmax', name: 'fc', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) })
    .apply(gap) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'skip' });
}

describe('CnnError.isInstance', () => {
  it('recognises the class and its subclasses, by name, across copies', () => {
    const e = new NonFiniteLossError('x');
    expect(e.name).toBe('NonFiniteLossError');
    expect(NonFiniteLossError.isInstance(e)).toBe(true);
    expect(TrainError.isInstance(e)).toBe(true);
    expect(CnnError.isInstance(e)).toBe(true);
    expect(OtherError.isInstance(e)).toBe(false);
    expect(TrainError.isInstance(new Error('x'))).toBe(false);
    // a copy of the class from another bundle: same names, different identity
    const copy = Object.assign(new Error('x'), { [Symbol.for('@cnn/core.CnnError')]: ['TrainError', 'CnnError'] });
    expect(TrainError.isInstance(copy)).toBe(true);
    const u = new UnsupportedLayerError('exportOnnx', 'l', 'ConvLSTM2D', 'why');
    expect(u.message).toBe("exportOnnx: layer 'l' of type ConvLSTM2D is not supported (why)");
    expect(CnnError.isInstance(u)).toBe(true);
  });
});

describe('layerGraph / forwardLayers', () => {
  it('flattens a functional model with a skip connection and reproduces predict, logits without the softmax', () => {
    const m = skipNet();
    const g = layerGraph(m);
    expect(g.nodes.map((n) => [n.name, n.inputs])).toEqual([
      ['conv', ['in']],
      ['relu', ['conv']],
      ['conv2', ['relu']],
      ['add', ['conv2', 'relu']],
      ['gap', ['add']],
      ['fc', ['gap']],
    ]);
    expect(g.consumers.get('relu')).toBe(2);
    expect(g.outputs).toEqual(['fc']);
    const x = tf.randomUniform([2, 4, 4, 1], -1, 1, 'float32', 4);
    const probs = Array.from((m.predict(x) as tf.Tensor).dataSync());
    const seen: string[] = [];
    const { output } = forwardLayers(m, x, { logits: false, onLayer: (n) => seen.push(n) });
    expect(Array.from(output.dataSync())).toEqual(probs);
    expect(seen).toEqual(['conv', 'relu', 'conv2', 'add', 'gap', 'fc']);
    const logits = forwardLayers(m, x).output;
    const soft = Array.from(tf.softmax(logits).dataSync());
    soft.forEach((p, i) => expect(p).toBeCloseTo(probs[i], 6));
  });

  it('replacing a layer output makes the rest a function of it (skip connections follow the replacement)', () => {
    const m = skipNet();
    const x = tf.randomUniform([1, 4, 4, 1], -1, 1, 'float32', 5);
    const { captured } = forwardLayers(m, x, { layerName: 'relu' });
    expect(captured!.shape).toEqual([1, 4, 4, 2]);
    const zeros = tf.zerosLike(captured!);
    const out = forwardLayers(m, x, { layerName: 'relu', replacement: zeros, logits: true }).output;
    const bias = (m.getLayer('fc').getWeights()[1] as tf.Tensor).dataSync();
    const conv2Bias = m.getLayer('conv2').getWeights()[1].dataSync();
    const kernel = m.getLayer('fc').getWeights()[0].dataSync(); // [2, 3]
    const expected = [0, 1, 2].map((j) => bias[j] + conv2Bias[0] * kernel[j] + conv2Bias[1] * kernel[3 + j]);
    Array.from(out.dataSync()).forEach((v, j) => expect(v).toBeCloseTo(expected[j], 5));
    expect(() => forwardLayers(m, x, { layerName: 'nope' })).toThrow("forwardLayers: no layer named 'nope' in model 'skip'");
  });

  it('refuses a layer applied twice inside the model', () => {
    const input = tfl.input({ shape: [3] });
    const d = tfl.layers.dense({ units: 3, name: 'shared' });
    const out = d.apply(d.apply(input)) as tfl.SymbolicTensor;
    expect(() => layerGraph(tfl.model({ inputs: input, outputs: out }))).toThrow(/layer 'shared' of type Dense is not supported \(the layer is called 2 times/);
  });
});

describe('histograms', () => {
  it('bins finite values, counts the rest, and histograms every (or a filtered) layer', async () => {
    const h = histogram('v', [0, 1, 2, 3, NaN, Infinity], 3);
    expect(h).toEqual({ name: 'v', edges: [0, 1, 2, 3], counts: [1, 1, 2], nonFinite: 2 });
    expect(histogram('c', [5, 5], 2).edges).toEqual([4.5, 5, 5.5]);
    expect(() => histogram('v', [1], 0)).toThrow('histogram: bins must be a positive integer. Received: bins=0');
    const m = skipNet();
    const x = tf.randomUniform([2, 4, 4, 1], -1, 1, 'float32', 6);
    const all = await activationHistograms(m, x, { bins: 4 });
    expect(all.map((a) => a.name)).toEqual(['conv [4,4,2]', 'relu [4,4,2]', 'conv2 [4,4,2]', 'add [4,4,2]', 'gap [2]', 'fc [3]']);
    expect(all[0].counts.reduce((a, b) => a + b, 0)).toBe(2 * 4 * 4 * 2);
    const convs = await activationHistograms(m, x, { filter: (n) => n.className === 'Conv2D' });
    expect(convs.map((a) => a.name)).toEqual(['conv [4,4,2]', 'conv2 [4,4,2]']);
  });
});

describe('model metadata', () => {
  it('stores normalisation and class names in userDefinedMetadata.cnn, checked against the channels', () => {
    const m = skipNet();
    expect(getModelMetadata(m)).toBeUndefined();
    setModelMetadata(m, { normalization: { mean: [0.1307], std: [0.3081] }, classNames: ['a', 'b', 'c'] });
    expect(m.getUserDefinedMetadata()).toEqual({ cnn: { normalization: { mean: [0.1307], std: [0.3081] }, classNames: ['a', 'b', 'c'] } });
    expect(getModelMetadata(m)?.classNames).toEqual(['a', 'b', 'c']);
    expect(() => setModelMetadata(m, { normalization: { mean: [0.1, 0.2], std: [1, 1] } })).toThrow(/normalization\.mean must be 1 or 1 finite numbers/);
    expect(checkNormalization('f', { mean: [0.5], std: [0.25] }, 3)).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    expect(() => checkNormalization('f', { mean: [0], std: [0] }, 1)).toThrow('f: normalization.std entries must be > 0. Received: normalization.std=[0]');
  });

  it('keeps the image size and channels a predictor resizes to', () => {
    const m = skipNet();
    setModelMetadata(m, { normalization: { mean: [0.5], std: [0.25] }, classNames: ['a', 'b', 'c'], imageSize: [4, 4], channels: 1 });
    expect(m.getUserDefinedMetadata()).toEqual({
      cnn: { normalization: { mean: [0.5], std: [0.25] }, classNames: ['a', 'b', 'c'], imageSize: [4, 4], channels: 1 },
    });
    expect(getModelMetadata(m)).toMatchObject({ imageSize: [4, 4], channels: 1 });
  });
});
