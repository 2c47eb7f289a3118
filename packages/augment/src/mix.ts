import type { Rng } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import { eraseBoxes } from './erasing.js';
import { checkImages, checkNonNegative } from './transform.js';
import { AugmentError } from './errors.js';

/**
 * Gamma(shape, 1) variate: Marsaglia and Tsang (ACM TOMS 26(3), 2000) for `shape ≥ 1`; for `shape < 1`,
 * `Gamma(shape + 1) · U^(1/shape)`.
 */
export function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) return sampleGamma(rng, shape + 1) * (1 - rng.next()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Beta(a, b) variate from two gamma variates. */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const x = sampleGamma(rng, a);
  const y = sampleGamma(rng, b);
  return x / (x + y);
}

/** A batch with soft labels. */
export interface MixedBatch {
  /** `[batch, height, width, channels]` float32. */
  x: tf.Tensor4D;
  /** `[batch, numClasses]` float32 soft labels (rows sum to 1). */
  y: tf.Tensor2D;
}

/** Per-batch parameters of {@link MixUp} / {@link CutMix}. */
export interface MixParams {
  /** Weight of each sample's own label (after CutMix's box clipping). */
  lambda: number;
  /** CutMix box `[top, left, height, width]` (all zero for MixUp). */
  box: [number, number, number, number];
}

function toSoft(fn: string, y: tf.Tensor, numClasses: number): tf.Tensor2D {
  if (y.rank === 1) return tf.cast(tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, numClasses), 'float32') as tf.Tensor2D;
  if (y.rank === 2 && y.shape[1] === numClasses) return tf.cast(y, 'float32') as tf.Tensor2D;
  throw new AugmentError(`${fn}: labels must be [batch] class indices or [batch, ${numClasses}] probabilities, got shape [${y.shape.join(', ')}]`, {
    code: 'ERR_CNN_AUGMENT_INPUT',
  });
}

abstract class Mix {
  abstract readonly name: string;
  constructor(
    fn: string,
    readonly alpha: number,
    readonly numClasses: number,
  ) {
    checkNonNegative(fn, alpha, 'alpha');
    if (alpha === 0) throw new AugmentError(`${fn}: alpha must be > 0. Received: alpha=0`);
    if (!Number.isInteger(numClasses) || numClasses < 2) {
      throw new AugmentError(`${fn}: numClasses must be an integer ≥ 2. Received: numClasses=${String(numClasses)}`);
    }
  }
  /** Draws this batch's mixing parameters (λ and, for CutMix, the box) from `rng`; `shape` is the NHWC batch shape. */
  abstract makeParams(rng: Rng, shape: readonly number[]): MixParams;
  /** Mixes each image of `x` with the same-index image of `partner` (both NHWC float32) as `p` says. */
  protected abstract mixImages(x: tf.Tensor4D, partner: tf.Tensor4D, p: MixParams): tf.Tensor4D;
  /**
   * Mixes each sample with its predecessor in the batch (sample `i` with `i − 1`, the first with the last —
   * `batch.roll(1, 0)` as torchvision v2): labels become `λ·y_i + (1 − λ)·y_{i−1}`.
   * @param x - `[batch, height, width, channels]` float32.
   * @param y - `[batch]` int32 labels or `[batch, numClasses]` soft labels.
   * @returns New tensors; the inputs are not disposed.
   */
  apply(x: tf.Tensor4D, y: tf.Tensor, p: MixParams): MixedBatch {
    checkImages(this.name, x);
    if (y.shape[0] !== x.shape[0]) throw new AugmentError(`${this.name}: ${y.shape[0]} labels for ${x.shape[0]} images`, { code: 'ERR_CNN_AUGMENT_INPUT' });
    return tf.tidy(() => {
      const b = x.shape[0];
      const roll = tf.tensor1d(
        Array.from({ length: b }, (_, i) => (i + b - 1) % b),
        'int32',
      );
      const soft = toSoft(this.name, y, this.numClasses);
      const mixedY = tf.add(tf.mul(soft, p.lambda), tf.mul(tf.gather(soft, roll), 1 - p.lambda)) as tf.Tensor2D;
      return { x: this.mixImages(x, tf.gather(x, roll) as tf.Tensor4D, p), y: mixedY };
    });
  }
}

/** MixUp (Zhang et al., ICLR 2018; torchvision v2 `MixUp`): `λ ~ Beta(α, α)` once per batch; images and labels blended. */
export class MixUp extends Mix {
  readonly name = 'MixUp';
  /** @throws Error for `alpha ≤ 0` or `numClasses < 2`. */
  constructor(alpha = 1, numClasses = 10) {
    super('MixUp', alpha, numClasses);
  }
  /** λ ~ Beta(alpha, alpha), one for the batch (Zhang et al. 2018; fastai `MixUp`). */
  makeParams(rng: Rng): MixParams {
    return { lambda: sampleBeta(rng, this.alpha, this.alpha), box: [0, 0, 0, 0] };
  }
  /** `λ·x + (1 − λ)·partner`, elementwise. */
  protected mixImages(x: tf.Tensor4D, partner: tf.Tensor4D, p: MixParams): tf.Tensor4D {
    return tf.add(tf.mul(x, p.lambda), tf.mul(partner, 1 - p.lambda)) as tf.Tensor4D;
  }
}

/**
 * CutMix (Yun et al., ICCV 2019; torchvision v2 `CutMix`): `λ ~ Beta(α, α)`; a box of size
 * `H·√(1−λ) × W·√(1−λ)` centred on a uniform pixel (clipped) is pasted from the partner; λ is then set to the
 * kept area fraction `1 − box area / (H·W)`.
 */
export class CutMix extends Mix {
  readonly name = 'CutMix';
  /** @throws Error for `alpha ≤ 0` or `numClasses < 2`. */
  constructor(alpha = 1, numClasses = 10) {
    super('CutMix', alpha, numClasses);
  }
  /** λ ~ Beta(alpha, alpha) and a box of area `(1 − λ)·H·W` at a uniform centre, clipped to the image; λ is then corrected to the kept area (Yun et al. 2019; timm `CutMix`). */
  makeParams(rng: Rng, shape: readonly number[]): MixParams {
    const [, h, w] = shape;
    const lam = sampleBeta(rng, this.alpha, this.alpha);
    const cy = rng.nextInt(h);
    const cx = rng.nextInt(w);
    const r = Math.sqrt(1 - lam);
    const hh = Math.floor((h * r) / 2);
    const hw = Math.floor((w * r) / 2);
    const y0 = Math.max(0, cy - hh);
    const x0 = Math.max(0, cx - hw);
    const y1 = Math.min(h, cy + hh);
    const x1 = Math.min(w, cx + hw);
    const box: [number, number, number, number] = [y0, x0, y1 - y0, x1 - x0];
    return { lambda: 1 - (box[2] * box[3]) / (h * w), box };
  }
  /** Pastes the box of `partner` into `x` (same box for every image of the batch). */
  protected mixImages(x: tf.Tensor4D, partner: tf.Tensor4D, p: MixParams): tf.Tensor4D {
    const b = x.shape[0];
    const boxes = new Int32Array(b * 4);
    for (let s = 0; s < b; s++) boxes.set(p.box, s * 4);
    // x with the box zeroed, plus the partner inside the box
    const hole = eraseBoxes(x, boxes, 0);
    const patch = tf.sub(partner, eraseBoxes(partner, boxes, 0));
    return tf.add(hole, patch) as tf.Tensor4D;
  }
}
