import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { cifar10Net } from './cifar10-net.js';
import { summary } from './summary.js';

// `/usr/bin/python3 /work/shared/anchors/pytorch_reference.py params` (torch 1.13):
// {"model": "CIFAR10Net", "params": 3841610}.
const TORCH_CIFAR10NET_PARAMS = 3_841_610;

describe('cifar10Net', () => {
  it('has the chapter layers, shapes and the PyTorch parameter count', () => {
    const model = cifar10Net({ seed: 1 });
    const s = summary(model);
    const convs = ['1_1', '1_2', '2_1', '2_2', '3_1', '3_2', '3_3'];
    const expectedNames = [
      ...['1_1', '1_2'].flatMap((k) => [`conv${k}`, `bn${k}`, `relu${k}`]),
      'pool1',
      ...['2_1', '2_2'].flatMap((k) => [`conv${k}`, `bn${k}`, `relu${k}`]),
      'pool2',
      ...['3_1', '3_2', '3_3'].flatMap((k) => [`conv${k}`, `bn${k}`, `relu${k}`]),
      'pool3',
      'flatten',
      'fc1',
      'bn_fc1',
      'relu_fc1',
      'dropout',
      'fc2',
    ];
    expect(s.rows.map((r) => r.name)).toEqual(expectedNames);
    const shapeOf = (name: string) => s.rows.find((r) => r.name === name)!.outputShape;
    expect(shapeOf('conv1_2')).toEqual([null, 32, 32, 64]);
    expect(shapeOf('pool1')).toEqual([null, 16, 16, 64]);
    expect(shapeOf('pool2')).toEqual([null, 8, 8, 128]);
    expect(shapeOf('pool3')).toEqual([null, 4, 4, 256]);
    expect(shapeOf('flatten')).toEqual([null, 4096]);
    expect(shapeOf('fc2')).toEqual([null, 10]);
    // conv params: 3·3·in·out + out; e.g. conv1_1 = 27·64 + 64 = 1792, conv3_3 = 2304·256 + 256 = 590,080.
    const paramsOf = (name: string) => s.rows.find((r) => r.name === name)!.params;
    expect(convs.map((k) => paramsOf(`conv${k}`))).toEqual([1792, 36_928, 73_856, 147_584, 295_168, 590_080, 590_080]);
    expect(paramsOf('fc1')).toBe(4096 * 512 + 512);
    expect(paramsOf('fc2')).toBe(5130);
    expect(s.trainableParams).toBe(TORCH_CIFAR10NET_PARAMS);
    // running mean + variance of 64+64+128+128+256+256+256+512 channels
    expect(s.nonTrainableParams).toBe(2 * 1664);
  });

  it('maps [batch, 32, 32, 3] to [batch, numClasses] finite logits; numClasses changes only fc2', () => {
    const model = cifar10Net({ seed: 2, numClasses: 7 });
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 3);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([2, 7]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    expect(summary(model).trainableParams).toBe(TORCH_CIFAR10NET_PARAMS - 5130 + (512 * 7 + 7));
    tf.dispose([x, y]);
    model.dispose();
  });

  it('uses PyTorch default init bounds 1/sqrt(fanIn) and is reproducible per seed', () => {
    const a = cifar10Net({ seed: 5 });
    const b = cifar10Net({ seed: 5 });
    const w = (m: ReturnType<typeof cifar10Net>, layer: string) => m.getLayer(layer).getWeights()[0].dataSync() as Float32Array;
    for (const [layer, fanIn] of [
      ['conv1_1', 27],
      ['conv3_3', 2304],
      ['fc1', 4096],
      ['fc2', 512],
    ] as const) {
      const v = w(a, layer);
      const bound = 1 / Math.sqrt(fanIn);
      let max = 0;
      for (const x of v) max = Math.max(max, Math.abs(x));
      expect(max).toBeLessThanOrEqual(bound);
      expect(max).toBeGreaterThan(0.95 * bound);
      expect(Array.from(v.subarray(0, 16))).toEqual(Array.from(w(b, layer).subarray(0, 16)));
    }
    a.dispose();
    b.dispose();
  });

  it('rejects invalid options', () => {
    expect(() => cifar10Net({ numClasses: 0 })).toThrow(/numClasses/);
    expect(() => cifar10Net({ seed: 0.5 })).toThrow(/seed/);
  });
});
