import { deriveSeed, type Rng } from '@cnn/core';
import type * as tf from '@tensorflow/tfjs-core';
import { affineWarp, flipWhere, inverseAffineMatrix, padCrop, type PaddingMode } from './kernels/geometry.js';
import { checkImages, checkNonNegative, checkProbability, toRange, uniform, type BatchContext, type BatchShape, type Transform } from './transform.js';
import { AugmentError } from './errors.js';

/** Options for {@link RandomCrop}. */
export interface RandomCropOptions {
  /** Pixels of padding added on every side before cropping. Default `0`. */
  padding?: number;
  /** `'constant'` (default, `fill`), `'reflect'` (mirror without repeating the edge) or `'edge'` (repeat the edge). */
  paddingMode?: PaddingMode;
  /** Constant padding value. Default `0`. */
  fill?: number;
}

/** Per-batch parameters of {@link RandomCrop}: window offsets in padded coordinates. */
export interface RandomCropParams {
  top: Int32Array;
  left: Int32Array;
}

/**
 * Random crop of `size` after padding (torchvision `RandomCrop(size, padding, padding_mode=…)`): each sample's
 * window top-left is uniform over the padded image, `top ∈ [0, H + 2p − h]`, `left ∈ [0, W + 2p − w]`.
 * One gather for the whole batch.
 *
 * Random translation (airbench's `translate: 2`): `new RandomCrop(32, { padding: 2, paddingMode: 'reflect' })`
 * on 32×32 images shifts each sample by `top − 2`, `left − 2`, uniform integers in `[−2, 2]` on each axis,
 * with the borders mirrored (torchvision `padding_mode='reflect'`, i.e. `F.pad(x, (2,)*4, 'reflect')`, which does
 * not repeat the edge pixel).
 *
 * Input `[batch, H, W, C]` → output `[batch, h, w, C]` float32.
 */
export class RandomCrop implements Transform<RandomCropParams> {
  readonly name = 'RandomCrop';
  readonly random = true;
  readonly height: number;
  readonly width: number;
  readonly padding: number;
  readonly paddingMode: PaddingMode;
  readonly fill: number;

  /**
   * @param size - Output size: a number (square) or `[height, width]`.
   * @throws Error for non-positive sizes, negative padding, or an unknown padding mode.
   */
  constructor(size: number | readonly [number, number], options: RandomCropOptions = {}) {
    const [h, w] = typeof size === 'number' ? [size, size] : size;
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
      throw new AugmentError(`RandomCrop: size must be a positive integer or [height, width]. Received: size=${JSON.stringify(size)}`);
    }
    this.height = h;
    this.width = w;
    this.padding = options.padding ?? 0;
    if (!Number.isInteger(this.padding) || this.padding < 0) {
      throw new AugmentError(`RandomCrop: padding must be a non-negative integer. Received: padding=${String(options.padding)}`);
    }
    this.paddingMode = options.paddingMode ?? 'constant';
    if (!['constant', 'reflect', 'edge'].includes(this.paddingMode)) {
      throw new AugmentError(`RandomCrop: paddingMode must be 'constant', 'reflect' or 'edge'. Received: paddingMode=${String(options.paddingMode)}`);
    }
    this.fill = options.fill ?? 0;
  }

  /** `[n, height, width, c]`: the crop size, whatever the input height and width. */
  outputShape(shape: BatchShape): BatchShape {
    return [shape[0], this.height, this.width, shape[3]];
  }

  private ranges(shape: BatchShape): [number, number] {
    const [, h, w] = shape;
    const p = this.padding;
    if (this.paddingMode === 'reflect' && p > 0 && (p >= h || p >= w)) {
      throw new AugmentError(`RandomCrop: reflect padding ${p} must be smaller than the image size ${h}×${w}`);
    }
    const rh = h + 2 * p - this.height;
    const rw = w + 2 * p - this.width;
    if (rh < 0 || rw < 0) {
      throw new AugmentError(`RandomCrop: crop ${this.height}×${this.width} is larger than the padded image ${h + 2 * p}×${w + 2 * p}`);
    }
    return [rh, rw];
  }

  makeParams(rng: Rng, shape: BatchShape): RandomCropParams {
    const [rh, rw] = this.ranges(shape);
    const b = shape[0];
    const top = new Int32Array(b);
    const left = new Int32Array(b);
    for (let s = 0; s < b; s++) {
      top[s] = rng.nextInt(rh + 1);
      left[s] = rng.nextInt(rw + 1);
    }
    return { top, left };
  }

  apply(x: tf.Tensor4D, params: RandomCropParams): tf.Tensor4D {
    checkImages('RandomCrop', x);
    this.ranges(x.shape);
    return padCrop(x, params.top, params.left, this.height, this.width, this.padding, this.paddingMode, this.fill);
  }
}

