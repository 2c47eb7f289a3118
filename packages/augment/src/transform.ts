/**
 * The transform protocol: a transform draws all random parameters of a batch at once
 * ({@link Transform.makeParams}, plain typed arrays from a seeded {@link Rng}) and applies them with tfjs-core
 * ops ({@link Transform.apply}), as torchvision v2's `make_params` / `transform` split.
 *
 * @packageDocumentation
 */
import type { Rng } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import { AugmentError } from './errors.js';

/** Shape of an image batch, `[batch, height, width, channels]`. */
export type BatchShape = readonly [number, number, number, number];

/**
 * Where a batch comes from, for transforms whose draw is tied to the sample and the epoch rather than to the
 * batch's random stream (e.g. {@link AlternatingFlip}). {@link AugmentedLoader} fills it from the loader.
 */
export interface BatchContext {
  /** 0-based epoch of the batch (`DataLoader.epoch` when the epoch started). */
  epoch?: number;
  /** `[batch]` dataset indices of the samples, in batch order (`Batch.indices` of `@cnn/data`). */
  indices?: Int32Array;
}

/**
 * A batch transform on float32 NHWC images.
 *
 * @typeParam P - The parameters drawn for one batch (plain data, serialisable).
 */
export interface Transform<P = unknown> {
  /** Name for messages and previews, e.g. `'RandomCrop'`. */
  readonly name: string;
  /** `true` if the transform draws random parameters (skipped in eval mode by {@link Compose}). */
  readonly random: boolean;
  /**
   * Draws the parameters of one batch: every sample gets its own draw, in sample order, so the same seed gives
   * the same batch.
   * @param rng - Seeded generator (advanced).
   * @param shape - The input batch shape `[batch, height, width, channels]`.
   * @param context - The batch's epoch and dataset indices, when known (most transforms ignore it).
   */
  makeParams(rng: Rng, shape: BatchShape, context?: BatchContext): P;
  /**
   * Applies drawn parameters to `[batch, height, width, channels]` float32 images. Does not dispose `x`; the
   * result is a new tensor owned by the caller (intermediate tensors are released).
   */
  apply(x: tf.Tensor4D, params: P): tf.Tensor4D;
}

/** Throws unless `x` is a rank-4 float32 tensor with `channels` channels (any when `channels` is undefined). */
export function checkImages(fn: string, x: tf.Tensor, channels?: number): asserts x is tf.Tensor4D {
  if (!(x instanceof tf.Tensor)) throw new AugmentError(`${fn}: input must be a tf.Tensor`);
  if (x.rank !== 4)
    throw new AugmentError(`${fn}: input must be rank 4 [batch, height, width, channels], got rank ${x.rank}`, { code: 'ERR_CNN_AUGMENT_INPUT' });
  if (x.dtype !== 'float32') throw new AugmentError(`${fn}: input must be float32 in [0, 1], got ${x.dtype}`, { code: 'ERR_CNN_AUGMENT_INPUT' });
  if (channels !== undefined && x.shape[3] !== channels) {
    throw new AugmentError(`${fn}: input must have ${channels} channels, got shape [${x.shape.join(', ')}]`, { code: 'ERR_CNN_AUGMENT_INPUT' });
  }
}

/** Throws unless `p` is a probability in `[0, 1]`. */
export function checkProbability(fn: string, p: number, name = 'p'): void {
  if (!(typeof p === 'number' && p >= 0 && p <= 1)) throw new AugmentError(`${fn}: ${name} must be in [0, 1]. Received: ${name}=${String(p)}`);
}

/** Throws unless `v` is a finite number `≥ min`. */
export function checkNonNegative(fn: string, v: number, name: string, min = 0): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v >= min)) {
    throw new AugmentError(`${fn}: ${name} must be a finite number ≥ ${min}. Received: ${name}=${String(v)}`);
  }
}

/**
 * A range `[lo, hi]` from a number `v` (→ `[center − v, center + v]`, lower end clipped at `clipLow`) or a pair.
 * @throws Error when the range is reversed, not finite, or below `clipLow`.
 */
