import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cnn/backend-onednn';
import { Muon, SGD, trainableVariables, type TrainingContext } from '@cnn/train';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WhiteningBiasSchedule } from './airbench.js';
import { MuonLrSchedule, airbench94Muon, createMuonRecipeOptimizer, isConvFilter, isWhiteningBias, linearDecayFactor, muonCallbacks } from './airbench-muon.js';
import { CIFAR10_MUON_RECIPE } from './recipes.js';
import { resolveTrainConfig } from './config.js';
import { buildRun, createOptimizer } from './train-classifier.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const M = CIFAR10_MUON_RECIPE.muon!;

/** Unbiased standard deviation (PyTorch's `Tensor.std()`). */
function std(data: ArrayLike<number>): number {
  const values = Array.from(data);
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
}

describe('airbench94Muon', () => {
  it("rescales the head's kernel to standard deviation 1 and divides the logits by the last width", () => {
    const model = airbench94Muon({ seed: 0 });
    const head = model.getLayer('head').getWeights()[0]!;
    expect(head.shape).toEqual([256, 10]);
    expect(std(head.dataSync() as Float32Array)).toBeCloseTo(1, 5);
    expect(model.getLayer('scale').getConfig().scale).toBe(1 / 256);
    // the whitening bias: PyTorch's default Conv2d bias init U(±1/√12), not airbench94's zeros
    const bias = Array.from(
      model
        .getLayer('whiten')
        .weights.find((w) => w.originalName === 'whiten/bias')!
        .read()
        .dataSync(),
    );
    expect(bias).toHaveLength(24);
    expect(Math.max(...bias.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(12));
    expect(std(Float32Array.from(bias))).toBeGreaterThan(0.1); // U(±0.289) has std 0.167
    // the same seed gives the same head and bias, another seed other ones
    const small = (seed: number) => airbench94Muon({ seed, widths: { block1: 8, block2: 16, block3: 16 } });
    const [a, b, c] = [small(0), small(0), small(1)];
    expect(a.getLayer('scale').getConfig().scale).toBe(1 / 16);
    const weights = (m: typeof a) => [...m.getLayer('head').getWeights(), ...m.getLayer('whiten').getWeights()].map((w) => Array.from(w.dataSync()));
    expect(weights(b)).toEqual(weights(a));
    expect(weights(c)[0]).not.toEqual(weights(a)[0]);
    expect(weights(c)[1]).not.toEqual(weights(a)[1]); // the bias (trainable weights first)
    for (const m of [model, a, b, c]) m.dispose();
  });
});

describe('createMuonRecipeOptimizer', () => {
  it("puts airbench94's parameters in airbench94_muon's groups with its rates and weight decay", () => {
    const model = airbench94Muon({ seed: 0, widths: { block1: 8, block2: 16, block3: 16 } });
    const opt = createMuonRecipeOptimizer(M, { lr: CIFAR10_MUON_RECIPE.lr, momentum: CIFAR10_MUON_RECIPE.momentum, batchSize: 2000 });
    const byGroup: Record<string, string[]> = {};
    for (const name of Object.keys(trainableVariables(model))) (byGroup[opt.groups[opt.groupOf(name)]!.name] ??= []).push(name);
    expect(byGroup['whiten-bias']).toEqual(['whiten/bias']);
    expect(byGroup.head).toEqual(['head/kernel']);
    expect(byGroup['norm-biases']!.sort()).toEqual([
      'block1.norm1/beta',
      'block1.norm2/beta',
      'block2.norm1/beta',
      'block2.norm2/beta',
      'block3.norm1/beta',
      'block3.norm2/beta',
    ]);
    expect(byGroup.filters!.sort()).toEqual([
      'block1.conv1/kernel',
      'block1.conv2/kernel',
      'block2.conv1/kernel',
      'block2.conv2/kernel',
      'block3.conv1/kernel',
      'block3.conv2/kernel',
    ]);
    expect(opt.lr).toBe(0.24);
    const wd = 2e-6 * 2000; // the reference's wd = 2e-6 * batch_size
    const [whiten, norms, head, filters] = opt.groups.map((g) => g.optimizer);
    for (const [g, lr] of [
      [whiten, 0.053],
      [norms, 0.053],
      [head, 0.67],
    ] as const) {
      expect(g).toBeInstanceOf(SGD);
      expect(g).toMatchObject({ lr, weightDecay: wd / lr, momentum: 0.85, nesterov: true, dampening: 0 });
    }
    expect(filters).toBeInstanceOf(Muon);
    expect(filters).toMatchObject({ lr: 0.24, momentum: 0.6, nesterov: true, nsSteps: 3, normalizeWeights: true });
    expect(isWhiteningBias('whiten/kernel')).toBe(false);
    expect(isConvFilter('whiten/kernel')).toBe(false);
    expect(isConvFilter('head/kernel')).toBe(false);
    opt.dispose();
    model.dispose();
  });

  it('refuses bad settings with code ERR_CNN_INVALID_OPTION', () => {
    expect(() => createMuonRecipeOptimizer(M, { lr: 0, momentum: 0.6, batchSize: 2000 })).toThrow(expect.objectContaining({ code: 'ERR_CNN_INVALID_OPTION' }));
    expect(() => createMuonRecipeOptimizer({ ...M, headLr: -1 }, { lr: 0.24, momentum: 0.6, batchSize: 2000 })).toThrow(
      /expected positive lr, batchSize and group rates/,
    );
    expect(() => createMuonRecipeOptimizer(M, { lr: 0.24, momentum: 1, batchSize: 2000 })).toThrow(/momentum in \[0, 1\)/);
  });
});

describe('MuonLrSchedule', () => {
  it("sets every group to airbench94_muon's linear decay per step and the whitening bias' over its 3 epochs", () => {
    const opt = createMuonRecipeOptimizer(M, { lr: 0.24, momentum: 0.6, batchSize: 2000 });
    const cb = new MuonLrSchedule(0.24, M.whitenBiasLr, M.whitenBiasEpochs);
    cb.setContext({ optimizer: opt, params: { epochs: 8, initialEpoch: 0, steps: 25, totalSteps: 200 } } as unknown as TrainingContext);
    const v = { 'head/kernel': tf.variable(tf.zeros([2, 2])) };
    const g = { 'head/kernel': tf.zeros([2, 2]) };
    const lrs = (): number[] => opt.groups.map((x) => x.optimizer.lr);
    for (let step = 0; step < 200; step++) {
      cb.onBatchBegin();
      // the reference: group['lr'] = initial_lr * (1 - step / total_train_steps), whiten bias: / whiten_bias_train_steps (75)
      const f = 1 - step / 200;
      const expected = [step < 75 ? 0.053 * (1 - step / 75) : 0, 0.053 * f, 0.67 * f, 0.24 * f];
      lrs().forEach((lr, i) => expect(lr, `step ${step} group ${i}`).toBeCloseTo(expected[i]!, 12));
      expect(opt.lr).toBeCloseTo(0.24 * f, 12);
      opt.step(g, v);
    }
    tf.dispose([v['head/kernel'], g['head/kernel']]);
    opt.dispose();
    expect(linearDecayFactor(80, 75)).toBe(0);
  });

  it('refuses a loader without a length and an optimizer without the recipe groups', () => {
    const opt = createMuonRecipeOptimizer(M, { lr: 0.24, momentum: 0.6, batchSize: 2000 });
    const cb = new MuonLrSchedule(0.24, 0.053, 3);
    cb.setContext({ optimizer: opt, params: { epochs: 8, initialEpoch: 0 } } as unknown as TrainingContext);
    expect(() => cb.onBatchBegin()).toThrow(
      expect.objectContaining({ code: 'ERR_CNN_INVALID_OPTION', message: 'the muon recipe needs a training loader with a length' }),
    );
    cb.setContext({ optimizer: new SGD({ lr: 1 }), params: { epochs: 8, initialEpoch: 0, steps: 25, totalSteps: 200 } } as unknown as TrainingContext);
    expect(() => cb.onBatchBegin()).toThrow(/needs the optimizer of createMuonRecipeOptimizer/);
    opt.dispose();
  });

  it('muonCallbacks: the schedule and the whitening-bias freeze after 3 epochs, no Lookahead', () => {
    const cbs = muonCallbacks(M, 0.24);
    expect(cbs.map((c) => c.constructor.name)).toEqual(['MuonLrSchedule', 'WhiteningBiasSchedule']);
    expect((cbs[1] as WhiteningBiasSchedule).epochs).toBe(3);
  });
});

describe('buildRun for --recipe muon', () => {
  it("wires airbench94Muon, the recipe's optimizer groups and callbacks, and a summed label-smoothed loss", () => {
    const c = resolveTrainConfig({ source: 'cifar10', recipe: 'muon', widths: [8, 16, 16], batchSize: 500 });
    const plan = buildRun(c, 10);
    const model = plan.buildModel();
    expect(model.getLayer('scale').getConfig().scale).toBe(1 / 16);
    const opt = plan.createOptimizer() as ReturnType<typeof createMuonRecipeOptimizer>;
    expect(opt.groups.map((g) => [g.name, g.optimizer.type, g.optimizer.lr])).toEqual([
      ['whiten-bias', 'SGD', 0.053],
      ['norm-biases', 'SGD', 0.053],
      ['head', 'SGD', 0.67],
      ['filters', 'Muon', 0.24],
    ]);
    expect((opt.groups[2]!.optimizer as SGD).weightDecay).toBeCloseTo((2e-6 * 500) / 0.67, 15); // wd follows --batch-size
    expect(plan.callbacks().map((cb) => cb.constructor.name)).toEqual(['MuonLrSchedule', 'WhiteningBiasSchedule']);
    expect(plan.initModel).toBeUndefined(); // no training set given
    expect(plan.loss).toMatchObject({ labelSmoothing: 0.2, reduction: 'sum' });
    expect(plan.describe).toContain('weight decay 1.00e-3 per step; linear decay to 0 per batch');
    opt.dispose();
    model.dispose();
  });

  it("createOptimizer refuses 'muon' (code ERR_CNN_INVALID_OPTION)", () => {
    expect(() => createOptimizer({ optimizer: 'muon', lr: 0.24, momentum: 0.6, nesterov: true, weightDecay: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_CNN_INVALID_OPTION' }),
    );
  });
});
