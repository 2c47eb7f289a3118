import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { OnednnBackend } from './backend.js';
import './index.js';
import { rand } from './parity-helpers.js';

let backend: OnednnBackend;

/** The buffer behind a tensor, read without marking it escaped (unlike dataSync). */
const raw = (t: tf.Tensor): Float32Array => backend.data.get(t.dataId).values as Float32Array;

/** Number of indices where `a` and `b` differ (cheap to report, unlike a diff of large arrays). */
function mismatches(a: Float32Array, b: Float32Array | undefined): number {
  if (!b || a.length !== b.length) return -1;
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) n++;
  return n;
}

beforeAll(async () => {
  await tf.setBackend('onednn');
  backend = tf.backend() as OnednnBackend;
});

afterEach(() => {
  backend.maxPoolBytes = 256 * 1024 * 1024;
});

describe('output buffer pool', () => {
  it('reuses the buffer of a disposed native output for the next output of that length', () => {
    const x = rand([16, 32, 32, 4], 1); // 65536 elements
    const a = tf.relu(x);
    const bufA = raw(a).buffer;
    a.dispose();
    const hits = backend.poolStats().hits;
    const b = tf.relu(x);
    expect(raw(b).buffer).toBe(bufA);
    expect(backend.poolStats().hits).toBe(hits + 1);
    // a stale buffer must be fully overwritten: b equals relu computed by the JS reference
    const ref = tf.maximum(x, tf.zerosLike(x));
    expect(mismatches(raw(b), raw(ref))).toBe(0);
    tf.dispose([x, b, ref]);
  });

  it("never hands a survivor's buffer to a new output (mixed kernels, random disposal)", () => {
    const startTensors = tf.memory().numTensors;
    const x = rand([8, 16, 16, 8], 2);
    const w = rand([3, 3, 8, 8], 3);
    const live: tf.Tensor[] = [];
    const expected = new Map<tf.Tensor, Float32Array>();
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 8; i++) {
        const k = i % 4;
        const t = tf.tidy(() =>
          k === 0
            ? tf.relu(tf.add(x, i))
            : k === 1
              ? tf.mul(x, i + 1)
              : k === 2
                ? tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')
                : tf.maxPool(x as tf.Tensor4D, 1, 1, 'same'),
        );
        live.push(t);
        expected.set(t, Float32Array.from(raw(t)));
      }
      // dispose a random half of the live tensors, then check the survivors are intact and unshared
      for (let i = live.length - 1; i >= 0; i--) {
        if (rnd() < 0.5) {
          expected.delete(live[i]!);
          live[i]!.dispose();
          live.splice(i, 1);
        }
      }
      const buffers = new Set(live.map((t) => raw(t).buffer));
      expect(buffers.size).toBe(live.length);
      for (const t of live) expect(mismatches(raw(t), expected.get(t))).toBe(0);
    }
    expect(backend.poolStats().hits).toBeGreaterThan(0);
    tf.dispose([...live, x, w]);
    // the tf.add/tf.mul scalar operands and intermediates are gone too
    expect(tf.memory().numTensors).toBe(startTensors);
  });

  it('keeps arrays returned by dataSync/data intact after dispose (escaped, never recycled)', async () => {
    const x = rand([64, 1024], 4);
    const a = tf.relu(x);
    const view = a.dataSync() as Float32Array;
    const b = tf.tidy(() => tf.relu(tf.neg(x)));
    const viewB = (await b.data()) as Float32Array;
    const copy = Float32Array.from(view);
    const copyB = Float32Array.from(viewB);
    tf.dispose([a, b]);
    const others = [1, 2, 3, 4].map((i) => tf.mul(x, -i)); // same length, would reuse a's/b's buffers
    expect(mismatches(view, copy)).toBe(0);
    expect(mismatches(viewB, copyB)).toBe(0);
    for (const o of others) {
      expect(raw(o).buffer).not.toBe(view.buffer);
      expect(raw(o).buffer).not.toBe(viewB.buffer);
    }
    tf.dispose([x, ...others]);
  });

  it('waits for every dataId sharing a buffer (reshape, clone, slice views) before recycling it', () => {
    const x = rand([32, 32, 32], 5); // 32768 elements
    const a = tf.relu(x);
    const r = tf.reshape(a, [1024, 32]);
    const c = a.clone();
    const s = tf.slice(a, [1, 0, 0], [1, 32, 32]); // the JS kernel may return a subarray view of a's buffer
    const expectedA = Float32Array.from(raw(a));
    const expectedS = Float32Array.from(raw(s));
    a.dispose();
    r.dispose();
    const b = tf.tidy(() => tf.relu(tf.neg(x)));
    expect(raw(b).buffer).not.toBe(raw(c).buffer);
    expect(mismatches(raw(c), expectedA)).toBe(0);
    c.dispose();
    const d = tf.mul(x, 3);
    expect(mismatches(raw(s), expectedS)).toBe(0);
    tf.dispose([s, b, d, x]);
  });

  it('never recycles arrays it did not allocate (a user array given to tf.tensor)', () => {
    const user = new Float32Array(8192).fill(2);
    const t = tf.tensor2d(user, [64, 128]);
    t.dispose();
    const x = rand([64, 128], 6);
    const outs = [1, 2, 3].map((i) => tf.mul(x, i));
    for (const o of outs) expect(raw(o).buffer).not.toBe(user.buffer);
    expect(user.every((v) => v === 2)).toBe(true);
    tf.dispose([x, ...outs]);
  });

  it('rejects a bad pool bound', () => {
    expect(() => new OnednnBackend(backend.binding, -1)).toThrow(/maxPoolBytes must be a finite number/);
    expect(() => new OnednnBackend(backend.binding, Number.NaN)).toThrow(/maxPoolBytes/);
  });

  it('bounds the free list to maxPoolBytes (least recently used lengths evicted)', () => {
    backend.clearPool();
    backend.maxPoolBytes = 100_000;
    const inputs = [8192, 8192, 16384, 4096, 12288].map((n, i) => rand([n], 10 + i));
    tf.dispose(inputs.map((t) => tf.relu(t)));
    const stats = backend.poolStats();
    expect(stats.freeBytes).toBeLessThanOrEqual(100_000);
    expect(stats.freeBytes).toBeGreaterThan(0);
    // the most recent length (12288 floats) survived the eviction, the oldest (8192) did not
    const hits = stats.hits;
    const y = tf.relu(inputs[4]!);
    expect(backend.poolStats().hits).toBe(hits + 1);
    const z = tf.relu(inputs[0]!);
    expect(backend.poolStats().hits).toBe(hits + 1);
    tf.dispose([y, z, ...inputs]);
  });
});
