/**
 * Test-time augmentation (TTA): a classifier's logits averaged over transformed views of each image (airbench's
 * `infer` with `tta_level` 1 and 2: K. Jordan, "94% on CIFAR-10 in 3.29 seconds on a single GPU",
 * arXiv 2404.00498, §3.7).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from './errors.js';

/**
 * One view of an image batch:
 * - `'identity'`: the images;
 * - `'flip'`: mirrored left–right (`tf.reverse` on the width axis, torchvision's `hflip`);
 * - `{translate: [dy, dx], flip?}`: shifted by `dy` pixels down and `dx` right (negative: up / left) over a
 *   reflect-padded border (`F.pad(mode='reflect')`: the pixel at row `i` comes from row `i − dy`, mirrored
 *   about the edge without repeating it), then mirrored when `flip` is true. `|dy| < height`, `|dx| < width`.
 *   `{}` and `{flip: true}` are `'identity'` and `'flip'`.
 */
export type TtaView = 'identity' | 'flip' | { translate?: [number, number]; flip?: boolean };

/** Options of {@link predictTta} / `ModelEnsemble.predictTta`. */
export interface TtaOptions {
  /** The views. Default `['identity', 'flip']` (airbench's `tta_level` 1). See {@link airbenchTta}. */
  views?: TtaView[];
  /** One non-negative weight per view (not all zero), normalised to sum 1. Default: uniform. */
  weights?: number[];
  /** Images per forward pass (each view of a chunk is one pass). Default `256`. */
  batchSize?: number;
}

/** {@link TtaOptions} validated: views in canonical form, weights summing to 1. */
export interface ResolvedTta {
  views: { translate: [number, number]; flip: boolean }[];
  weights: number[];
  batchSize: number;
}

/** Something that runs TTA itself (e.g. `ModelEnsemble`), taken by {@link predictTta}. */
export interface TtaPredictor {
  /** `[batch, numClasses]` scores for `x` under `opts`. */
  predictTta(x: tf.Tensor4D, opts?: TtaOptions): tf.Tensor2D;
}

/**
 * airbench's test-time augmentation levels as {@link TtaOptions} (its `infer`): level 0 = the identity only;
 * level 1 = identity and mirror, ½ each (`infer_mirror`); level 2 = `½·mirror(x) + ½·mean(mirror(x shifted
 * one pixel down-right), mirror(x shifted one pixel up-left))` (`infer_mirror_translate`, reflect padding 1,
 * crops `[0:32, 0:32]` and `[2:34, 2:34]`), i.e. weights identity ¼, flip ¼, and ⅛ each for
 * `{translate: [1, 1]}`, `{translate: [1, 1], flip: true}`, `{translate: [-1, -1]}`,
 * `{translate: [-1, -1], flip: true}` (flip applied after the shift, as there). The recipe uses level 2.
 * @throws Error when `level` is not 0, 1 or 2.
 */
export function airbenchTta(level: 0 | 1 | 2 = 2): { views: TtaView[]; weights: number[] } {
  if (level === 0) return { views: ['identity'], weights: [1] };
  if (level === 1) return { views: ['identity', 'flip'], weights: [0.5, 0.5] };
  if (level === 2) {
    return {
      views: ['identity', 'flip', { translate: [1, 1] }, { translate: [1, 1], flip: true }, { translate: [-1, -1] }, { translate: [-1, -1], flip: true }],
      weights: [0.25, 0.25, 0.125, 0.125, 0.125, 0.125],
    };
  }
  throw new ModelError(`airbenchTta: level must be 0, 1 or 2. Received: level=${String(level)}`);
}

/**
 * Validates {@link TtaOptions} and fills in the defaults.
 * @param fn - caller name for messages.
 * @throws Error ("Received: …") on an empty or malformed `views`, non-integer translations, `weights` of the
 *   wrong length / negative / non-finite / all zero, or a `batchSize` that is not a positive integer.
 */
export function resolveTta(fn: string, opts: TtaOptions = {}): ResolvedTta {
  const views = opts.views ?? ['identity', 'flip'];
  if (!Array.isArray(views) || views.length === 0)
    throw new ModelError(`${fn}: views must be a non-empty array. Received: views=${JSON.stringify(opts.views)}`);
  const canon = views.map((v, i) => {
    if (v === 'identity') return { translate: [0, 0] as [number, number], flip: false };
    if (v === 'flip') return { translate: [0, 0] as [number, number], flip: true };
    if (v == null || typeof v !== 'object')
      throw new ModelError(`${fn}: views[${i}] must be 'identity', 'flip' or {translate?, flip?}. Received: ${JSON.stringify(v)}`);
    const t = v.translate ?? [0, 0];
    if (!Array.isArray(t) || t.length !== 2 || t.some((s) => !Number.isInteger(s))) {
      throw new ModelError(`${fn}: views[${i}].translate must be [dy, dx] integers. Received: translate=${JSON.stringify(v.translate)}`);
    }
    if (v.flip !== undefined && typeof v.flip !== 'boolean')
      throw new ModelError(`${fn}: views[${i}].flip must be a boolean. Received: flip=${String(v.flip)}`);
    return { translate: [t[0], t[1]] as [number, number], flip: v.flip ?? false };
  });
  const w = opts.weights ?? views.map(() => 1);
  if (!Array.isArray(w) || w.length !== views.length || w.some((x) => !(Number.isFinite(x) && x >= 0))) {
    throw new ModelError(`${fn}: weights must be ${views.length} finite numbers >= 0 (one per view). Received: weights=${JSON.stringify(opts.weights)}`);
  }
  const sum = w.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new ModelError(`${fn}: weights must not all be 0. Received: weights=${JSON.stringify(opts.weights)}`);
  const batchSize = opts.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ModelError(`${fn}: batchSize must be a positive integer. Received: batchSize=${opts.batchSize}`);
  return { views: canon, weights: w.map((x) => x / sum), batchSize };
}

