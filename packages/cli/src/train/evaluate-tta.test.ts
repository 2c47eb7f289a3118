import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '@cnn/backend-onednn';
import { airbench94, airbenchTta, predictTta } from '@cnn/models';
import type { Batch } from '@cnn/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateWithTta } from './evaluate-tta.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

/** flatten([b, 3, 3, 1]) → dense(2) with a fixed kernel that is not mirror-symmetric, so views change the logits. */
function tinyModel(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [3, 3, 1] }));
  m.add(tfl.layers.dense({ units: 2, useBias: false }));
  const k = Array.from({ length: 18 }, (_, i) => Math.sin(i * 1.7) * (i % 3 === 0 ? 2 : 0.5));
  m.setWeights([tf.tensor2d(k, [9, 2])]);
  return m;
}

function data(n: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const xs = Array.from({ length: n * 9 }, (_, i) => Math.cos(i * 0.37) + (i % 5) * 0.1);
  const ys = Array.from({ length: n }, (_, i) => (i * 7) % 2);
  return { x: tf.tensor4d(xs, [n, 3, 3, 1]), y: tf.tensor1d(ys, 'int32') };
}

/** Mean softmax cross-entropy and accuracy of `[n, 2]` logits, in float64. */
function reference(logits: number[][], labels: number[]): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  logits.forEach((l, i) => {
    const m = Math.max(...l);
    const lse = m + Math.log(l.reduce((s, v) => s + Math.exp(v - m), 0));
    loss += lse - l[labels[i]!]!;
    if (l.indexOf(Math.max(...l)) === labels[i]) correct += 1;
  });
  return { loss: loss / labels.length, accuracy: correct / labels.length };
}

describe('evaluateWithTta', () => {
  it("gives predictTta's accuracy and loss with TTA and the plain model's without, batch by batch, without leaking", async () => {
    const model = tinyModel();
    const { x, y } = data(10);
    const tta = { ...airbenchTta(2), level: 2 };
    const labels = Array.from(y.dataSync());
    const withTta = reference(predictTta(model, x, tta).arraySync() as number[][], labels);
    const plain = reference((model.predict(x) as tf.Tensor).arraySync() as number[][], labels);
    expect(withTta.loss).not.toBeCloseTo(plain.loss, 3); // the views matter for this model
    const batches = (): Batch[] =>
      [0, 4, 8].map((s) => {
        const size = Math.min(4, 10 - s);
        return { x: tf.slice(x, [s, 0, 0, 0], [size, -1, -1, -1]), y: tf.slice(y, [s], [size]) };
      });
    const before = tf.memory().numTensors;
    const r = await evaluateWithTta(model, batches(), tta);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.samples).toBe(10);
    expect(r.accuracy).toBeCloseTo(withTta.accuracy, 12);
    expect(r.loss).toBeCloseTo(withTta.loss, 5);
    expect(r.noTta.accuracy).toBeCloseTo(plain.accuracy, 12);
    expect(r.noTta.loss).toBeCloseTo(plain.loss, 5);
    const lines: string[] = [];
    await evaluateWithTta(model, batches(), tta, { progress: 'lines', log: (l) => lines.push(l), logEvery: 2 });
    expect(lines.map((l) => l.split('  loss')[0])).toEqual(['Eval (TTA)  batch 2/3', 'Eval (TTA)  batch 3/3']);
    // views without the identity: the plain result is computed separately
    const flipOnly = await evaluateWithTta(model, batches(), { views: ['flip'], weights: [1] });
    expect(flipOnly.noTta.loss).toBeCloseTo(plain.loss, 5);
    expect(flipOnly.loss).not.toBeCloseTo(plain.loss, 3);
    expect(r.forward).toBe('layers');
    const empty = evaluateWithTta(model, [], tta);
    await expect(empty).rejects.toThrow('evaluate: the loader yielded no batches'); // evaluate of @cnn/train runs the loop
    await expect(empty).rejects.toMatchObject({ code: 'ERR_CNN_NO_BATCHES' });
    await expect(evaluateWithTta(model, batches(), { views: ['flip'], weights: [1, 2] })).rejects.toThrow(/weights must be 1 finite numbers/);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('native: the compiled graph (onednn) scores the TTA and plain logits of the layers path on a small airbench net', async () => {
    await selectBackend('onednn');
    try {
      const net = airbench94({ seed: 5, widths: { block1: 16, block2: 32, block3: 32 } });
      // random weights, running variances in [0.5, 1.5)
      tf.tidy(() =>
        net.setWeights(
          net.weights.map((w, i) => {
            const shape = w.shape as number[];
            return w.name.includes('moving_variance') ? tf.randomUniform(shape, 0.5, 1.5, 'float32', i) : tf.randomUniform(shape, -0.4, 0.4, 'float32', i);
          }),
        ),
      );
      const x = tf.randomNormal([7, 32, 32, 3], 0, 1, 'float32', 3);
      const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6], 'int32');
      const batches = (): Batch[] => [
        { x: tf.slice(x, [0, 0, 0, 0], [4, -1, -1, -1]), y: tf.slice(y, [0], [4]) },
        { x: tf.slice(x, [4, 0, 0, 0], [3, -1, -1, -1]), y: tf.slice(y, [4], [3]) },
      ];
      const tta = { ...airbenchTta(2), level: 2 };
      const layers = await evaluateWithTta(net, batches(), tta);
      const lines: string[] = [];
      const before = tf.memory().numTensors;
      const native = await evaluateWithTta(net, batches(), tta, { native: true, log: (l) => lines.push(l) });
      expect(tf.memory().numTensors).toBe(before);
      expect(lines).toEqual([]);
      expect([layers.forward, native.forward]).toEqual(['layers', 'native']);
      expect(native.samples).toBe(7);
      expect(layers.loss).toBeGreaterThan(0.5); // logits that differ between the views and from the labels
      expect(Math.abs(native.loss - layers.loss)).toBeLessThan(1e-4 * layers.loss);
      expect(Math.abs(native.noTta.loss - layers.noTta.loss)).toBeLessThan(1e-4 * layers.noTta.loss);
      expect(native.noTta.loss).not.toBeCloseTo(native.loss, 3);
      expect(native.accuracy).toBe(layers.accuracy);
      expect(native.noTta.accuracy).toBe(layers.noTta.accuracy);
      // a layer the native graph lacks: one line says why, and the layers path runs
      const elu = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: [3, 3, 1] }), tfl.layers.dense({ units: 2, activation: 'elu', name: 'fc' })] });
      const fallback = await evaluateWithTta(elu, [{ x: tf.ones([2, 3, 3, 1]), y: tf.tensor1d([0, 1], 'int32') }], tta, {
        native: true,
        log: (l) => lines.push(l),
      });
      expect(fallback.forward).toBe('layers');
      expect(lines).toEqual([expect.stringMatching(/^TTA evaluation: layer by layer \(.*layer 'fc' of type Dense is not supported.*activation 'elu'/)]);
      tf.dispose([x, y]);
      net.dispose();
      elu.dispose();
    } finally {
      await selectBackend('cpu');
    }
    // not on onednn: the same note
    const lines: string[] = [];
    const model = tinyModel();
    const { x, y } = data(2);
    const r = await evaluateWithTta(model, [{ x, y }], { views: ['flip'], weights: [1] }, { native: true, log: (l) => lines.push(l) });
    expect(r.forward).toBe('layers');
    expect(lines).toEqual(["TTA evaluation: layer by layer (the native graph needs the 'onednn' backend, this one is 'cpu')"]);
    model.dispose();
  });
});
