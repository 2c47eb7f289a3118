import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
// biome-ignore lint/correctness/useImportExtensions: a JSON fixture keeps its own extension
import fixture from './__fixtures__/torchvision-functional.json';
import { ColorJitter } from './color-jitter.js';
import { Cutout, RandomErasing } from './erasing.js';
import { RandomAffine, RandomCrop, RandomHorizontalFlip, RandomRotation, RandomVerticalFlip } from './geometry.js';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from './kernels/color.js';
import { affineWarp, inverseAffineMatrix, padCrop } from './kernels/geometry.js';
import { CutMix, MixUp, sampleBeta } from './mix.js';
import { Normalize } from './normalize.js';
import { augmentationPreview } from './node/preview.js';
import { Compose } from './transform.js';
import { values } from './testing/toy.js';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
/** A deterministic batch `[b, h, w, 3]` in [0, 1]. */
const batch = (b: number, h = 8, w = 8) =>
  tf.tensor4d(
    Float32Array.from({ length: b * h * w * 3 }, (_, i) => ((i * 37) % 101) / 100),
    [b, h, w, 3],
  );

describe('colour kernels match torchvision.transforms.functional (fixture)', () => {
  const img = tf.tensor4d(fixture.image, [1, fixture.height, fixture.width, 3]);
  const kernels = { brightness: adjustBrightness, contrast: adjustContrast, saturation: adjustSaturation, hue: adjustHue };
  for (const c of fixture.color) {
    it(`${c.op}(${c.factor})`, () => {
      const out = kernels[c.op as keyof typeof kernels](img, [c.factor]);
      expect(maxAbsDiff(out.dataSync(), c.out)).toBeLessThan(2e-6);
      out.dispose();
    });
  }
  it('brightness 1 is exactly the identity; hue shift wraps around (−0.5 ≡ 0.5, pure red + 1/3 → green)', () => {
    expect(values(adjustBrightness(img, [1]))).toEqual(values(img));
    expect(maxAbsDiff(adjustHue(img, [0.5]).dataSync(), adjustHue(img, [-0.5]).dataSync())).toBeLessThan(1e-6);
    const red = tf.tensor4d([1, 0, 0], [1, 1, 1, 3]);
    expect(maxAbsDiff(adjustHue(red, [1 / 3]).dataSync(), [0, 1, 0])).toBeLessThan(1e-6);
    expect(maxAbsDiff(adjustHue(red, [-1 / 3]).dataSync(), [0, 0, 1])).toBeLessThan(1e-6);
  });
});