/** Per-batch parameters of the flips: `[batch]` 0/1, 1 = flip. */
export interface FlipParams {
  flip: Uint8Array;
}

abstract class RandomFlip implements Transform<FlipParams> {
  abstract readonly name: string;
  readonly random = true;
  protected abstract readonly axis: 1 | 2;
  readonly p: number;
  constructor(fn: string, p: number) {
    checkProbability(fn, p);
    this.p = p;
  }
  makeParams(rng: Rng, shape: BatchShape): FlipParams {
    const flip = new Uint8Array(shape[0]);
    for (let s = 0; s < flip.length; s++) flip[s] = rng.next() < this.p ? 1 : 0;
    return { flip };
  }
  apply(x: tf.Tensor4D, params: FlipParams): tf.Tensor4D {
    checkImages(this.name, x);
    return flipWhere(x, params.flip, this.axis);
  }
}

/** Mirrors each sample left–right with probability `p` (default 0.5), as torchvision `RandomHorizontalFlip`. */
export class RandomHorizontalFlip extends RandomFlip {
  readonly name = 'RandomHorizontalFlip';
  protected readonly axis = 2;
  /** @throws Error unless `p ∈ [0, 1]`. */
  constructor(p = 0.5) {
    super('RandomHorizontalFlip', p);
  }
}

/** Mirrors each sample top–bottom with probability `p` (default 0.5), as torchvision `RandomVerticalFlip`. */
export class RandomVerticalFlip extends RandomFlip {
  readonly name = 'RandomVerticalFlip';
  protected readonly axis = 1;
  /** @throws Error unless `p ∈ [0, 1]`. */
  constructor(p = 0.5) {
    super('RandomVerticalFlip', p);
  }
}

/** Sub-stream of {@link AlternatingFlip}'s seed that its per-image bits come from ('FLIP' in ASCII). */
const FLIP_STREAM = 0x464c4950;

/** Options for {@link AlternatingFlip}. */
export interface AlternatingFlipOptions {
  /** Seed of the per-image flip bits, a safe integer. Default `0`. */
  seed?: number;
}

/**
 * airbench's alternating horizontal flip (Jordan 2024, "94% on CIFAR-10 in 3.29 seconds on a single GPU", arXiv
 * 2404.00498, "alternating flip"): every training image `i` gets a random bit `b_i` drawn once — the low bit of
 * `deriveSeed(deriveSeed(seed, FLIP_STREAM), i)`, so it depends only on the seed and the dataset index, not on the
 * batch order — and in epoch `e` (0-based) it is mirrored left–right iff
 * `b_i XOR (e mod 2 = 1)`. Epoch 0 is a random flip with probability 1/2; every later epoch shows each image
 * mirrored relative to the previous epoch, so consecutive epochs always see both orientations.
 *
 * The draw needs the batch's {@link BatchContext} (`epoch` and dataset `indices`): use it inside a
 * {@link Compose} run by `AugmentedLoader` (which passes both) or call `Compose.forward(x, rng, {epoch,
 * indices})`. It does not consume the batch's random stream, and it is exactly resumable (a function of seed,
 * index and epoch only). Identity in eval mode (a random transform).
 *
 * Input and output `[batch, H, W, C]` float32.
 */
export class AlternatingFlip implements Transform<FlipParams> {
  readonly name = 'AlternatingFlip';
  readonly random = true;
  /** Seed of the flip bits. */
  readonly seed: number;
  private readonly base: number;

