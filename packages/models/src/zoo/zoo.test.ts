import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { summary } from '../summary.js';
import { densenet121, densenetCifar } from './densenet.js';
import { mobilenetV2 } from './mobilenet-v2.js';
import { resnet, resnet18, resnet34, resnet50 } from './resnet.js';

// Counts from Debian's python3-torchvision 0.14 (sum of parameters().numel(), and of the BN buffers
// running_mean/running_var, for 1000 classes).
const TORCHVISION: [string, () => tfl.LayersModel, number, number][] = [
  ['resnet18', () => resnet18({ numClasses: 1000 }), 11_689_512, 9_600],
  ['resnet34', () => resnet34({ numClasses: 1000 }), 21_797_672, 17_024],
  ['resnet50', () => resnet50({ numClasses: 1000 }), 25_557_032, 53_120],
  ['densenet121', () => densenet121({ numClasses: 1000 }), 7_978_856, 83_648],
  ['mobilenet_v2', () => mobilenetV2({ numClasses: 1000 }), 3_504_872, 34_112],
];

describe('zoo parameter counts equal torchvision', () => {
  beforeAll(() => tf.setBackend('cpu'));
  for (const [name, build, trainable, buffers] of TORCHVISION) {
    it(name, () => {
      const m = build();
      const s = summary(m);
      expect(s.trainableParams).toBe(trainable);
      expect(s.nonTrainableParams).toBe(buffers);
      m.dispose();
    });
  }
});

describe('zoo forward passes', () => {
  it('CIFAR-stem ResNet-18 and DenseNet-BC map [2, 32, 32, 3] to [2, 10] logits, no leaks', () => {
    for (const build of [() => resnet18({ stem: 'cifar', baseWidth: 4, seed: 1 }), () => densenetCifar({ growthRate: 4, blockConfig: [1, 1, 1], seed: 1 })]) {
      const m = build();
      const before = tf.memory().numTensors;
      const y = tf.tidy(() => m.apply(tf.ones([2, 32, 32, 3]), { training: false }) as tf.Tensor);
      expect(y.shape).toEqual([2, 10]);
      expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
      y.dispose();
      expect(tf.memory().numTensors).toBe(before);
      m.dispose();
    }
  });

  it('ImageNet stem halves twice (7×7/2 + pool) and uses torchvision names', () => {
    const m = resnet({ block: 'basic', layers: [1, 1], baseWidth: 4, inputShape: [32, 32, 3], numClasses: 3 });
    expect(m.getLayer('maxpool').outputShape).toEqual([null, 8, 8, 4]);
    expect(m.getLayer('layer2.0.conv1').outputShape).toEqual([null, 4, 4, 8]);
    expect(m.getLayer('layer2.0.downsample.0').outputShape).toEqual([null, 4, 4, 8]);
    expect(m.outputs[0].shape).toEqual([null, 3]);
    m.dispose();
  });

  it('rejects bad options with the field name', () => {
    expect(() => resnet({ block: 'basic', layers: [] })).toThrow(/layers must be a non-empty array/);
    expect(() => resnet18({ baseWidth: 0 })).toThrow(/baseWidth must be a positive integer/);
    expect(() => resnet18({ inputShape: [32, 32] as unknown as [number, number, number] })).toThrow(/inputShape/);
    expect(() => mobilenetV2({ numClasses: 0 })).toThrow(/numClasses/);
  });
});
