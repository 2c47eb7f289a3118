import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelEnsemble } from './ensemble.js';
import { airbenchTta, applyTtaView, predictTta, resolveTta, type TtaOptions } from './tta.js';
import { expectClose as close } from './testing/close.js';

// scripts/airbench-fixtures.py: airbench's infer (tta_level 0, 1, 2) on a linear model over NHWC-flattened pixels.
const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/airbench-torch.json', import.meta.url), 'utf8'));

/** A model returning its input's pixels, `[batch, h·w·c]` (NHWC order), so views can be read off directly. */
function pixels(shape: [number, number, number]): tfl.LayersModel {
  return tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: shape })] });
}

/** A linear classifier `flatten(x) · kernel`. */
function linear(shape: [number, number, number], kernel: number[], units: number): tfl.LayersModel {
  const m = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: shape }), tfl.layers.dense({ units, useBias: false })] });
  m.layers[1].setWeights([tf.tensor2d(kernel, [shape[0] * shape[1] * shape[2], units])]);
  return m;
}

describe('predictTta', () => {
  const image = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 4, 1]); // [[1, 2, 3, 4], [5, 6, 7, 8]]
  const px = pixels([2, 4, 1]);
  const one = (view: TtaOptions): number[] => Array.from((predictTta(px, image, view) as tf.Tensor).dataSync());

  it('computes each view as by hand (reflect padding, flip after the shift)', () => {
    expect(one({ views: ['identity'] })).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(one({ views: ['flip'] })).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    expect(one({ views: [{ translate: [0, 1] }] })).toEqual([2, 1, 2, 3, 6, 5, 6, 7]); // right: column −1 mirrors column 1
    expect(one({ views: [{ translate: [0, -1] }] })).toEqual([2, 3, 4, 3, 6, 7, 8, 7]); // left
    expect(one({ views: [{ translate: [1, 0] }] })).toEqual([5, 6, 7, 8, 1, 2, 3, 4]); // down
    expect(one({ views: [{ translate: [0, 1], flip: true }] })).toEqual([3, 2, 1, 2, 7, 6, 5, 6]);
    expect(one({ views: [{}] })).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // weighted mean: ¾ identity + ¼ shifted-and-flipped
    close(
      one({ views: ['identity', { translate: [0, 1], flip: true }], weights: [3, 1] }),
      [1, 2, 3, 4, 5, 6, 7, 8].map((v, i) => 0.75 * v + 0.25 * [3, 2, 1, 2, 7, 6, 5, 6][i]),
      1e-6,
    );
    const shifted = applyTtaView(image, { translate: [-1, 2], flip: false });
    expect(Array.from(shifted.dataSync())).toEqual([7, 6, 5, 6, 3, 2, 1, 2]);
    shifted.dispose();
  });

  it('equals mirrorPad(reflect) + slice + reverse exactly for every shift and flip on a 5×6 image', () => {
    const x = tf.tensor4d(
      Array.from({ length: 2 * 5 * 6 * 3 }, (_, i) => Math.sin(i) * 10),
      [2, 5, 6, 3],
    );
    for (let dy = -4; dy <= 4; dy++) {
      for (let dx = -5; dx <= 5; dx++) {
        for (const flip of [false, true]) {
          const want = tf.tidy(() => {
            const padded = tf.mirrorPad(
              x,
              [
                [0, 0],
                [Math.max(dy, 0), Math.max(-dy, 0)],
                [Math.max(dx, 0), Math.max(-dx, 0)],
                [0, 0],
              ],
              'reflect',
            );
            const shifted = tf.slice(padded, [0, Math.max(-dy, 0), Math.max(-dx, 0), 0], [2, 5, 6, 3]);
            return flip ? tf.reverse(shifted, 2) : shifted;
          });
          const got = applyTtaView(x, { translate: [dy, dx], flip });
          expect(Array.from(got.dataSync()), `dy=${dy} dx=${dx} flip=${flip}`).toEqual(Array.from(want.dataSync()));
          tf.dispose([got, want]);
        }
      }
    }
    expect(() => applyTtaView(x, { translate: [5, 0], flip: false })).toThrow(/smaller than the image \(5×6/);
    x.dispose();
  });

  it("matches airbench's infer at tta_level 0, 1 and 2", () => {
    const f = fixture.tta;
    const shape = f.shape.slice(1) as [number, number, number];
    const m = linear(shape, f.kernel, f.numClasses);
    const x = tf.tensor4d(f.x, f.shape);
    for (const level of [0, 1, 2] as const) {
      const y = predictTta(m, x, airbenchTta(level));
      expect(y.shape).toEqual([f.shape[0], f.numClasses]);
      close(y.dataSync(), f[`level${level}`], 1e-5);
      y.dispose();
    }
    const preset = airbenchTta(2);
    expect(preset.weights).toEqual([0.25, 0.25, 0.125, 0.125, 0.125, 0.125]);
    expect(preset.weights.reduce((a, b) => a + b, 0)).toBe(1);
    expect(() => airbenchTta(3 as 2)).toThrow(/level must be 0, 1 or 2. Received: level=3/);
    x.dispose();
  });

  it('normalises weights (default uniform), batches large inputs, and leaks nothing', () => {
    const f = fixture.tta;
    const shape = f.shape.slice(1) as [number, number, number];
    const m = linear(shape, f.kernel, f.numClasses);
    expect(resolveTta('t', { views: ['identity', 'flip', { translate: [1, 1] }] }).weights).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(resolveTta('t', { views: ['identity', 'flip'], weights: [2, 6] }).weights).toEqual([0.25, 0.75]);
    const x = tf.randomNormal([10, ...shape], 0, 1, 'float32', 2) as tf.Tensor4D;
    const opts = airbenchTta(2);
    const whole = predictTta(m, x, { ...opts, batchSize: 100 });
    const doubled = predictTta(m, x, { ...opts, weights: opts.weights.map((w) => 2 * w), batchSize: 100 });
    close(doubled.dataSync(), whole.dataSync(), 1e-6);
    const sizes: number[] = [];
    const apply = m.apply.bind(m);
    m.apply = ((t: tf.Tensor, kw?: object) => {
      sizes.push(t.shape[0]);
      return apply(t, kw);
    }) as typeof m.apply;
    const before = tf.memory().numTensors;
    const chunked = predictTta(m, x, { ...opts, batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(sizes).toEqual([3, 3, 3, 1].flatMap((s) => new Array(6).fill(s)));
    close(chunked.dataSync(), whole.dataSync(), 1e-5);
    // the default views are identity + flip, equal weights
    m.apply = apply;
    const dflt = predictTta(m, x);
    close(dflt.dataSync(), predictTta(m, x, airbenchTta(1)).dataSync(), 1e-6);
    tf.dispose([x, whole, doubled, chunked, dflt]);
  });

  it('runs per member and combines by the ensemble rule for ModelEnsemble', () => {
    const f = fixture.tta;
    const shape = f.shape.slice(1) as [number, number, number];
    const a = linear(shape, f.kernel, f.numClasses);
    const b = linear(
      shape,
      f.kernel.map((v: number) => -0.5 * v),
      f.numClasses,
    );
    const x = tf.tensor4d(f.x, f.shape);
    const ens = new ModelEnsemble([a, b], { weights: [3, 1] });
    const opts = { ...airbenchTta(2), batchSize: 1 };
    const before = tf.memory().numTensors;
    const p = predictTta(ens, x, opts);
    expect(tf.memory().numTensors).toBe(before + 1);
    const want = tf.tidy(() => tf.add(tf.mul(tf.softmax(predictTta(a, x, opts)), 0.75), tf.mul(tf.softmax(predictTta(b, x, opts)), 0.25)));
    close(p.dataSync(), want.dataSync(), 1e-6);
    close(tf.tidy(() => tf.sum(p, 1)).dataSync(), [1, 1], 1e-6);
    const direct = ens.predictTta(x, opts);
    close(direct.dataSync(), p.dataSync(), 1e-9);
    const hard = new ModelEnsemble([a, b], { voting: 'hard', weights: [3, 1] }).predictTta(x, opts);
    const votes = hard.arraySync() as number[][];
    votes.forEach((row) => expect(row.filter((v) => v > 0).sort()).toEqual(row.filter((v) => v > 0).length === 1 ? [1] : [0.25, 0.75]));
    tf.dispose([x, p, want, direct, hard]);
  });

  it('rejects bad options with the field and value', () => {
    expect(() => predictTta(px, image, { views: [] })).toThrow(/predictTta: views must be a non-empty array. Received: views=\[\]/);
    expect(() => predictTta(px, image, { views: ['mirror' as 'flip'] })).toThrow(
      /views\[0\] must be 'identity', 'flip' or \{translate\?, flip\?\}. Received: "mirror"/,
    );
    expect(() => predictTta(px, image, { views: [{ translate: [0.5, 0] }] })).toThrow(
      /views\[0\].translate must be \[dy, dx\] integers. Received: translate=\[0.5,0\]/,
    );
    expect(() => predictTta(px, image, { views: [{ translate: [2, 0] }] })).toThrow(
      /translation must be smaller than the image \(2×4, reflect padding\). Received: translate=\[2,0\]/,
    );
    expect(() => predictTta(px, image, { views: ['identity'], weights: [1, 1] })).toThrow(
      /weights must be 1 finite numbers >= 0 \(one per view\). Received: weights=\[1,1\]/,
    );
    expect(() => predictTta(px, image, { views: ['identity'], weights: [0] })).toThrow(/weights must not all be 0/);
    expect(() => predictTta(px, image, { batchSize: 0 })).toThrow(/batchSize must be a positive integer. Received: batchSize=0/);
    expect(() => predictTta(px, tf.zeros([2, 4, 1]) as unknown as tf.Tensor4D)).toThrow(
      /x must be \[batch, height, width, channels\]. Received: shape=\[2,4,1\]/,
    );
  });
});
