import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { resnet18, replaceHead, summary, ModelEnsemble } from '@cnn/models';
import { Adam } from '@cnn/train';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainEnsemble } from './ensemble/train.js';
import { ParamGroupOptimizer, stageParamGroups } from './param-groups.js';
import { stagedFineTune } from './staged.js';
import { TuneError } from './errors.js';
import { toyImages } from './testing/toy-images.js';

beforeAll(() => tf.setBackend('cpu'));
const quiet = (): void => undefined;
const backbone = (seed = 1) => resnet18({ stem: 'cifar', baseWidth: 2, numClasses: 5, inputShape: [8, 8, 3], seed });

describe('stagedFineTune', () => {
  it('phase 1 trains the head only, phase 2 the last stage too, phase 3 everything', async () => {
    const m = replaceHead(backbone(), 2, { seed: 2 });
    const total = summary(m).trainableParams;
    const layer4 = summary(m)
      .rows.filter((r) => r.name.startsWith('layer4.'))
      .reduce((a, r) => a + r.trainable, 0);
    const conv = () => Array.from(m.getLayer('layer1.0.conv1').getWeights()[0].dataSync());
    const l4 = () => Array.from(m.getLayer('layer4.1.conv2').getWeights()[0].dataSync());
    const bnMean = () => Array.from(m.getLayer('layer1.0.bn1').getWeights()[2].dataSync());
    const c0 = conv();
    const l40 = l4();
    const bn0 = bnMean();
    const snapshots: number[][][] = [];
    const r = await stagedFineTune(m, {
      train: toyImages(16, 8, 1),
      validation: toyImages(8, 8, 2),
      log: quiet,
      progress: 'none',
      phases: [
        { name: 'head', epochs: 2, lr: 1e-2, trainable: 'head' },
        { name: 'last-stage', epochs: 1, lr: 1e-3, trainable: { lastStages: 1 } },
        { name: 'all', epochs: 1, lr: 1e-4, trainable: 'all' },
      ],
      optimizer: (lr, model, phase) => {
        snapshots.push([conv(), l4(), bnMean()]);
        return phase.name === 'all' ? new ParamGroupOptimizer(stageParamGroups(model, { lr, optimizer: (x) => new Adam({ lr: x }) })) : new Adam({ lr });
      },
    });
    expect(r.phases.map((p) => [p.name, p.trainableParams, p.history.length])).toEqual([
      ['head', 2 * 16 + 2, 2],
      ['last-stage', 2 * 16 + 2 + layer4, 1],
      ['all', total, 1],
    ]);
    expect(r.history.map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    // after phase 1 (snapshot at the start of phase 2): backbone and frozen BN statistics untouched
    expect(snapshots[1][0]).toEqual(c0);
    expect(snapshots[1][1]).toEqual(l40);
    expect(snapshots[1][2]).toEqual(bn0);
    // after phase 2: layer4 moved, layer1 did not
    expect(snapshots[2][1]).not.toEqual(l40);
    expect(snapshots[2][0]).toEqual(c0);
    // after phase 3: everything trains
    expect(conv()).not.toEqual(c0);
    expect(summary(m).trainableParams).toBe(total); // unfrozen at the end
    await expect(
      stagedFineTune(m, { train: toyImages(8, 8, 1), validation: toyImages(8, 8, 2), phases: [{ name: 'x', epochs: 0, lr: 1, trainable: 'all' }], log: quiet }),
    ).rejects.toThrow("stagedFineTune: phase 'x': epochs must be an integer >= 1. Received: epochs=0");
    m.dispose();
  });
});

describe('trainEnsemble', () => {
  it('trains members with their seeds and returns a soft-voting ensemble', async () => {
    const r = await trainEnsemble({
      members: [
        { name: 'resnet-a', seed: 1, build: (seed) => resnet18({ stem: 'cifar', baseWidth: 2, numClasses: 2, inputShape: [8, 8, 3], seed }) },
        {
          name: 'resnet-b',
          seed: 2,
          build: (seed) => resnet18({ stem: 'cifar', baseWidth: 2, numClasses: 2, inputShape: [8, 8, 3], seed }),
          optimizer: () => new Adam({ lr: 3e-3 }),
        },
      ],
      data: (seed) => ({ train: toyImages(16, 8, seed), validation: toyImages(8, 8, 99) }),
      epochs: 2,
      log: quiet,
      progress: 'none',
    });
    expect(r.ensemble).toBeInstanceOf(ModelEnsemble);
    expect(r.members.map((m) => [m.name, m.seed, m.history.length])).toEqual([
      ['resnet-a', 1, 2],
      ['resnet-b', 2, 2],
    ]);
    // different seeds → different weights
    const w = r.ensemble.members.map((m) => m.getLayer('fc').getWeights()[0].dataSync()[0]);
    expect(w[0]).not.toBe(w[1]);
    const ev = await r.ensemble.evaluate(toyImages(8, 8, 99));
    expect(ev.members.map((m) => m.accuracy)).toEqual(r.members.map((m) => m.val_accuracy));
    expect(ev.samples).toBe(8);
    r.ensemble.dispose();
    await expect(trainEnsemble({ members: [], data: () => ({ train: [], validation: [] }), epochs: 1 })).rejects.toThrow(/members must be a non-empty array/);
  });

  it('scores members on validation and refuses data with a test set but no validation set (ERR_CNN_SELECT_ON_TEST)', async () => {
    const member = { name: 'tiny', seed: 3, build: (seed: number) => resnet18({ stem: 'cifar', baseWidth: 2, numClasses: 2, inputShape: [8, 8, 3], seed }) };
    const onTest = (seed: number) => ({ train: toyImages(16, 8, seed), test: toyImages(8, 8, 99) });
    const err = await trainEnsemble({ members: [member], data: onTest as never, epochs: 1, log: quiet, progress: 'none' }).catch((e: unknown) => e);
    expect((err as TuneError).code).toBe('ERR_CNN_SELECT_ON_TEST');
    expect((err as Error).message).toMatch(/^trainEnsemble: data\(3\) for member 'tiny' has test batches but no validation batches/);
    expect(TuneError.isInstance(err)).toBe(true);
  });
});
