import '@tensorflow/tfjs-backend-cpu';
import { DataLoader, createRng, type ImageDataset } from '@cnn/data';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AugmentedLoader } from './augmented-loader.js';
import { AlternatingFlip, RandomCrop } from './geometry.js';
import { Normalize } from './normalize.js';
import { Compose } from './transform.js';
import { toyDataset, values } from './testing/toy.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** numpy.pad(mode='reflect') index for an axis of length n (the edge is not repeated), written out independently. */
function reflect(i: number, n: number): number {
  let j = i;
  while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
  return j;
}

describe('random translation: RandomCrop(size, {padding, paddingMode: "reflect"})', () => {
  it('shift (−2, −2) of a 4×4 image equals the hand-computed reflect-padded crop', () => {
    const x = tf.tensor4d(
      Array.from({ length: 16 }, (_, i) => i),
      [1, 4, 4, 1],
    );
    const crop = new RandomCrop(4, { padding: 2, paddingMode: 'reflect' });
    // top = left = 0 in padded coordinates = a shift of −2 rows and −2 columns: rows/cols 2, 1, 0, 1
    const out = crop.apply(x, { top: Int32Array.of(0), left: Int32Array.of(0) });
    expect(values(out)).toEqual([10, 9, 8, 9, 6, 5, 4, 5, 2, 1, 0, 1, 6, 5, 4, 5]);
    // top = 4, left = 3: shift (+2, +1): rows 2, 3, 2 (reflected), 1; cols 1, 2, 3, 2
    const out2 = crop.apply(x, { top: Int32Array.of(4), left: Int32Array.of(3) });
    expect(values(out2)).toEqual([9, 10, 11, 10, 13, 14, 15, 14, 9, 10, 11, 10, 5, 6, 7, 6]);
    tf.dispose([x, out, out2]);
  });

  it('per-sample shifts are uniform integers in [−2, 2] on each axis, and every sample equals its reflect-pad crop', () => {
    const b = 400;
    const [h, w, c] = [6, 5, 2];
    const data = Float32Array.from({ length: b * h * w * c }, (_, i) => ((i * 7919) % 1000) / 1000);
    const x = tf.tensor4d(data, [b, h, w, c]);
    const crop = new RandomCrop([h, w], { padding: 2, paddingMode: 'reflect' });
    const p = crop.makeParams(createRng(3), x.shape);
    const counts = new Map<string, number>();
    for (let s = 0; s < b; s++) {
      const key = `${p.top[s] - 2},${p.left[s] - 2}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(25); // every (dy, dx) in [−2, 2]²
    for (const n of counts.values()) expect(n).toBeGreaterThan(4); // 16 expected each
    const out = crop.apply(x, p);
    const expected = new Float32Array(data.length);
    for (let s = 0; s < b; s++) {
      for (let y = 0; y < h; y++) {
        for (let xx = 0; xx < w; xx++) {
          const sy = reflect(y + p.top[s] - 2, h);
          const sx = reflect(xx + p.left[s] - 2, w);
          for (let ch = 0; ch < c; ch++) expected[((s * h + y) * w + xx) * c + ch] = data[((s * h + sy) * w + sx) * c + ch];
        }
      }
    }
    expect(values(out)).toEqual(Array.from(expected));
    tf.dispose([x, out]);
  });
});

const dataset = (n: number): ImageDataset => toyDataset(n, { height: 2, width: 3, channels: 1, offset: 11 });

/** Image `i` of the dataset as float32 `[2, 3]` rows, mirrored left–right when `flip`. */
function image(ds: ImageDataset, i: number, flip: boolean): number[] {
  const rows = [0, 1].map((r) => Array.from(ds.images.subarray(i * 6 + r * 3, i * 6 + r * 3 + 3), (v) => Math.fround(v / 255)));
  return rows.flatMap((row) => (flip ? row.reverse() : row));
}

describe('AlternatingFlip', () => {
  it('known answers: seed 0 bits of images 0–15, flipped iff b_i XOR (epoch odd)', () => {
    const f = new AlternatingFlip();
    const bits = [1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0];
    expect(Array.from({ length: 16 }, (_, i) => f.flipBit(i))).toEqual(bits);
    const indices = Int32Array.from({ length: 16 }, (_, i) => i);
    const rng = createRng(0);
    for (const epoch of [0, 1, 2, 3, 10, 11]) {
      const { flip } = f.makeParams(rng, [16, 1, 1, 1], { epoch, indices });
      expect(Array.from(flip), `epoch ${epoch}`).toEqual(bits.map((b) => b ^ (epoch % 2)));
    }
    expect(Array.from({ length: 16 }, (_, i) => new AlternatingFlip({ seed: 7 }).flipBit(i))).toEqual([1, 0, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 0]);
  });

  it("depends on the dataset index, not the batch position, and leaves the batch's random stream untouched", () => {
    const f = new AlternatingFlip({ seed: 5 });
    const rng = createRng(1);
    const a = f.makeParams(rng, [4, 1, 1, 1], { epoch: 0, indices: Int32Array.of(3, 9, 27, 81) }).flip;
    const b = f.makeParams(rng, [4, 1, 1, 1], { epoch: 0, indices: Int32Array.of(81, 27, 9, 3) }).flip;
    expect(Array.from(b)).toEqual(Array.from(a).reverse());
    expect(rng.getState()).toEqual(createRng(1).getState());
  });

  it('mirrors exactly the flagged images; in a shuffled AugmentedLoader every image alternates between epochs and a resumed loader repeats them', () => {
    const ds = dataset(10);
    const flip = new AlternatingFlip({ seed: 2 });
    const make = (): AugmentedLoader => new AugmentedLoader(new DataLoader(ds, { batchSize: 4, shuffle: true, seed: 9 }), new Compose([flip]), { seed: 4 });
    const seen = (aug: AugmentedLoader): Map<number, boolean> => {
      const out = new Map<number, boolean>();
      for (const { x, y, indices } of aug) {
        const v = values(x);
        indices!.forEach((i, s) => {
          const got = v.slice(s * 6, s * 6 + 6);
          const plain = image(ds, i, false);
          const mirrored = image(ds, i, true);
          expect(got.join() === plain.join() || got.join() === mirrored.join(), `image ${i}`).toBe(true);
          out.set(i, got.join() === mirrored.join());
        });
        tf.dispose([x, y]);
      }
      return out;
    };
    const aug = make();
    const epochs = [seen(aug), seen(aug), seen(aug)];
    for (let i = 0; i < 10; i++) {
      expect(epochs[0].get(i)).toBe(flip.flipBit(i) === 1);
      expect(epochs[1].get(i)).toBe(!epochs[0].get(i));
      expect(epochs[2].get(i)).toBe(epochs[0].get(i));
    }
    const resumed = make();
    resumed.setEpoch(1);
    expect(seen(resumed)).toEqual(epochs[1]);
  });

  it('is the identity in eval mode and needs the batch context in training', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
    const pipeline = new Compose([new AlternatingFlip(), new Normalize([0], [1])]);
    const e = pipeline.forward(x, createRng(0), { training: false });
    expect(values(e)).toEqual([1, 2, 3, 4, 5, 6]);
    const t = pipeline.forward(x, createRng(0), { epoch: 0, indices: Int32Array.of(0) }); // bit 1 at seed 0
    expect(values(t)).toEqual([3, 2, 1, 6, 5, 4]);
    expect(() => pipeline.forward(x, createRng(0))).toThrow(
      /AlternatingFlip: needs the batch's epoch \(integer >= 0\) and dataset indices \(Int32Array\).*Received: epoch=undefined, indices=undefined/,
    );
    expect(() => pipeline.forward(x, createRng(0), { epoch: 0, indices: Int32Array.of(0, 1) })).toThrow('AlternatingFlip: 2 indices for a batch of 1');
    expect(() => new AlternatingFlip({ seed: 1.5 })).toThrow('AlternatingFlip: seed must be a safe integer. Received: seed=1.5');
    tf.dispose([x, e, t]);
  });
});
