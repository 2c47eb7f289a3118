import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, describe, expect, it } from 'vitest';
import { LambdaCallback } from './callback.js';
import { TrainError } from './errors.js';
import { resolveYieldEvery } from './event-loop.js';
import { evaluate, fit, type FitOptions } from './loop.js';
import { SGD } from './optimizers/sgd.js';
import { toyLoader } from './testing/toy.js';

function denseNet(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [6, 6, 1] }));
  m.add(tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
  return m;
}

/** Ticks of a 0 ms interval timer counted while `run` is inside `fit` (between onTrainBegin and onTrainEnd). */
async function ticksDuringFit(extra: Partial<FitOptions>): Promise<number> {
  let ticks = 0;
  let counting = false;
  const timer = setInterval(() => {
    if (counting) ticks += 1;
  }, 0);
  try {
    await fit(denseNet(), {
      train: toyLoader(32, 4, 1), // 8 batches
      validation: toyLoader(8, 4, 2),
      epochs: 2,
      optimizer: new SGD({ lr: 0.1 }),
      log: () => {},
      progress: 'none',
      callbacks: [
        new LambdaCallback({
          onTrainBegin: () => {
            counting = true;
          },
          onTrainEnd: () => {
            counting = false;
          },
        }),
      ],
      ...extra,
    });
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

describe('yielding to the event loop between batches', () => {
  const g = globalThis as { window?: unknown };
  afterEach(() => {
    delete g.window;
  });

  it('a timer keeps ticking during fit with yieldEvery: 1, and never without yielding', async () => {
    expect(await ticksDuringFit({ yieldEvery: 1 })).toBeGreaterThanOrEqual(10); // 16 training + 4 validation yields
    expect(await ticksDuringFit({ yieldEvery: 0 })).toBe(0); // the whole fit is one macrotask
  });

  it('is on by default where globalThis.window exists, off in Node', async () => {
    expect(resolveYieldEvery('fit', undefined)).toBe(0);
    expect(await ticksDuringFit({})).toBe(0);
    g.window = {};
    expect(resolveYieldEvery('fit', undefined)).toBe(1);
    expect(await ticksDuringFit({})).toBeGreaterThanOrEqual(10);
  });

  it('evaluate yields too', async () => {
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 0);
    const model = denseNet();
    const before = ticks;
    await evaluate(model, toyLoader(16, 2, 3), { yieldEvery: 2 }); // 8 batches → 4 yields
    const after = ticks;
    clearInterval(timer);
    expect(after - before).toBeGreaterThanOrEqual(2);
  });

  it('refuses a bad yieldEvery with a code', () => {
    let err: unknown;
    try {
      resolveYieldEvery('fit', -1);
    } catch (e) {
      err = e;
    }
    expect(TrainError.isInstance(err) && err.code).toBe('ERR_CNN_INVALID_OPTION');
  });
});