/** Index `k` of a line of `size` pixels reflected about its ends without repeating them (`F.pad(mode='reflect')`). */
function reflectIndex(k: number, size: number): number {
  return k < 0 ? -k : k >= size ? 2 * (size - 1) - k : k;
}

/**
 * One view of `x` (see {@link TtaView}): `out[i, j] = x[r(i − dy), r(j' − dx)]` with `r` the reflection about the
 * border and `j' = w − 1 − j` when flipped (the mirror applied after the shift), else `j' = j` — the values of
 * `tf.mirrorPad(…, 'reflect')` + `tf.slice` + `tf.reverse`, computed as at most two `tf.gather`s (one over rows, one
 * over columns): a native kernel on `onednn`, where the JS `Reverse` / `MirrorPad` fallbacks cost seconds per batch.
 * @param x - float32 `[batch, height, width, channels]` NHWC.
 * @param view - canonical view (`translate` `[dy, dx]`, `flip`).
 * @returns A new tensor like `x`.
 * @throws Error when a shift is not smaller than the image (reflect padding needs `|dy| < height`).
 */
export function applyTtaView(x: tf.Tensor4D, view: { translate: [number, number]; flip: boolean }): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const [dy, dx] = view.translate;
    if (Math.abs(dy) >= h || Math.abs(dx) >= w) {
      throw new ModelError(
        `predictTta: a translation must be smaller than the image (${h}×${w}, reflect padding). Received: translate=${JSON.stringify(view.translate)}`,
      );
    }
    let out: tf.Tensor4D = x;
    if (dy !== 0)
      out = tf.gather(
        out,
        Int32Array.from({ length: h }, (_, i) => reflectIndex(i - dy, h)),
        1,
      );
    if (dx !== 0 || view.flip) {
      out = tf.gather(
        out,
        Int32Array.from({ length: w }, (_, j) => reflectIndex((view.flip ? w - 1 - j : j) - dx, w)),
        2,
      );
    }
    return out === x ? tf.clone(x) : out;
  });
}

/** `Σ_v w_v · model(view_v(x))` for one chunk, inference mode. */
export function ttaLogits(model: tfl.LayersModel, x: tf.Tensor4D, tta: ResolvedTta): tf.Tensor2D {
  return tf.tidy(() => {
    const parts = tta.views.map((v, i) => {
      const logits = model.apply(applyTtaView(x, v), { training: false }) as tf.Tensor;
      if (logits.rank !== 2)
        throw new ModelError(`predictTta: model '${model.name}' must return [batch, numClasses]. Received: shape=${JSON.stringify(logits.shape)}`);
      return tf.mul(logits, tta.weights[i]);
    });
    return (parts.length === 1 ? parts[0] : tf.addN(parts)) as tf.Tensor2D;
  });
}

/**
 * Runs `perChunk` on consecutive chunks of `batchSize` images and concatenates the results (each chunk in its own
 * `tf.tidy`).
 */
export function mapChunks(x: tf.Tensor4D, batchSize: number, perChunk: (chunk: tf.Tensor4D) => tf.Tensor2D): tf.Tensor2D {
  const n = x.shape[0];
  if (n <= batchSize) return tf.tidy(() => perChunk(x));
  const outs: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      outs.push(tf.tidy(() => perChunk(tf.slice(x, [start, 0, 0, 0], [size, -1, -1, -1]))));
    }
    return tf.concat(outs, 0);
  } finally {
    tf.dispose(outs);
  }
}

/**
 * Test-time augmentation: the weighted mean of a classifier's logits over views of each image,
 * `Σ_v w_v · f(view_v(x))` with `Σ w_v = 1`, in inference mode (airbench averages logits, not probabilities).
 * Pass {@link airbenchTta}`(2)` for the recipe's six views. For a `ModelEnsemble` (any {@link TtaPredictor}) it
 * calls `ensemble.predictTta(x, opts)`: each member's TTA logits, combined by the ensemble's voting rule
 * (scores that sum to 1 per row).
 *
 * @param target - a `tfl.LayersModel` mapping `[batch, h, w, c]` to `[batch, numClasses]`, or a {@link TtaPredictor}.
 * @param x - float32 `[batch, height, width, channels]` NHWC (not disposed).
 * @param opts - {@link TtaOptions}: `views` (default identity + flip), `weights` (default uniform), `batchSize`
 *   (default 256).
 * @returns float32 `[batch, numClasses]`.
 * @throws Error on invalid options ({@link resolveTta}), when `x` is not rank 4, or a shift is not smaller than
 *   the image.
 */
export function predictTta(target: tfl.LayersModel | TtaPredictor, x: tf.Tensor4D, opts: TtaOptions = {}): tf.Tensor2D {
  if (typeof (target as TtaPredictor).predictTta === 'function') return (target as TtaPredictor).predictTta(x, opts);
  const tta = resolveTta('predictTta', opts);
  if (!(x instanceof tf.Tensor) || x.rank !== 4) {
    throw new ModelError(`predictTta: x must be [batch, height, width, channels]. Received: shape=${JSON.stringify((x as tf.Tensor | undefined)?.shape)}`);
  }
  return mapChunks(x, tta.batchSize, (chunk) => ttaLogits(target as tfl.LayersModel, chunk, tta));
}
