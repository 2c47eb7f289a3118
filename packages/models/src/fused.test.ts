import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2d, dense, RELU_BIAS_GRAD_KERNEL } from './fused.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Builders = { conv: typeof tfl.layers.conv2d; fc: typeof tfl.layers.dense };

/** conv relu (first layer) → conv linear, no bias → conv relu stride 2 'same' → flatten → fc relu → fc linear. */
function net({ conv, fc }: Builders): tfl.Sequential {
  const init = { kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), biasInitializer: tfl.initializers.randomNormal({ seed: 2 }) };
  return tfl.sequential({
    layers: [
      conv({ name: 'c1', inputShape: [9, 9, 2], filters: 4, kernelSize: 3, activation: 'relu', ...init }),
      conv({ name: 'c2', filters: 5, kernelSize: [3, 2], useBias: false, ...init }),
      conv({ name: 'c3', filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', ...init }),
      tfl.layers.flatten({ name: 'flat' }),
      fc({ name: 'f1', units: 6, activation: 'relu', ...init }),
      fc({ name: 'f2', units: 3, ...init }),
    ],
  });
}

const fusedBuilders = { conv: conv2d, fc: dense } as unknown as Builders;
const stockBuilders = { conv: tfl.layers.conv2d, fc: tfl.layers.dense };

/** Loss and gradients of every trainable weight for one batch, in weight order. */
function lossAndGrads(model: tfl.Sequential, x: tf.Tensor, y: tf.Tensor): { loss: number; grads: Float32Array[] } {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
  const out = { loss: value.dataSync()[0]!, grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describe('fused Conv2D / Dense', () => {
  const x = tf.randomNormal([4, 9, 9, 2], 0, 1, 'float32', 3);
  const y = tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3);

  it('give the stock tfjs-layers outputs and gradients (linear, relu, no bias, stride 2)', () => {
    const fused = net(fusedBuilders);
    const stock = net(stockBuilders);
    stock.setWeights(fused.getWeights());
    const a = tf.tidy(() => (fused.predict(x) as tf.Tensor).dataSync());
    const b = tf.tidy(() => (stock.predict(x) as tf.Tensor).dataSync());
    expect(Array.from(a)).toEqual(Array.from(b).map((v) => expect.closeTo(v, 6)));
    const got = lossAndGrads(fused, x, y);
    const want = lossAndGrads(stock, x, y);
    expect(got.loss).toBeCloseTo(want.loss, 6);
    expect(got.grads.length).toBe(9); // c1 k,b · c2 k · c3 k,b · f1 k,b · f2 k,b
    got.grads.forEach((g, i) => {
      const w = want.grads[i]!;
      const scale = Math.max(1e-6, ...Array.from(w, Math.abs));
      const err = Math.max(...Array.from(g, (v, j) => Math.abs(v - w[j]!))) / scale;
      expect(err, `gradient ${i} (${fused.trainableWeights[i]!.name})`).toBeLessThan(1e-5);
    });
    fused.dispose();
    stock.dispose();
  });

  it('run one fused kernel per layer and skip the data gradient of the first layer', async () => {
    const model = net(fusedBuilders);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
      tf.dispose([value, ...Object.values(grads)]);
    });
    const count = (name: string) => info.kernels.filter((k) => k.name === name).length;
    expect(count('FusedConv2D')).toBe(3);
    expect(count('_FusedMatMul')).toBe(2);
    expect(count('Conv2DBackpropFilter')).toBe(3);
    expect(count('Conv2DBackpropInput')).toBe(2); // not for c1: its input is data
    expect(count('Relu')).toBe(0);
    expect(count('Add')).toBeLessThanOrEqual(1); // the loss's own; no bias Add per layer
    // on cpu (no RELU_BIAS_GRAD_KERNEL) the relu gradient is dy · step(y): one Step per relu layer
    expect(tf.getKernel(RELU_BIAS_GRAD_KERNEL, 'cpu')).toBeUndefined();
    expect(count('Step')).toBe(3);
    model.dispose();
  });

  it('leak no tensors over training steps', () => {
    const model = net(fusedBuilders);
    lossAndGrads(model, x, y);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) lossAndGrads(model, x, y);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('serialise as Conv2D / Dense and load as the stock layers with the same outputs', async () => {
    const model = net(fusedBuilders);
    const json = model.toJSON(null, false) as { config: { layers: { class_name: string }[] } };
    expect(json.config.layers.map((l) => l.class_name)).toEqual(['Conv2D', 'Conv2D', 'Conv2D', 'Flatten', 'Dense', 'Dense']);
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['Conv2D', 'Conv2D', 'Conv2D', 'Flatten', 'Dense', 'Dense']);
    const a = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    const b = tf.tidy(() => (loaded.predict(x) as tf.Tensor).dataSync());
    expect(Array.from(b)).toEqual(Array.from(a).map((v) => expect.closeTo(v, 6)));
    model.dispose();
    loaded.dispose();
  });

  it('fall back to tfjs-layers for activations the fused kernels do not differentiate', () => {
    const layer = conv2d({ filters: 2, kernelSize: 3, activation: 'tanh', inputShape: [5, 5, 1] });
    const stock = tfl.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'tanh', inputShape: [5, 5, 1] });
    const input = tf.randomNormal([1, 5, 5, 1], 0, 1, 'float32', 4);
    stock.apply(input);
    layer.apply(input);
    stock.setWeights(layer.getWeights());
    const [g1] = tf.grads((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))([input]);
    const [g2] = tf.grads((t: tf.Tensor) => tf.sum(stock.apply(t) as tf.Tensor))([input]);
    expect(Array.from(g1!.dataSync())).toEqual(Array.from(g2!.dataSync()).map((v) => expect.closeTo(v, 6)));
  });
});