  /** @throws Error when `seed` is not a safe integer ("Received: seed=…"). */
  constructor(options: AlternatingFlipOptions = {}) {
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new AugmentError(`AlternatingFlip: seed must be a safe integer. Received: seed=${String(options.seed)}`);
    this.seed = seed;
    // a stream of its own, so the bits do not correlate with other draws seeded by `seed` (e.g. AugmentedLoader's)
    this.base = deriveSeed(seed, FLIP_STREAM);
  }

  /** The image's bit `b_i` (1 = mirrored in even epochs) for a dataset index `i` (a safe integer). */
  flipBit(index: number): 0 | 1 {
    return (deriveSeed(this.base, index) % 2) as 0 | 1;
  }

  /**
   * Flip flags of the batch: `b_i XOR (epoch odd)` for each dataset index.
   * @throws Error when `context.epoch` or `context.indices` is missing or malformed, or the indices do not match
   *   the batch size.
   */
  makeParams(_rng: Rng, shape: BatchShape, context?: BatchContext): FlipParams {
    const epoch = context?.epoch;
    const indices = context?.indices;
    if (!(Number.isSafeInteger(epoch) && (epoch as number) >= 0) || !(indices instanceof Int32Array)) {
      throw new AugmentError(
        "AlternatingFlip: needs the batch's epoch (integer >= 0) and dataset indices (Int32Array): run it through AugmentedLoader " +
          `or Compose.forward(x, rng, {epoch, indices}). Received: epoch=${String(epoch)}, indices=${indices === undefined ? 'undefined' : Object.prototype.toString.call(indices)}`,
      );
    }
    if (indices.length !== shape[0])
      throw new AugmentError(`AlternatingFlip: ${indices.length} indices for a batch of ${shape[0]}`, { code: 'ERR_CNN_AUGMENT_INPUT' });
    const odd = (epoch as number) % 2;
    const flip = new Uint8Array(shape[0]);
    for (let s = 0; s < flip.length; s++) flip[s] = this.flipBit(indices[s]) ^ odd;
    return { flip };
  }

  apply(x: tf.Tensor4D, params: FlipParams): tf.Tensor4D {
    checkImages('AlternatingFlip', x);
    return flipWhere(x, params.flip, 2);
  }
}

/** Per-batch parameters of {@link RandomRotation} / {@link RandomAffine}: centred inverse matrices `[batch · 6]`. */
export interface AffineParams {
  matrices: Float64Array;
}

/** Options shared by {@link RandomRotation} and {@link RandomAffine}. */
export interface WarpOptions {
  /** `'nearest'` (default, as torchvision) or `'bilinear'`. */
  interpolation?: 'nearest' | 'bilinear';
  /** Value for pixels mapped from outside the image. Default `0`. */
  fill?: number;
}

/**
 * Rotates each sample by its own angle, uniform in `[−degrees, degrees]` (or the given range),
 * counter-clockwise for positive angles, about the image centre (torchvision `RandomRotation`,
 * `F.rotate`), with `tf.image.transform`. Shape is kept; corners get `fill`.
 */
export class RandomRotation implements Transform<AffineParams> {
  readonly name = 'RandomRotation';
  readonly random = true;
  readonly degrees: [number, number];
  readonly interpolation: 'nearest' | 'bilinear';
  readonly fill: number;
  /** @throws Error for a negative number or a reversed range. */
  constructor(degrees: number | readonly [number, number], options: WarpOptions = {}) {
    this.degrees = toRange('RandomRotation', 'degrees', degrees, 0);
    this.interpolation = options.interpolation ?? 'nearest';
    this.fill = options.fill ?? 0;
  }
  makeParams(rng: Rng, shape: BatchShape): AffineParams {
    const matrices = new Float64Array(shape[0] * 6);
    for (let s = 0; s < shape[0]; s++) {
      const angle = uniform(rng, this.degrees[0], this.degrees[1]);
      matrices.set(inverseAffineMatrix(-angle, [0, 0], 1, [0, 0]), s * 6); // F.rotate passes −angle
    }
    return { matrices };
  }
  apply(x: tf.Tensor4D, params: AffineParams): tf.Tensor4D {
    checkImages('RandomRotation', x);
    return affineWarp(x, params.matrices, this.interpolation, this.fill);
  }
}

