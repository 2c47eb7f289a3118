import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BatchNorm } from '../batch-norm.js';
import { GELU } from '../gelu.js';
import { getModel, getModelEntry } from '../registry.js';
import { formatSummary, summary } from '../summary.js';
import { initWhitening, WhiteningConv2D } from '../whitening.js';
import { airbench94 } from './airbench.js';

// scripts/airbench-fixtures.py: the airbench94 architecture in PyTorch (counts, and a small-width parity case).
const fixture = JSON.parse(readFileSync(new URL('../__fixtures__/airbench-torch.json', import.meta.url), 'utf8'));

/** |a − e| <= tol·max|e| for every element. */
function closeScaled(actual: ArrayLike<number>, expected: number[], tol: number, label = ''): void {
  expect(actual.length).toBe(expected.length);
  const scale = Math.max(1e-3, ...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `${label}[${i}]: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tol * scale);
  }
}

const LAYER_NAMES = [
  'input',
  'whiten',
  'whiten.gelu',
  ...[1, 2, 3].flatMap((b) => ['conv1', 'pool', 'norm1', 'gelu1', 'conv2', 'norm2', 'gelu2'].map((n) => `block${b}.${n}`)),
  'pool',
  'flatten',
  'head',
  'scale',
];

describe('airbench94', () => {
  it('has the reference architecture, layer names and PyTorch parameter counts', () => {
    const m = airbench94({ seed: 0 });
    expect(m.name).toBe('airbench94');
    expect(m.layers.map((l) => l.name)).toEqual(LAYER_NAMES);
    expect(m.outputs[0].shape).toEqual([null, 10]);
    const shapes = Object.fromEntries(m.layers.map((l) => [l.name, l.outputShape]));
    expect([shapes['whiten'], shapes['block1.pool'], shapes['block2.gelu2'], shapes['block3.gelu2'], shapes['pool']]).toEqual([
      [null, 31, 31, 24],
      [null, 15, 15, 64],
      [null, 7, 7, 256],
      [null, 3, 3, 256],
      [null, 1, 1, 256],
    ]);
    const s = summary(m);
    const c = fixture.counts.default;
    expect(s.trainableParams).toBe(1_971_352);
    expect(s.trainableParams).toBe(c.requiresGrad);
    expect(s.nonTrainableParams).toBe(288 + c.buffers);
    // PyTorch's parameters() also hold the BN weights frozen at 1 (2·(64 + 256 + 256)), which scale:false omits
    expect(s.totalParams + 2 * (64 + 256 + 256)).toBe(c.parameters + c.buffers);
    expect(getModelEntry('airbench94').trainableParams).toBe(s.trainableParams);
    expect(formatSummary(s)).toContain('Trainable params: 1,971,352');
    const bn = m.getLayer('block2.norm1') as BatchNorm;
    expect([bn.scale, bn.center, bn.epsilon, bn.momentum]).toEqual([false, true, 1e-12, 0.4]);
    expect(m.getLayer('block3.gelu2')).toBeInstanceOf(GELU);
    expect(m.getLayer('whiten')).toBeInstanceOf(WhiteningConv2D);
    expect(
      m
        .getLayer('head')
        .getWeights()
        .map((w) => w.shape),
    ).toEqual([[256, 10]]);
    m.dispose();
  });

  it('initialises the 3×3 convs with dirac on their first `in` filters', () => {
    const m = airbench94({ seed: 1, widths: { block1: 8, block2: 16, block3: 16 } });
    const k1 = m.getLayer('block2.conv1').getWeights()[0].arraySync() as number[][][][]; // [3, 3, 8, 16]
    const k2 = m.getLayer('block2.conv2').getWeights()[0].arraySync() as number[][][][]; // [3, 3, 16, 16]: all identity
    for (let i = 0; i < 8; i++) for (let o = 0; o < 8; o++) expect(k1[1][1][i][o]).toBe(i === o ? 1 : 0);
    expect(k1[0][0][0].slice(8).some((v) => v !== 0)).toBe(true);
    for (let i = 0; i < 16; i++) for (let o = 0; o < 16; o++) expect(k2[1][1][i][o]).toBe(i === o ? 1 : 0);
    expect(k2[0][1].flat().every((v) => v === 0)).toBe(true);
    m.dispose();
  });

  it('matches the PyTorch reference forward, backward and running statistics (small widths)', () => {
    const f = fixture.net;
    const m = airbench94({ widths: { block1: f.widths[0], block2: f.widths[1], block3: f.widths[2] }, seed: 0 });
    const c = fixture.counts.small;
    expect(summary(m).trainableParams).toBe(c.requiresGrad);
    let assigned = 0;
    for (const layer of m.layers) {
      if (layer.weights.length === 0) continue;
      const values = layer.weights.map((w) => {
        const data = f.weights[w.originalName];
        if (data) assigned++;
        return data ? tf.tensor(data, w.shape as number[]) : w.read().clone();
      });
      layer.setWeights(values);
      tf.dispose(values);
    }
    expect(assigned).toBe(Object.keys(f.weights).length);
    const x = tf.tensor4d(f.x, [4, 32, 32, 3]);
    const x2 = tf.tensor4d(f.x2, [4, 32, 32, 3]);
    const w = tf.tensor2d(f.w, [4, 10]);
    const byName = new Map(m.trainableWeights.map((v) => [v.originalName, v.read() as tf.Variable]));
    let yTrain: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const y = m.apply(x, { training: true }) as tf.Tensor;
      yTrain = tf.keep(y.clone());
      return tf.sum(tf.mul(y, w)) as tf.Scalar;
    }, [...byName.values()]);
    closeScaled(yTrain!.dataSync(), f.yTrain, 2e-4, 'yTrain');
    for (const [name, expected] of Object.entries(f.grads) as [string, number[]][]) {
      closeScaled(grads[byName.get(name)!.name].dataSync(), expected, 2e-3, name);
    }
    tf.dispose(m.apply(x2, { training: true }) as tf.Tensor);
    for (const v of m.nonTrainableWeights) {
      const expected = f.running[v.originalName];
      if (expected) closeScaled(v.read().dataSync(), expected, 2e-4, v.originalName);
    }
    const yEval = m.predict(x) as tf.Tensor;
    closeScaled(yEval.dataSync(), f.yEval, 2e-4, 'yEval');
    // initWhitening on the same images reproduces the reference's whitening kernel
    const kernel = (m.getLayer('whiten') as WhiteningConv2D).getWeights()[1].dataSync().slice();
    initWhitening(m, x);
    closeScaled((m.getLayer('whiten') as WhiteningConv2D).getWeights()[1].dataSync(), Array.from(kernel), 1e-5, 'whiten');
    tf.dispose([x, x2, w, value, yTrain!, yEval, ...Object.values(grads)]);
    m.dispose();
  });

  it('trains without leaking tensors and round-trips through save/load', async () => {
    const m = airbench94({ seed: 3, widths: { block1: 4, block2: 8, block3: 8 }, numClasses: 3 });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    initWhitening(m, x);
    tf.tidy(() => m.apply(x, { training: true }) as tf.Tensor);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(
      () => tf.sum(m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      m.trainableWeights.map((v) => v.read() as tf.Variable),
    );
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    (m.getLayer('whiten') as WhiteningConv2D).biasTrainable = false;
    let artifacts: tf.io.ModelArtifacts | undefined;
    await m.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts!));
    expect(loaded.layers.map((l) => l.name)).toEqual(LAYER_NAMES);
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(m.layers.map((l) => l.getClassName()));
    expect((loaded.getLayer('whiten') as WhiteningConv2D).biasTrainable).toBe(false);
    expect((loaded.getLayer('block1.norm2') as BatchNorm).scale).toBe(false);
    expect(summary(loaded).trainableParams).toBe(summary(m).trainableParams);
    const a = m.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(a.shape).toEqual([2, 3]);
    closeScaled(b.dataSync(), Array.from(a.dataSync()), 1e-6);
    tf.dispose([x, a, b]);
    m.dispose();
    loaded.dispose();
  });

  it('is seeded, registered, and validates its options', () => {
    const widths = { block1: 4, block2: 4, block3: 4 };
    const a = airbench94({ seed: 5, widths });
    const b = getModel('airbench94', { seed: 5, widths } as object) as tfl.LayersModel;
    const c = airbench94({ seed: 6, widths });
    const head = (m: tfl.LayersModel) => Array.from(m.getLayer('head').getWeights()[0].dataSync());
    expect(head(a)).toEqual(head(b));
    expect(head(a)).not.toEqual(head(c));
    expect(getModel('AIRBENCH').name).toBe('airbench94');
    expect(() => airbench94({ widths: { block2: 0 } })).toThrow(/airbench94: widths.block2 must be a positive integer. Received: widths=\{"block2":0\}/);
    expect(() => airbench94({ batchNormMomentum: 1.2 })).toThrow(/batchNormMomentum must be in \[0, 1\]. Received: batchNormMomentum=1.2/);
    expect(() => airbench94({ scalingFactor: Infinity })).toThrow(/scalingFactor must be a finite number. Received: scalingFactor=Infinity/);
    expect(() => airbench94({ init: 'keras' })).toThrow(/init must be 'pytorch'.*Received: init=keras/);
    expect(() => airbench94({ numClasses: 0 })).toThrow(/numClasses must be a positive integer/);
    const scaled = airbench94({ widths, scalingFactor: 0.5, batchNormMomentum: 0.1 });
    expect((scaled.getLayer('scale').getConfig() as { scale: number }).scale).toBe(0.5);
    expect((scaled.getLayer('block1.norm1') as BatchNorm).momentum).toBe(0.1);
    [a, b, c, scaled].forEach((m) => m.dispose());
  });
});
