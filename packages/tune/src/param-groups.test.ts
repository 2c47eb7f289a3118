import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { resnet18 } from '@cnn/models';
import { Adam, ParamGroupOptimizer as TrainParamGroupOptimizer, trainStep, trainableVariables } from '@cnn/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParamGroupOptimizer, stageParamGroups } from './param-groups.js';
import { toyImages } from './testing/toy-images.js';

beforeAll(() => tf.setBackend('cpu'));

describe('stageParamGroups', () => {
  it('ParamGroupOptimizer is re-exported from @cnn/train (one implementation)', () => {
    expect(ParamGroupOptimizer).toBe(TrainParamGroupOptimizer);
  });

  it('stageParamGroups gives ResNet stages decaying rates and trains a model through trainStep', async () => {
    const m = resnet18({ stem: 'cifar', baseWidth: 2, numClasses: 2, inputShape: [8, 8, 3], seed: 1 });
    const groups = stageParamGroups(m, { lr: 1e-2, decay: 0.5, optimizer: (lr) => new Adam({ lr }) });
    expect(groups.map((g) => g.name)).toEqual(['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head']);
    expect(groups.map((g) => g.optimizer.lr)).toEqual([1e-2 / 32, 1e-2 / 16, 1e-2 / 8, 1e-2 / 4, 1e-2 / 2, 1e-2]);
    expect(groups[5].params).toEqual(['fc/kernel', 'fc/bias']);
    const opt = new ParamGroupOptimizer(groups);
    const names = Object.keys(trainableVariables(m));
    expect(names.every((n) => opt.groupOf(n) >= 0)).toBe(true);
    const [batch] = [...(toyImages(8, 8, 1) as Iterable<{ x: tf.Tensor; y: tf.Tensor }>)];
    const l1 = (await trainStep(m, batch.x, batch.y, opt)).loss;
    const after = tf.memory().numTensors; // slots exist after the first step
    for (let i = 0; i < 5; i++) await trainStep(m, batch.x, batch.y, opt);
    expect(tf.memory().numTensors).toBe(after);
    const l2 = (await trainStep(m, batch.x, batch.y, opt)).loss;
    expect(l2).toBeLessThan(l1);
    tf.dispose([batch.x, batch.y]);
    opt.dispose();
    m.dispose();
  });
});
