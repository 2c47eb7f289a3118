import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { improvedMnistNet } from '../mnist-net.js';
import { summary } from '../summary.js';
import { mobilenetV2 } from '../zoo/mobilenet-v2.js';
import { resnet18 } from '../zoo/resnet.js';
import { findHead, replaceHead } from './head.js';
import { freezeAllButHead, freezeLayers, freezeStages, modelStages, trainableLayerNames, unfreezeAll, unfreezeStages } from './freeze.js';

beforeAll(() => tf.setBackend('cpu'));
const small = () => resnet18({ stem: 'cifar', baseWidth: 4, numClasses: 10, inputShape: [8, 8, 3], seed: 3 });

describe('replaceHead', () => {
  it('swaps fc for a numClasses head with the same name, sharing the backbone', () => {
    const m = small();
    const conv = m.getLayer('layer1.0.conv1').getWeights()[0].dataSync().slice();
    const n = replaceHead(m, 4, { seed: 1 });
    expect(n.outputs[0].shape).toEqual([null, 4]);
    expect(findHead(n).name).toBe('fc');
    expect(n.getLayer('fc').getWeights()[0].shape).toEqual([32, 4]);
    expect(Array.from(n.getLayer('layer1.0.conv1').getWeights()[0].dataSync())).toEqual(Array.from(conv));
    // trainable count = old count - 32*10-10 + 32*4+4
    expect(summary(n).trainableParams).toBe(summary(m).trainableParams - 330 + 132);
    const y = tf.tidy(() => n.apply(tf.ones([2, 8, 8, 3])) as tf.Tensor);
    expect(y.shape).toEqual([2, 4]);
    y.dispose();
    n.dispose();
    expect(() => replaceHead(small(), 0)).toThrow(/numClasses must be a positive integer/);
  });
});

describe('stages and freezing', () => {
  it('ResNet stages follow torchvision (stem, layer1..layer4, head)', () => {
    const m = small();
    const stages = modelStages(m);
    expect(stages.map((s) => s.name)).toEqual(['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head']);
    expect(stages[0].layers).toEqual(['conv1', 'bn1', 'relu']);
    expect(stages[4].layers).toContain('avgpool');
    m.dispose();
  });

  it('MobileNetV2 and the chapter nets get stages too', () => {
    const mb = mobilenetV2({ inputShape: [32, 32, 3] });
    expect(modelStages(mb).map((s) => s.name)).toEqual(['stem', 'stage1', 'stage2', 'stage3', 'stage4', 'stage5', 'stage6', 'stage7', 'head']);
    mb.dispose();
    const imp = improvedMnistNet();
    expect(modelStages(imp).map((s) => s.name)).toEqual(['block1', 'block2', 'block3', 'classifier', 'head']);
    imp.dispose();
  });

  it('freezeAllButHead leaves only fc trainable; frozen BatchNorm keeps its running stats in training mode', () => {
    const m = small();
    freezeAllButHead(m);
    expect(trainableLayerNames(m)).toEqual(['fc']);
    expect(summary(m).trainableParams).toBe(32 * 10 + 10);
    const bn = m.getLayer('layer1.0.bn1');
    const mean = bn.getWeights()[2].dataSync().slice();
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 5);
    const train = tf.tidy(() => m.apply(x, { training: true }) as tf.Tensor);
    const infer = tf.tidy(() => m.apply(x, { training: false }) as tf.Tensor);
    // frozen BN → inference mode even with training: true
    expect(Array.from(train.dataSync())).toEqual(Array.from(infer.dataSync()));
    expect(Array.from(bn.getWeights()[2].dataSync())).toEqual(Array.from(mean));
    unfreezeStages(m, ['layer4', 'head']);
    expect(trainableLayerNames(m).every((n) => n.startsWith('layer4.') || n === 'fc')).toBe(true);
    tf.tidy(() => m.apply(x, { training: true }) as tf.Tensor);
    expect(Array.from(bn.getWeights()[2].dataSync())).toEqual(Array.from(mean)); // layer1 still frozen
    const bn4 = m.getLayer('layer4.1.bn2');
    const before = bn4.getWeights()[2].dataSync().slice();
    tf.tidy(() => m.apply(x, { training: true }) as tf.Tensor);
    expect(Array.from(bn4.getWeights()[2].dataSync())).not.toEqual(Array.from(before)); // layer4 BN trains
    unfreezeAll(m);
    expect(summary(m).nonTrainableParams).toBe(summary(small()).nonTrainableParams);
    tf.dispose([x, train, infer]);
    m.dispose();
  });

  it('freeze by layer names, pattern and stage; unknown names are errors', () => {
    const m = small();
    expect(freezeLayers(m, /^layer1\./).length).toBeGreaterThan(5);
    expect(freezeLayers(m, ['conv1'])).toEqual(['conv1']);
    freezeStages(m, ['layer2']);
    expect(trainableLayerNames(m).some((n) => /^(conv1|layer1\.|layer2\.)/.test(n))).toBe(false);
    expect(() => freezeLayers(m, ['nope'])).toThrow("freezeLayers: model 'resnet18' has no layer(s) nope");
    expect(() => freezeStages(m, ['layer9'])).toThrow(/freezeStages: unknown stage\(s\) layer9; model 'resnet18' has stem, layer1/);
    m.dispose();
  });
});
