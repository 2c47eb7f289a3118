import type { Rng } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkImages, checkProbability, toRange, uniform, type BatchShape, type Transform } from './transform.js';
import { AugmentError } from './errors.js';

/** Per-batch rectangles: `[batch · 4]` as `top, left, height, width`; height 0 = nothing erased. */
export interface EraseParams {
  boxes: Int32Array;
}

/**
 * Sets the given per-sample rectangles to `value` with a mask built from row/column comparisons (no per-sample
 * tensor ops). `[batch, height, width, channels]` float32 in and out.
 */
export function eraseBoxes(x: tf.Tensor4D, boxes: ArrayLike<number>, value = 0): tf.Tensor4D {
  const [b, h, w] = x.shape;
  return tf.tidy(() => {
    const box = tf.tensor2d(Float32Array.from(boxes), [b, 4]);
    const [top, left, bh, bw] = tf.split(box, 4, 1).map((t) => tf.reshape(t, [b, 1, 1, 1]));
    const rows = tf.reshape(tf.range(0, h, 1, 'float32'), [1, h, 1, 1]);
    const cols = tf.reshape(tf.range(0, w, 1, 'float32'), [1, 1, w, 1]);
    const inRows = tf.logicalAnd(tf.greaterEqual(rows, top), tf.less(rows, tf.add(top, bh)));
    const inCols = tf.logicalAnd(tf.greaterEqual(cols, left), tf.less(cols, tf.add(left, bw)));
    const mask = tf.cast(tf.logicalAnd(inRows, inCols), 'float32');
    return tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(mask, value)) as tf.Tensor4D;
  });
}

/** Options for {@link RandomErasing}. */
export interface RandomErasingOptions {
  /** Probability of erasing a sample. Default `0.5`. */
  p?: number;
  /** Erased area as a fraction of the image, `[min, max]`. Default `[0.02, 0.33]`. */
  scale?: readonly [number, number];
  /** Aspect ratio range (height / width), drawn log-uniformly. Default `[0.3, 3.3]`. */
  ratio?: readonly [number, number];
  /** Fill value. Default `0`. */
  value?: number;
}

/**
 * Random Erasing (Zhong et al., AAAI 2020; torchvision `RandomErasing`): with probability `p`, a rectangle of
 * random area and aspect ratio is set to `value`; up to 10 attempts to fit one, else the sample is unchanged.
 */
export class RandomErasing implements Transform<EraseParams> {
  readonly name = 'RandomErasing';
  readonly random = true;
  readonly p: number;
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly value: number;
  /** @throws Error for `p ∉ [0, 1]`, a scale outside `[0, 1]` or a non-positive ratio. */
  constructor(options: RandomErasingOptions = {}) {
    this.p = options.p ?? 0.5;
    checkProbability('RandomErasing', this.p);
    this.scale = toRange('RandomErasing', 'scale', options.scale ?? [0.02, 0.33], 0, 0);
    if (this.scale[1] > 1) throw new AugmentError(`RandomErasing: scale must lie in [0, 1]. Received: scale=${JSON.stringify(options.scale)}`);
    this.ratio = toRange('RandomErasing', 'ratio', options.ratio ?? [0.3, 3.3], 1, 0);
    if (this.ratio[0] <= 0) throw new AugmentError(`RandomErasing: ratio must be positive. Received: ratio=${JSON.stringify(options.ratio)}`);
    this.value = options.value ?? 0;
  }
  makeParams(rng: Rng, shape: BatchShape): EraseParams {
    const [b, h, w] = shape;
    const boxes = new Int32Array(b * 4);
    const logR = [Math.log(this.ratio[0]), Math.log(this.ratio[1])];
    for (let s = 0; s < b; s++) {
      if (!(rng.next() < this.p)) continue;
      for (let attempt = 0; attempt < 10; attempt++) {
        const area = h * w * uniform(rng, this.scale[0], this.scale[1]);
        const aspect = Math.exp(uniform(rng, logR[0], logR[1]));
        const eh = Math.round(Math.sqrt(area * aspect));
        const ew = Math.round(Math.sqrt(area / aspect));
        if (!(eh < h && ew < w)) continue;
        boxes.set([rng.nextInt(h - eh + 1), rng.nextInt(w - ew + 1), eh, ew], s * 4);
        break;
      }
    }
    return { boxes };
  }
  apply(x: tf.Tensor4D, params: EraseParams): tf.Tensor4D {
    checkImages('RandomErasing', x);
    return eraseBoxes(x, params.boxes, this.value);
  }
}

/**
 * Cutout (DeVries and Taylor, 2017): a `size × size` square centred on a uniformly drawn pixel, clipped at the
 * borders, set to `value` in every sample (with probability `p`, default 1).
 */
export class Cutout implements Transform<EraseParams> {
  readonly name = 'Cutout';
  readonly random = true;
  /** @throws Error for a non-positive size or `p ∉ [0, 1]`. */
  constructor(
    readonly size: number,
    readonly p = 1,
    readonly value = 0,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new AugmentError(`Cutout: size must be a positive integer. Received: size=${String(size)}`);
    checkProbability('Cutout', p);
  }
  makeParams(rng: Rng, shape: BatchShape): EraseParams {
    const [b, h, w] = shape;
    const boxes = new Int32Array(b * 4);
    for (let s = 0; s < b; s++) {
      if (!(rng.next() < this.p)) continue;
      const cy = rng.nextInt(h);
      const cx = rng.nextInt(w);
      const y0 = Math.max(0, cy - Math.floor(this.size / 2));
      const x0 = Math.max(0, cx - Math.floor(this.size / 2));
      const y1 = Math.min(h, cy - Math.floor(this.size / 2) + this.size);
      const x1 = Math.min(w, cx - Math.floor(this.size / 2) + this.size);
      boxes.set([y0, x0, y1 - y0, x1 - x0], s * 4);
    }
    return { boxes };
  }
  apply(x: tf.Tensor4D, params: EraseParams): tf.Tensor4D {
    checkImages('Cutout', x);
    return eraseBoxes(x, params.boxes, this.value);
  }
}
