/**
 * Data shapes shared by the packages: the in-memory dataset, the normalisation a model was trained with, and
 * a mini-batch.
 *
 * @packageDocumentation
 */
import type * as tf from '@tensorflow/tfjs-core';

/**
 * An image classification dataset held in memory as uint8 (what `@cnn/data`'s readers produce).
 *
 * `images` is NHWC: sample `i`, row `y`, column `x`, channel `c` is at
 * `((i * height + y) * width + x) * channels + c`, values 0–255.
 */
export interface ImageDataset {
  /** Pixels, `[length, height, width, channels]` row-major, uint8. */
  images: Uint8Array;
  /** Class indices, `[length]`, each `< classNames.length`. */
  labels: Uint8Array;
  /** Number of samples. */
  length: number;
  /** Image height in pixels. */
  height: number;
  /** Image width in pixels. */
  width: number;
  /** Channels per pixel (1 for grey, 3 for RGB). */
  channels: number;
  /** Class names, indexed by label. */
  classNames: string[];
  /** A name for messages and logs, e.g. `'mnist-train'`. */
  name: string;
}

/**
 * Per-channel normalisation applied after scaling pixels to `[0, 1]`: `x = (pixel / 255 − mean) / std`
 * (torchvision's `transforms.Normalize` after `ToTensor`).
 */
export interface Normalization {
  /** One value per channel, or a single value for all channels. */
  readonly mean: readonly number[];
  /** One value per channel, or a single value for all channels; every entry > 0. */
  readonly std: readonly number[];
}

/**
 * One mini-batch. Who yields it hands ownership to who consumes it: the training loops dispose `x` and `y`
 * after use.
 */
export interface Batch {
  /** Images `[batch, height, width, channels]`, float32, NHWC. */
  x: tf.Tensor;
  /**
   * Targets: `[batch]` int32 class indices, or `[batch, numClasses]` float32 class probabilities (soft labels,
   * e.g. from MixUp / CutMix; rows sum to 1).
   */
  y: tf.Tensor;
  /** Dataset indices of the samples, `[batch]`, in batch order (when the source knows them). */
  indices?: Int32Array;
}

/**
 * Checks a {@link Normalization} against a channel count.
 *
 * @param where - The caller, named in the message.
 * @param channels - The input's channel count.
 * @returns `mean` and `std` expanded to `channels` entries each.
 * @throws RangeError when `mean` / `std` do not have 1 or `channels` entries, or a `std` entry is not > 0 or
 *   an entry is not finite ("Received: normalization.std=[…]").
 */
export function checkNormalization(where: string, normalization: Normalization, channels: number): { mean: number[]; std: number[] } {
  const expand = (field: 'mean' | 'std'): number[] => {
    const v = normalization?.[field];
    if (!Array.isArray(v) || (v.length !== 1 && v.length !== channels) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new RangeError(`${where}: normalization.${field} must be 1 or ${channels} finite numbers. Received: normalization.${field}=${JSON.stringify(v)}`);
    }
    return v.length === 1 ? new Array<number>(channels).fill(v[0]) : [...v];
  };
  const mean = expand('mean');
  const std = expand('std');
  if (!std.every((s) => s > 0)) throw new RangeError(`${where}: normalization.std entries must be > 0. Received: normalization.std=[${std.join(', ')}]`);
  return { mean, std };
}
