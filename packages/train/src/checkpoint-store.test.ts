import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { LambdaCallback } from './callback.js';
import { captureTrainingState, getModelWeights } from './checkpoint.js';
import { checkpointStore, ioCheckpointStore } from './checkpoint-store.js';
import { fit } from './loop.js';
import { Adam } from './optimizers/adam.js';
import { toyLoader } from './testing/toy.js';

function denseNet(seed: number): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [6, 6, 1] }));
  m.add(tfl.layers.dense({ units: 4, activation: 'tanh', name: 'fc1', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  m.add(tfl.layers.dense({ units: 2, name: 'fc2', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

/** An in-memory tfjs IO handler pair, as `indexeddb://` would store the artifacts (the browser path). */
function memoryHandlers(): { save: tf.io.IOHandler; load: tf.io.IOHandler; saved: () => tf.io.ModelArtifacts | undefined } {
  let stored: tf.io.ModelArtifacts | undefined;
  return {
    save: tf.io.withSaveHandler(async (a) => {
      stored = structuredClone(a);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
    load: {
      load: async () => {
        if (!stored) throw new Error('nothing stored');
        return stored;
      },
    },
    saved: () => stored,
  };
}

describe('checkpoints through tfjs IO handlers', () => {
  it('round-trips a training state and resumes fit exactly', async () => {
    const handlers = memoryHandlers();
    const store = ioCheckpointStore(handlers);
    expect(await store.exists()).toBe(false);
    const saver = new LambdaCallback(
      {
        async onEpochEnd(e) {
          if (e === 2) await store.save(await captureTrainingState(this.context));
        },
      },
      { runsLast: true },
    );
    const full = denseNet(3);
    const hFull = await fit(full, {
      train: toyLoader(16, 4, 1),
      validation: toyLoader(4, 4, 2),
      epochs: 3,
      optimizer: new Adam({ lr: 0.02 }),
      callbacks: [saver],
      log: () => {},
      progress: 'none',
    });
    expect((handlers.saved()?.modelTopology as { format?: string })?.format).toBe('cnn-train-checkpoint');
    expect(await store.exists()).toBe(true);
    const state = await store.load();
    expect(state.epoch).toBe(2);
    const resumed = denseNet(99);
    const hRes = await fit(resumed, {
      train: toyLoader(16, 4, 1),
      validation: toyLoader(4, 4, 2),
      epochs: 3,
      optimizer: new Adam({ lr: 0.02 }),
      resume: store,
      log: () => {},
      progress: 'none',
    });
    expect(hRes.map((e) => [e.loss, e.val_loss])).toEqual(hFull.map((e) => [e.loss, e.val_loss]));
    expect(getModelWeights(resumed).map((w) => Array.from(w.values))).toEqual(getModelWeights(full).map((w) => Array.from(w.values)));
  });

  it('resolves tfjs IO URLs, and explains what to import for folder paths', () => {
    expect(() => checkpointStore('runs/ckpt')).toThrow(/no checkpoint store for 'runs\/ckpt'.*import '@cnn\/train\/node'/);
    expect(checkpointStore('http://localhost:1/ckpt').description).toBe('http://localhost:1/ckpt');
  });
});