/** Options for {@link RandomAffine}. */
export interface RandomAffineOptions extends WarpOptions {
  /** Maximum translation as fractions of width and height: `tx ∈ round(±a·W)`, `ty ∈ round(±b·H)`. Default none. */
  translate?: readonly [number, number];
  /** Scale factor range `[min, max]`. Default `1`. */
  scale?: readonly [number, number];
  /**
   * Shear in degrees: a number `s` → x-shear in `[−s, s]`; `[a, b]` → x-shear in `[a, b]`;
   * `[a, b, c, d]` → x in `[a, b]`, y in `[c, d]`. Default none.
   */
  shear?: number | readonly [number, number] | readonly [number, number, number, number];
}

/**
 * Random affine warp per sample (torchvision `RandomAffine`): angle uniform in `[−degrees, degrees]`,
 * translation, scale and shear as {@link RandomAffineOptions}, applied about the image centre through
 * torchvision's inverse matrix, with `tf.image.transform`.
 */
export class RandomAffine implements Transform<AffineParams> {
  readonly name = 'RandomAffine';
  readonly random = true;
  readonly degrees: [number, number];
  readonly translate?: readonly [number, number];
  readonly scale?: [number, number];
  readonly shear?: [number, number, number, number];
  readonly interpolation: 'nearest' | 'bilinear';
  readonly fill: number;

  /** @throws Error for out-of-range translate (must be in [0, 1]), non-positive scale, or malformed shear. */
  constructor(degrees: number | readonly [number, number], options: RandomAffineOptions = {}) {
    this.degrees = toRange('RandomAffine', 'degrees', degrees, 0);
    if (options.translate !== undefined) {
      const t = options.translate;
      if (!Array.isArray(t) || t.length !== 2 || !t.every((v) => typeof v === 'number' && v >= 0 && v <= 1)) {
        throw new AugmentError(`RandomAffine: translate must be [a, b] with values in [0, 1]. Received: translate=${JSON.stringify(t)}`);
      }
      this.translate = [t[0], t[1]];
    }
    if (options.scale !== undefined) {
      const s = toRange('RandomAffine', 'scale', options.scale, 1);
      if (s[0] <= 0) throw new AugmentError(`RandomAffine: scale values must be positive. Received: scale=${JSON.stringify(options.scale)}`);
      this.scale = s;
    }
    if (options.shear !== undefined) {
      const sh = options.shear;
      if (typeof sh === 'number') {
        checkNonNegative('RandomAffine', sh, 'shear');
        this.shear = [-sh, sh, 0, 0];
      } else if (Array.isArray(sh) && (sh.length === 2 || sh.length === 4) && sh.every(Number.isFinite)) {
        this.shear = sh.length === 2 ? [sh[0], sh[1], 0, 0] : [sh[0], sh[1], sh[2], sh[3]];
      } else {
        throw new AugmentError(`RandomAffine: shear must be a number, [min, max] or [xmin, xmax, ymin, ymax]. Received: shear=${JSON.stringify(sh)}`);
      }
    }
    this.interpolation = options.interpolation ?? 'nearest';
    this.fill = options.fill ?? 0;
  }

  makeParams(rng: Rng, shape: BatchShape): AffineParams {
    const [b, h, w] = shape;
    const matrices = new Float64Array(b * 6);
    for (let s = 0; s < b; s++) {
      const angle = uniform(rng, this.degrees[0], this.degrees[1]);
      let tx = 0;
      let ty = 0;
      if (this.translate) {
        const mx = this.translate[0] * w;
        const my = this.translate[1] * h;
        tx = Math.round(uniform(rng, -mx, mx));
        ty = Math.round(uniform(rng, -my, my));
      }
      const sc = this.scale ? uniform(rng, this.scale[0], this.scale[1]) : 1;
      let shx = 0;
      let shy = 0;
      if (this.shear) {
        shx = uniform(rng, this.shear[0], this.shear[1]);
        if (this.shear[2] !== 0 || this.shear[3] !== 0) shy = uniform(rng, this.shear[2], this.shear[3]);
      }
      matrices.set(inverseAffineMatrix(angle, [tx, ty], sc, [shx, shy]), s * 6);
    }
    return { matrices };
  }

  apply(x: tf.Tensor4D, params: AffineParams): tf.Tensor4D {
    checkImages('RandomAffine', x);
    return affineWarp(x, params.matrices, this.interpolation, this.fill);
  }
}
