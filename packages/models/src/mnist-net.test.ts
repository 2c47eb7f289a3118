import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { improvedMnistNet, mnistNet } from './mnist-net.js';
import { formatSummary, summary } from './summary.js';

// Parameter counts printed by `/usr/bin/python3 /work/shared/anchors/pytorch_reference.py params`
// (torch 1.13): {"model": "MNISTNet", "params": 184586}, {"model": "ImprovedMNISTNet", "params": 391370}.
const TORCH_PARAMS = { MNISTNet: 184_586, ImprovedMNISTNet: 391_370 };

function weight(model: ReturnType<typeof mnistNet>, layer: string, index: number): Float32Array {
  return model.getLayer(layer).getWeights()[index].dataSync() as Float32Array;
}

describe('mnistNet', () => {
  it('has the chapter layers, shapes and PyTorch parameter count', () => {
    const model = mnistNet({ seed: 1 });
    const s = summary(model);
    expect(s.rows.map((r) => r.name)).toEqual(['conv1', 'pool1', 'conv2', 'pool2', 'flatten', 'fc1', 'dropout', 'fc2']);
    expect(s.rows.map((r) => r.outputShape)).toEqual([
      [null, 24, 24, 32],
      [null, 12, 12, 32],
      [null, 8, 8, 64],
      [null, 4, 4, 64],
      [null, 1024],
      [null, 128],
      [null, 128],
      [null, 10],
    ]);
    expect(s.rows.map((r) => r.params)).toEqual([832, 0, 51_264, 0, 0, 131_200, 0, 1290]);
    expect(s.trainableParams).toBe(TORCH_PARAMS.MNISTNet);
    expect(s.nonTrainableParams).toBe(0);
    expect(s.totalParams).toBe(184_586);
    expect(model.getLayer('conv1').getConfig().activation).toBe('relu');
    expect(model.getLayer('fc2').getConfig().activation).toBe('linear');
    const text = formatSummary(s);
    expect(text).toContain('conv1 (Conv2D)');
    expect(text).toContain('Trainable params: 184,586');
    expect(text).toContain('Non-trainable params: 0');
  });

  it('maps [batch, 28, 28, 1] to [batch, numClasses] logits', () => {
    const model = mnistNet({ seed: 2, numClasses: 7 });
    const y = model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor;
    expect(y.shape).toEqual([2, 7]);
    // zero input → conv outputs relu(bias); both rows identical and finite
    const v = y.dataSync();
    expect(Array.from(v.slice(0, 7))).toEqual(Array.from(v.slice(7)));
    expect(v.every(Number.isFinite)).toBe(true);
    tf.dispose(y);
  });

  it('uses PyTorch default init: U(-1/sqrt(fanIn), 1/sqrt(fanIn)) for kernels and biases, seeded', () => {
    const a = mnistNet({ seed: 42 });
    const fanIn: Record<string, number> = { conv1: 25, conv2: 800, fc1: 1024, fc2: 128 };
    for (const [layer, fi] of Object.entries(fanIn)) {
      const bound = 1 / Math.sqrt(fi);
      for (const idx of [0, 1]) {
        const w = weight(a, layer, idx);
        const max = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(max).toBeLessThanOrEqual(bound + 1e-7);
        // many draws come close to the bound, so the bound is the one in use (not a smaller one)
        expect(max).toBeGreaterThan(bound * (w.length > 100 ? 0.98 : 0.7));
        const mean = w.reduce((s, v) => s + v, 0) / w.length;
        if (w.length > 1000) expect(Math.abs(mean)).toBeLessThan(bound * 0.05);
      }
    }
    const b = mnistNet({ seed: 42 });
    const c = mnistNet({ seed: 43 });
    expect(Array.from(weight(b, 'conv2', 0))).toEqual(Array.from(weight(a, 'conv2', 0)));
    expect(Array.from(weight(b, 'fc1', 1))).toEqual(Array.from(weight(a, 'fc1', 1)));
    expect(Array.from(weight(c, 'conv2', 0))).not.toEqual(Array.from(weight(a, 'conv2', 0)));
    // kernel and bias of one layer are different streams
    expect(weight(a, 'fc2', 0)[0]).not.toBe(weight(a, 'fc2', 1)[0]);
  });

  it("uses glorot-uniform / zeros with init: 'keras'", () => {
    const m = mnistNet({ seed: 3, init: 'keras' });
    const bound = Math.sqrt(6 / (1024 + 128));
    const w = weight(m, 'fc1', 0);
    const max = w.reduce((acc, v) => Math.max(acc, Math.abs(v)), 0);
    expect(max).toBeLessThanOrEqual(bound + 1e-7);
    expect(max).toBeGreaterThan(bound * 0.98);
    expect(weight(m, 'fc1', 1).every((v) => v === 0)).toBe(true);
  });

  it('rejects bad options with the field name', () => {
    expect(() => mnistNet({ numClasses: 0 })).toThrow(/numClasses/);
    expect(() => mnistNet({ seed: 1.5 })).toThrow(/seed/);
    expect(() => mnistNet({ init: 'he' as never })).toThrow(/init/);
  });
});

describe('improvedMnistNet', () => {
  it('has the chapter layers and PyTorch trainable count, running stats non-trainable', () => {
    const model = improvedMnistNet({ seed: 1 });
    const s = summary(model);
    expect(s.rows.map((r) => r.name)).toEqual([
      'conv1',
      'bn1',
      'relu1',
      'pool1',
      'conv2',
      'bn2',
      'relu2',
      'pool2',
      'conv3',
      'bn3',
      'relu3',
      'pool3',
      'flatten',
      'fc1',
      'bn_fc',
      'relu_fc',
      'dropout',
      'fc2',
    ]);
    expect(s.rows.find((r) => r.name === 'pool3')!.outputShape).toEqual([null, 3, 3, 128]);
    expect(s.rows.find((r) => r.name === 'flatten')!.outputShape).toEqual([null, 1152]);
    const bn1 = s.rows.find((r) => r.name === 'bn1')!;
    expect([bn1.type, bn1.params, bn1.trainable]).toEqual(['BatchNorm', 128, 64]);
    expect(s.trainableParams).toBe(TORCH_PARAMS.ImprovedMNISTNet);
    expect(s.nonTrainableParams).toBe(2 * (32 + 64 + 128 + 256));
    expect(s.totalParams).toBe(391_370 + 960);
    expect(formatSummary(s)).toContain('Non-trainable params: 960');
  });

  it('runs forward in train and eval mode', () => {
    const model = improvedMnistNet({ seed: 5 });
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 9);
    const y1 = model.apply(x, { training: true }) as tf.Tensor;
    const y2 = model.predict(x) as tf.Tensor;
    expect(y1.shape).toEqual([2, 10]);
    expect(y2.shape).toEqual([2, 10]);
    expect(y2.dataSync().every(Number.isFinite)).toBe(true);
    tf.dispose([x, y1, y2]);
  });
});