describe('geometry', () => {
  const sq = tf.tensor4d(fixture.square.image, [1, 5, 5, 3]);
  it('rotation and affine match torchvision F.rotate / F.affine (nearest, fill 0)', () => {
    for (const c of fixture.square.cases) {
      const m =
        c.op === 'rotate'
          ? inverseAffineMatrix(-c.angle, [0, 0], 1, [0, 0])
          : inverseAffineMatrix(c.angle, c.translate as [number, number], c.scale!, c.shear as [number, number]);
      const out = affineWarp(sq, m).dataSync();
      // Exact for ±90° and the affine case; at 30° two of 25 pixels sit on a nearest-neighbour rounding tie
      // that tfjs and grid_sample break differently, so up to 2 pixels may differ there.
      let differing = 0;
      for (let i = 0; i < 25; i++) if (maxAbsDiff(out.subarray(3 * i, 3 * i + 3), c.out.slice(3 * i, 3 * i + 3)) > 1e-6) differing++;
      expect(differing, `${c.op} ${c.angle}`).toBeLessThanOrEqual(c.angle === 30 ? 2 : 0);
    }
  });
  it('a 90° rotation is a transpose plus a vertical flip', () => {
    const x = batch(2, 6, 6);
    const rot = new RandomRotation([90, 90]);
    const out = rot.apply(x, rot.makeParams(createRng(0), x.shape));
    const expected = tf.reverse(tf.transpose(x, [0, 2, 1, 3]), 1);
    expect(maxAbsDiff(out.dataSync(), expected.dataSync())).toBe(0);
  });
  it('flipping twice is the identity; p=1 flips every sample', () => {
    const x = batch(3);
    const f = new RandomHorizontalFlip(1);
    const once = f.apply(x, f.makeParams(createRng(1), x.shape));
    expect(values(once)).toEqual(values(tf.reverse(x, 2)));
    expect(values(f.apply(once, f.makeParams(createRng(2), x.shape)))).toEqual(values(x));
    const v = new RandomVerticalFlip(1);
    expect(values(v.apply(x, v.makeParams(createRng(1), x.shape)))).toEqual(values(tf.reverse(x, 1)));
  });
  it('crops at known offsets with constant, reflect and edge padding', () => {
    // one-channel 3×3 image 1..9
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    // window top-left (0, 0) in the padded image = original (−1, −1)
    expect(values(padCrop(x, [0], [0], 3, 3, 1, 'constant', -1))).toEqual([-1, -1, -1, -1, 1, 2, -1, 4, 5]);
    expect(values(padCrop(x, [0], [0], 3, 3, 1, 'reflect'))).toEqual([5, 4, 5, 2, 1, 2, 5, 4, 5]);
    expect(values(padCrop(x, [0], [0], 3, 3, 1, 'edge'))).toEqual([1, 1, 2, 1, 1, 2, 4, 4, 5]);
    expect(values(padCrop(x, [2], [1], 2, 2, 1, 'constant'))).toEqual([4, 5, 7, 8]);
    const crop = new RandomCrop(32, { padding: 4 });
    const p = crop.makeParams(createRng(3), [64, 32, 32, 3]);
    expect(Math.max(...p.top)).toBeLessThanOrEqual(8);
    expect(new Set(p.left).size).toBeGreaterThan(5);
    expect(() => new RandomCrop(4, { paddingMode: 'wrap' as never })).toThrow(/paddingMode/);
    expect(() => crop.makeParams(createRng(0), [1, 16, 16, 3])).toThrow(/larger than the padded image 24×24/);
  });
});

