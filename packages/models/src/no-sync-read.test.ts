import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelEnsemble } from './ensemble.js';
import { dirac } from './init.js';
import { type NoSyncReadBackend, useNoSyncReadBackend } from '@cnn/testing';
import { initWhiteningAsync, patchWhitening, patchWhiteningAsync, whiteningConv2d } from './whitening.js';

let backend: NoSyncReadBackend;
let restore: () => Promise<void>;
beforeAll(async () => {
  ({ backend, restore } = await useNoSyncReadBackend('cpu-no-sync-read-models'));
});
afterAll(async () => {
  await restore();
});

/** The same computation on the plain cpu backend (synchronous reads allowed). */
async function onCpu<T>(fn: () => T | Promise<T>): Promise<T> {
  const name = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return await fn();
  } finally {
    await tf.setBackend(name);
  }
}

describe('@cnn/models on a backend without synchronous reads', () => {
  it('Dirac builds its kernel without reading: the identity filters, and the same draw as on cpu elsewhere', async () => {
    const k = dirac({ seed: 7 }).apply([3, 3, 2, 5]);
    const v = Array.from(await k.data());
    const ref = await onCpu(() => Array.from(dirac({ seed: 7 }).apply([3, 3, 2, 5]).dataSync()));
    expect(backend.syncReads).toBe(0);
    expect(v).toEqual(ref);
    // centre (1, 1), input channel i → output filter i is 1; other positions of filters 0–1 are 0
    const at = (y: number, x: number, i: number, o: number): number => v[((y * 3 + x) * 2 + i) * 5 + o];
    expect([at(1, 1, 0, 0), at(1, 1, 1, 1), at(1, 1, 0, 1), at(0, 0, 0, 0)]).toEqual([1, 1, 0, 0]);
    expect(Math.abs(at(0, 0, 0, 4))).toBeLessThanOrEqual(1 / Math.sqrt(18));
    k.dispose();
  });

  it('patchWhiteningAsync / initWhiteningAsync give the bank patchWhitening gives on cpu; the sync one throws here', async () => {
    const px = Array.from({ length: 3 * 5 * 5 * 3 }, (_, i) => ((i * 7919) % 97) / 97 - 0.5);
    const images = tf.tensor4d(px, [3, 5, 5, 3]);
    const r = await patchWhiteningAsync(images, { maxImages: 2 });
    const ref = await onCpu(() => {
      const t = tf.tensor4d(px, [3, 5, 5, 3]);
      const out = patchWhitening(t, { maxImages: 2 });
      const kernel = Array.from(out.kernel.dataSync());
      tf.dispose([t, out.kernel]);
      return { kernel, eigenvalues: Array.from(out.eigenvalues), patches: out.patches };
    });
    expect(Array.from(await r.kernel.data())).toEqual(ref.kernel);
    expect(Array.from(r.eigenvalues)).toEqual(ref.eigenvalues);
    expect(r.patches).toBe(2 * 4 * 4);
    expect(backend.syncReads).toBe(0);
    expect(() => patchWhitening(images)).toThrow(/synchronous reads are not supported/);
    backend.syncReads = 0;

    const model = tfl.sequential({ layers: [whiteningConv2d({ inputShape: [5, 5, 3], name: 'whiten' })] });
    const info = await initWhiteningAsync(model, images, { maxImages: 2 });
    expect(info.patches).toBe(32);
    const kernel = model
      .getLayer('whiten')
      .getWeights()
      .find((w) => w.rank === 4)!;
    expect(Array.from(await kernel.data())).toEqual(ref.kernel);
    expect(backend.syncReads).toBe(0);
    expect(() => patchWhiteningAsync(images, { eps: 0 })).toThrow(/eps must be a finite number > 0. Received: eps=0/);
    await expect(patchWhiteningAsync(tf.fill([1, 2, 2, 1], Number.NaN) as tf.Tensor4D)).rejects.toThrow(/images must be finite/);
    tf.dispose([images, r.kernel]);
    model.dispose();
  });

  it('ModelEnsemble.evaluate counts with asynchronous reads (known answer)', async () => {
    const member = (name: string, logits: number[]): tfl.LayersModel => {
      const m = tfl.sequential({ name });
      m.add(tfl.layers.flatten({ inputShape: [1, 1, 1] }));
      m.add(tfl.layers.dense({ units: logits.length, useBias: false, name: `${name}_out` }));
      m.getLayer(`${name}_out`).setWeights([tf.tensor2d([logits])]);
      return m;
    };
    const ens = new ModelEnsemble([member('a', [4, 0, 0]), member('b', [0, 1, 0]), member('c', [0, 1.2, 0])], { voting: 'hard', names: ['A', 'B', 'C'] });
    const r = await ens.evaluate([{ x: tf.ones([4, 1, 1, 1]), y: tf.tensor1d([1, 1, 1, 0], 'int32') }]);
    expect(backend.syncReads).toBe(0);
    expect(r).toEqual({
      accuracy: 0.75,
      samples: 4,
      members: [
        { name: 'A', accuracy: 0.25 },
        { name: 'B', accuracy: 0.75 },
        { name: 'C', accuracy: 0.75 },
      ],
    });
    ens.dispose();
  });
});
