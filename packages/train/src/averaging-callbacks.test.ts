import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LookaheadCallback, ModelEmaCallback } from './averaging-callbacks.js';
import { LambdaCallback, type Callback } from './callback.js';
import { captureTrainingState, getModelWeights } from './checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from './node/checkpoint-files.js';
import './node/index.js';
import { fit } from './loop.js';
import { CrossEntropyLoss } from './loss.js';
import { SGD } from './optimizers/sgd.js';
import { toyLoader } from './testing/toy.js';
import { airbenchLookaheadAlpha } from './weight-averaging.js';

/** Dense net with batch norm (non-trainable running statistics) on `[b, 6, 6, 1]`. */
function bnNet(seed = 1): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [6, 6, 1], name: 'flatten' }));
  m.add(tfl.layers.dense({ units: 5, name: 'fc1', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  m.add(tfl.layers.batchNormalization({ name: 'bn' }));
  m.add(tfl.layers.dense({ units: 2, name: 'fc2', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

const weights = (m: tfl.LayersModel): Record<string, number[]> => Object.fromEntries(getModelWeights(m).map((w) => [w.name, Array.from(w.values)]));

/** Saves the whole state after `epoch` (what @cnn/callbacks' ModelCheckpoint does). */
function saver(dir: string, epoch: number): Callback {
  return new LambdaCallback(
    {
      async onEpochEnd(e) {
        if (e === epoch) await saveCheckpoint(dir, await captureTrainingState(this.context));
      },
    },
    { runsLast: true },
  );
}

describe('LookaheadCallback and ModelEmaCallback with fit', () => {
  const train = (): ReturnType<typeof toyLoader> => toyLoader(16, 4, 1); // 4 batches per epoch
  const test = (): ReturnType<typeof toyLoader> => toyLoader(4, 4, 2);
  const callbacks = (): [LookaheadCallback, ModelEmaCallback] => [
    new LookaheadCallback({ k: 3, alpha: airbenchLookaheadAlpha }),
    new ModelEmaCallback({ decay: (t) => Math.min(0.9, (1 + t) / (10 + t)) }),
  ];

  it('resume from a checkpoint is exact: same weights, slow weights and EMA as the uninterrupted 2.5-epoch run', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lookahead-')), 'run');
    const full = bnNet(3);
    const [la, ema] = callbacks();
    const hFull = await fit(full, {
      train: train(),
      validation: test(),
      epochs: 2.5,
      optimizer: new SGD({ lr: 0.2, momentum: 0.9, nesterov: true }),
      loss: new CrossEntropyLoss({ reduction: 'sum' }),
      callbacks: [la, ema, saver(dir, 1)],
      log: () => {},
      progress: 'none',
    });
    expect(la.steps).toBe(10); // 2.5 · 4 batches
    // finalize: after the last step the model holds the slow weights
    for (const [name, v] of Object.entries(weights(full))) {
      if (name.startsWith('bn/') || name.startsWith('fc')) expect(v, name).toEqual(Array.from(la.lookahead!.get(name)!.dataSync()));
    }
    const saved = await loadCheckpoint(dir);
    expect(Object.keys(saved.callbacks)).toEqual(['Lookahead', 'ModelEma']);
    expect((saved.callbacks.Lookahead as { step: number }).step).toBe(4);

    const resumed = bnNet(99); // another init: everything must come from the checkpoint
    const [la2, ema2] = callbacks();
    const hRes = await fit(resumed, {
      train: train(),
      validation: test(),
      epochs: 2.5,
      optimizer: new SGD({ lr: 0.2, momentum: 0.9, nesterov: true }),
      loss: new CrossEntropyLoss({ reduction: 'sum' }),
      callbacks: [la2, ema2],
      resume: dir,
      log: () => {},
      progress: 'none',
    });
    expect(hRes.map((e) => [e.loss, e.val_loss, e.batches])).toEqual(hFull.map((e) => [e.loss, e.val_loss, e.batches]));
    expect(weights(resumed)).toEqual(weights(full));
    expect(await la2.getState()).toEqual(await la.getState());
    expect((await la.getState())!.slow.weights.length).toBeGreaterThan(0);
    expect(await ema2.getState()).toEqual(await ema.getState());
    expect(ema2.ema!.updates).toBe(10);
    [la, ema, la2, ema2].forEach((c) => c.dispose());
  });

  it('changes training (θ differs from a run without it) and does not leak tensors across runs', async () => {
    const run = async (cbs: Callback[]): Promise<Record<string, number[]>> => {
      const m = bnNet(5);
      await fit(m, { train: train(), validation: test(), epochs: 2, optimizer: new SGD({ lr: 0.1 }), callbacks: cbs, log: () => {}, progress: 'none' });
      const w = weights(m);
      m.dispose();
      return w;
    };
    const plain = await run([]);
    const la = new LookaheadCallback({ k: 2, alpha: 0.5 });
    const withLa = await run([la]);
    expect(withLa['fc1/kernel']).not.toEqual(plain['fc1/kernel']);
    const n = tf.memory().numTensors;
    await run([la]); // the callback is reusable: the previous run's slow weights are replaced
    expect(tf.memory().numTensors).toBe(n);
    la.dispose();
  });

  it('validates options and needs totalSteps for a schedule', async () => {
    expect(() => new LookaheadCallback({ k: 1.5 })).toThrow('LookaheadCallback: k must be an integer >= 1. Received: k=1.5');
    expect(() => new LookaheadCallback({ alpha: 3 })).toThrow(/alpha must be a number in \[0, 1\] or a function/);
    expect(() => new ModelEmaCallback({ every: 0 })).toThrow('ModelEmaCallback: every must be an integer >= 1. Received: every=0');
    const noLength = {
      *[Symbol.iterator]() {
        yield* train() as Iterable<{ x: tf.Tensor; y: tf.Tensor }>;
      },
    };
    await expect(
      fit(bnNet(), {
        train: noLength,
        validation: test(),
        epochs: 1,
        optimizer: new SGD({ lr: 0.1 }),
        callbacks: [new LookaheadCallback({ alpha: airbenchLookaheadAlpha })],
        log: () => {},
        progress: 'none',
      }),
    ).rejects.toThrow('LookaheadCallback: an alpha schedule needs totalSteps (give it, or use a training loader with a length)');
  });
});