describe('ColorJitter', () => {
  it('applies each sample its own order and factors, equal to the torchvision ops in that order', () => {
    const x = batch(6);
    const cj = new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
    const p = cj.makeParams(createRng(7), x.shape);
    const out = cj.apply(x, p);
    const ops = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
    for (let s = 0; s < 6; s++) {
      let ref = tf.slice(x, [s, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      for (let r = 0; r < 4; r++) {
        const op = p.order[s * 4 + r];
        ref = ops[op](ref, [p.factors[op][s]]);
      }
      expect(maxAbsDiff(tf.slice(out, [s, 0, 0, 0], [1, -1, -1, -1]).dataSync(), ref.dataSync())).toBeLessThan(1e-5);
    }
    const orders = new Set(Array.from({ length: 6 }, (_, s) => p.order.slice(s * 4, s * 4 + 4).join('')));
    expect(orders.size).toBeGreaterThan(1);
    expect(p.factors[0].every((f) => f >= 0.6 && f <= 1.4)).toBe(true);
    expect(p.factors[3].every((f) => f >= -0.1 && f <= 0.1)).toBe(true);
  });
  it('is the identity with zero ranges and rejects bad ranges', () => {
    const x = batch(2);
    const cj = new ColorJitter({ brightness: 0 });
    expect(values(cj.apply(x, cj.makeParams(createRng(0), x.shape)))).toEqual(values(x));
    expect(() => new ColorJitter({ hue: 0.6 })).toThrow(/hue must lie in \[-0.5, 0.5\]/);
    expect(() => new ColorJitter({ brightness: -1 })).toThrow(/brightness/);
  });
});

describe('Compose, seeds, eval mode and leaks', () => {
  const pipeline = new Compose([
    new RandomCrop(8, { padding: 2, paddingMode: 'reflect' }),
    new RandomHorizontalFlip(),
    new ColorJitter({ brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.05 }),
    new RandomAffine(10, { translate: [0.1, 0.1], scale: [0.9, 1.1], shear: 5 }),
    new RandomErasing({ p: 0.5 }),
    new Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]),
  ]);
  it('same seed → same batch, other seed → different; eval applies only Normalize', () => {
    const x = batch(4);
    const a = pipeline.forward(x, createRng(11));
    const b = pipeline.forward(x, createRng(11));
    const c = pipeline.forward(x, createRng(12));
    expect(values(a)).toEqual(values(b));
    expect(maxAbsDiff(a.dataSync(), c.dataSync())).toBeGreaterThan(0.1);
    const e = pipeline.forward(x, createRng(11), { training: false });
    expect(maxAbsDiff(e.dataSync(), values(tf.div(tf.sub(x, 0.5), 0.25)))).toBeLessThan(1e-6);
    tf.dispose([a, b, c, e, x]);
  });
  it('leaks no tensors', () => {
    const x = batch(4);
    pipeline.forward(x, createRng(0)).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) pipeline.forward(x, createRng(i)).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});

describe('erasing and mixing', () => {
  it('RandomErasing / Cutout set a rectangle to the value', () => {
    const x = tf.ones([3, 10, 10, 1]) as tf.Tensor4D;
    const er = new RandomErasing({ p: 1, value: 0 });
    const p = er.makeParams(createRng(5), x.shape);
    const out = er.apply(x, p);
    for (let s = 0; s < 3; s++) {
      const [, , h, w] = p.boxes.slice(s * 4, s * 4 + 4);
      expect(h * w).toBeGreaterThan(0);
      const zeros = values(tf.slice(out, [s, 0, 0, 0], [1, -1, -1, -1])).filter((v) => v === 0).length;
      expect(zeros).toBe(h * w);
    }
    const cut = new Cutout(4);
    const q = cut.makeParams(createRng(1), x.shape);
    const z = values(cut.apply(x, q)).filter((v) => v === 0).length;
    expect(z).toBe([0, 1, 2].reduce((acc, s) => acc + q.boxes[s * 4 + 2] * q.boxes[s * 4 + 3], 0));
  });
  it('MixUp and CutMix give soft labels [b, k] that sum to 1 and match the pixel mix', () => {
    const x = tf.tensor4d(
      Float32Array.from({ length: 2 * 8 * 8 }, (_, i) => (i < 64 ? 0 : 1)),
      [2, 8, 8, 1],
    );
    const y = tf.tensor1d([3, 7], 'int32');
    const mu = new MixUp(0.4, 10);
    const mp = mu.makeParams(createRng(2));
    const m = mu.apply(x, y, mp);
    expect(m.y.shape).toEqual([2, 10]);
    const my = m.y.arraySync();
    expect(my[0][3]).toBeCloseTo(mp.lambda, 6);
    expect(my[0][7]).toBeCloseTo(1 - mp.lambda, 6);
    expect(m.x.dataSync()[0]).toBeCloseTo(1 - mp.lambda, 6);
    const cm = new CutMix(1, 10);
    const cp = cm.makeParams(createRng(4), x.shape);
    const c = cm.apply(x, y, cp);
    const ones = values(tf.slice(c.x, [0, 0, 0, 0], [1, -1, -1, -1])).filter((v) => v === 1).length;
    expect(1 - ones / 64).toBeCloseTo(cp.lambda, 6);
    expect(values(tf.sum(c.y, 1))).toEqual([1, 1]);
    // Beta(α, α) has mean 1/2
    const rng = createRng(9);
    const mean = Array.from({ length: 4000 }, () => sampleBeta(rng, 0.4, 0.4)).reduce((a, v) => a + v, 0) / 4000;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.03);
  });
});

describe('augmentationPreview', () => {
  it('renders original + 8 draws per image as a PNG grid', async () => {
    const x = batch(2, 8, 8);
    const png = await augmentationPreview(x, new Compose([new RandomCrop(8, { padding: 2 }), new RandomHorizontalFlip()]), { scale: 2 });
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', (9 * 9 - 1) * 2, (2 * 9 - 1) * 2]);
  });
});
