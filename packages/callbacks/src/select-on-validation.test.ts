import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { Adam, fit, ReduceLROnPlateau, SGD, type CheckpointStore, type TrainingState } from '@cnn/train';
import { EarlyStopping } from './early-stopping.js';
import { CallbackError } from './errors.js';
import { LRSchedulerCallback } from './lr-scheduler.js';
import { ModelCheckpoint } from './model-checkpoint.js';
import { toyLoaders, toyNet } from './testing/toy.js';

/** An in-memory checkpoint store that counts saves. */
function memoryStore(): CheckpointStore & { saved: TrainingState[] } {
  const saved: TrainingState[] = [];
  return {
    saved,
    description: 'memory',
    exists: async () => saved.length > 0,
    save: async (s: TrainingState) => void saved.push(s),
    load: async () => saved[saved.length - 1]!,
  } as CheckpointStore & { saved: TrainingState[] };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(CallbackError.isInstance(e)).toBe(true);
    return (e as CallbackError).code;
  }
  return undefined;
}

const quiet = { log: () => {}, progress: 'none' as const };

describe('selecting callbacks select on validation, never on test', () => {
  it('refuse a test_* monitor at construction (ERR_CNN_SELECT_ON_TEST)', () => {
    expect(codeOf(() => new EarlyStopping({ monitor: 'test_accuracy' }))).toBe('ERR_CNN_SELECT_ON_TEST');
    expect(codeOf(() => new ModelCheckpoint(memoryStore(), { monitor: 'test_loss', saveBestOnly: true }))).toBe('ERR_CNN_SELECT_ON_TEST');
    const opt = new SGD({ lr: 0.1 });
    expect(codeOf(() => new LRSchedulerCallback(new ReduceLROnPlateau(opt), { monitor: 'test_loss' }))).toBe('ERR_CNN_SELECT_ON_TEST');
    expect(() => new EarlyStopping({ monitor: 'test_loss' })).toThrow(/pass a validation set .* monitor 'val_loss'/);
    // a periodic checkpoint only records the value: allowed
    expect(() => new ModelCheckpoint(memoryStore(), { monitor: 'test_loss' })).not.toThrow();
  });

  it('a val_* monitor without fit({ validation }) fails at the first epoch end (ERR_CNN_MISSING_METRIC)', async () => {
    const { train } = toyLoaders(16, 8);
    for (const cb of [
      new EarlyStopping({ monitor: 'val_loss' }),
      new ModelCheckpoint(memoryStore(), { monitor: 'val_accuracy', saveBestOnly: true }),
      new LRSchedulerCallback((o) => new ReduceLROnPlateau(o)),
    ]) {
      const err = await fit(toyNet(), { train, epochs: 1, optimizer: new Adam(), callbacks: [cb], ...quiet }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(CallbackError.isInstance(err), cb.constructor.name).toBe(true);
      expect((err as CallbackError).code).toBe('ERR_CNN_MISSING_METRIC');
      expect((err as Error).message).toMatch(/pass fit\(\{ validation \}\)/);
    }
  });

  it('with validation and evalEvery the monitors skip the epochs that were not evaluated', async () => {
    const { train, validation } = toyLoaders(16, 8);
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 5 });
    const store = memoryStore();
    const best = new ModelCheckpoint(store, { monitor: 'val_loss', saveBestOnly: true, log: () => {} });
    const h = await fit(toyNet(), { train, validation, epochs: 4, evalEvery: 2, optimizer: new Adam({ lr: 0.01 }), callbacks: [es, best], ...quiet });
    expect(h.map((e) => e.evaluated === false)).toEqual([true, false, true, false]);
    expect(es.bestEpoch % 2).toBe(0); // only evaluated epochs can be best
    expect(es.wait).toBeLessThanOrEqual(1); // counted on the 2 evaluated epochs only
    expect(store.saved.map((s) => s.epoch).every((e) => e % 2 === 0)).toBe(true);
    expect(store.saved.length).toBeGreaterThanOrEqual(1);
  });
});