export function toRange(fn: string, name: string, v: number | readonly [number, number], center: number, clipLow = -Infinity): [number, number] {
  let r: [number, number];
  if (typeof v === 'number') {
    checkNonNegative(fn, v, name);
    r = [Math.max(clipLow, center - v), center + v];
  } else if (Array.isArray(v) && v.length === 2) {
    r = [v[0], v[1]];
  } else {
    throw new AugmentError(`${fn}: ${name} must be a number or a [min, max] pair. Received: ${name}=${JSON.stringify(v)}`);
  }
  if (!(Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] <= r[1] && r[0] >= clipLow)) {
    throw new AugmentError(`${fn}: ${name} range must satisfy ${clipLow} ≤ min ≤ max. Received: ${name}=${JSON.stringify(v)}`);
  }
  return r;
}

/** Uniform float in `[lo, hi)`. */
export const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.next();

/** Options for {@link Compose.forward}: the mode, and the batch's {@link BatchContext} (epoch, dataset indices). */
export interface ForwardOptions extends BatchContext {
  /** `false` → evaluation: random transforms are skipped (identity), deterministic ones (Normalize) still run. Default `true`. */
  training?: boolean;
}

/**
 * Applies transforms in order. Each random transform draws its parameters for the whole batch, then applies
 * them; in eval mode (`training: false`) random transforms are the identity.
 */
export class Compose implements Transform<unknown[]> {
  readonly name = 'Compose';
  readonly random: boolean;
  /** The transforms, in order. */
  readonly transforms: readonly Transform[];

  /** @param transforms - Transforms applied first to last. */
  constructor(transforms: readonly Transform[]) {
    if (!Array.isArray(transforms)) throw new AugmentError('Compose: transforms must be an array');
    this.transforms = [...transforms];
    this.random = this.transforms.some((t) => t.random);
  }

  /**
   * Draws every transform's parameters. Shapes are tracked through the pipeline (a crop may change height and
   * width), so parameters can be drawn before any tensor work. `context` is passed to every transform.
   */
  makeParams(rng: Rng, shape: BatchShape, context?: BatchContext): unknown[] {
    let s = shape;
    return this.transforms.map((t) => {
      const p = t.makeParams(rng, s, context);
      s = outputShape(t, s);
      return p;
    });
  }

  apply(x: tf.Tensor4D, params: unknown[]): tf.Tensor4D {
    return tf.tidy(() => {
      let y = x;
      this.transforms.forEach((t, i) => {
        y = t.apply(y, params[i]);
      });
      return y === x ? x.clone() : y;
    });
  }

  /**
   * Draws parameters and applies them (training), or applies only the non-random transforms (eval).
   * @param x - `[batch, height, width, channels]` float32 in `[0, 1]`.
   * @param options - Mode, and the batch's `epoch` / `indices` for transforms that need them (AlternatingFlip).
   * @returns A new tensor of the output shape; the caller disposes it.
   */
  forward(x: tf.Tensor4D, rng: Rng, options: ForwardOptions = {}): tf.Tensor4D {
    checkImages('Compose', x);
    const training = options.training ?? true;
    if (training) return this.apply(x, this.makeParams(rng, x.shape, { epoch: options.epoch, indices: options.indices }));
    return tf.tidy(() => {
      let y = x;
      for (const t of this.transforms) if (!t.random) y = t.apply(y, t.makeParams(rng, y.shape));
      return y === x ? x.clone() : y;
    });
  }
}

/** A transform that changes the spatial size exposes it, so {@link Compose} can track shapes. */
export interface ResizingTransform {
  /** The output shape `[n, h, w, c]` (NHWC) of a batch of input shape `shape`. */
  outputShape(shape: BatchShape): BatchShape;
}

function outputShape(t: Transform, s: BatchShape): BatchShape {
  const r = t as Partial<ResizingTransform>;
  return typeof r.outputShape === 'function' ? r.outputShape(s) : s;
}
