import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { resnet18 } from '@cnn/models';
import { Adam, SGD, trainStep, trainableVariables } from '@cnn/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { ParamGroupOptimizer, stageParamGroups } from './param-groups';
import { toyImages } from './test-utils';

beforeAll(() => tf.setBackend('cpu'));

describe('ParamGroupOptimizer', () => {
  it('applies each group its own lr (SGD: w ← w − lr_g·g) and rescales groups when lr is set', () => {
    const a = tf.variable(tf.tensor1d([1, 1]), true, 'pg_a');
    const b = tf.variable(tf.tensor1d([1, 1]), true, 'pg_b');
    const opt = new ParamGroupOptimizer([
      { name: 'backbone', params: ['a'], optimizer: new SGD({ lr: 0.01 }) },
      { name: 'head', params: /^b$/, optimizer: new SGD({ lr: 0.1 }) },
    ]);
    expect(opt.lr).toBe(0.1);
    const g = { a: tf.tensor1d([1, 2]), b: tf.tensor1d([1, 2]) };
    opt.step(g, { a, b });
    expect(Array.from(a.dataSync())).toEqual([0.99, 0.98].map((v) => Math.fround(v)));
    expect(Array.from(b.dataSync())).toEqual([0.9, 0.8].map((v) => Math.fround(v)));
    opt.lr = 0.05; // a scheduler halves the base lr → every group halves
    expect(opt.groups.map((x) => x.optimizer.lr)).toEqual([0.005, 0.05]);
    expect(() => opt.step({ c: g.a }, { c: a })).toThrow("ParamGroupOptimizer: parameter 'c' is in no group (groups: backbone, head)");
    expect(opt.iterations).toBe(1);
    tf.dispose([a, b, g.a, g.b]);
  });

  it('getState/setState round-trips the inner Adam states (same next update as uninterrupted)', () => {
    const make = (): ParamGroupOptimizer => new ParamGroupOptimizer([
      { params: ['w'], optimizer: new Adam({ lr: 1e-2 }) },
      { params: () => true, optimizer: new Adam({ lr: 1e-3 }) },
    ]);
    const w1 = tf.variable(tf.tensor1d([0.5, -0.5]));
    const v1 = tf.variable(tf.tensor1d([2]));
    const w2 = tf.variable(tf.tensor1d([0.5, -0.5]));
    const v2 = tf.variable(tf.tensor1d([2]));
    const g = { w: tf.tensor1d([0.3, -0.1]), v: tf.tensor1d([1]) };
    const o1 = make();
    o1.step(g, { w: w1, v: v1 });
    o1.step(g, { w: w1, v: v1 });
    const o2 = make();
    o2.step(g, { w: w2, v: v2 });
    const restored = make();
    restored.setState(JSON.parse(JSON.stringify(o2.getState(), (_k, val) => (val instanceof Float32Array ? Array.from(val) : val))));
    restored.step(g, { w: w2, v: v2 });
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w1.dataSync()));
    expect(Array.from(v2.dataSync())).toEqual(Array.from(v1.dataSync()));
    expect(restored.iterations).toBe(2);
    expect(() => restored.setState({ ...o2.getState(), type: 'Adam' })).toThrow(/state is for 'Adam', expected 'ParamGroups'/);
    tf.dispose([w1, v1, w2, v2, g.w, g.v]);
  });

  it('stageParamGroups gives ResNet stages decaying rates and trains a model through trainStep', () => {
    const m = resnet18({ stem: 'cifar', baseWidth: 2, numClasses: 2, inputShape: [8, 8, 3], seed: 1 });
    const groups = stageParamGroups(m, { lr: 1e-2, decay: 0.5, optimizer: (lr) => new Adam({ lr }) });
    expect(groups.map((g) => g.name)).toEqual(['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'head']);
    expect(groups.map((g) => g.optimizer.lr)).toEqual([1e-2 / 32, 1e-2 / 16, 1e-2 / 8, 1e-2 / 4, 1e-2 / 2, 1e-2]);
    expect(groups[5].params).toEqual(['fc/kernel', 'fc/bias']);
    const opt = new ParamGroupOptimizer(groups);
    const names = Object.keys(trainableVariables(m));
    expect(names.every((n) => opt.groupOf(n) >= 0)).toBe(true);
    const [batch] = [...(toyImages(8, 8, 1) as Iterable<{ x: tf.Tensor; y: tf.Tensor }>)];
    const l1 = trainStep(m, batch.x, batch.y, opt).loss;
    const after = tf.memory().numTensors; // slots exist after the first step
    for (let i = 0; i < 5; i++) trainStep(m, batch.x, batch.y, opt);
    expect(tf.memory().numTensors).toBe(after);
    const l2 = trainStep(m, batch.x, batch.y, opt).loss;
    expect(l2).toBeLessThan(l1);
    tf.dispose([batch.x, batch.y]);
    opt.dispose();
    m.dispose();
  });
});
