import * as tf from '@tensorflow/tfjs-core';
import { ExplainError } from '../errors.js';
import type { RawImage } from '../render/images.js';
import type { ImageDataset, Normalization } from '../types.js';

/**
 * Checks the dataset's fields against each other.
 * @throws ExplainError naming the field: `images` size, `labels` length, a label ≥ `classNames.length`.
 */
export function validateDataset(fn: string, dataset: ImageDataset): void {
  const { images, labels, length, height, width, channels, classNames } = dataset;
  if (images.length !== length * height * width * channels) {
    throw new ExplainError(
      `${fn}: dataset.images has ${images.length} bytes, expected length*height*width*channels = ${length}*${height}*${width}*${channels}`,
    );
  }
  if (labels.length !== length) {
    throw new ExplainError(`${fn}: dataset.labels has ${labels.length} entries, expected dataset.length=${length}`);
  }
  if (classNames.length < 1) throw new ExplainError(`${fn}: dataset.classNames is empty`);
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classNames.length) {
      throw new ExplainError(`${fn}: dataset.labels[${i}]=${labels[i]} is not a class index in [0, ${classNames.length})`);
    }
  }
}

/** @throws ExplainError when mean/std do not have 1 or `channels` entries or a std is not > 0. */
export function validateNormalization(fn: string, normalize: Normalization, channels: number): void {
  for (const field of ['mean', 'std'] as const) {
    const v = normalize[field];
    if (v.length !== 1 && v.length !== channels) {
      throw new ExplainError(`${fn}: normalize.${field} has ${v.length} entries, expected 1 or channels=${channels}`);
    }
  }
  if (!normalize.std.every((s) => s > 0)) throw new ExplainError(`${fn}: normalize.std entries must be > 0, got [${normalize.std.join(', ')}]`);
}

/**
 * Model input for samples `[start, end)`: `(pixel / 255 − mean) / std` per channel.
 * @returns `[end − start, height, width, channels]` float32.
 */
export function datasetBatch(dataset: ImageDataset, start: number, end: number, normalize: Normalization): tf.Tensor4D {
  const { height, width, channels } = dataset;
  const size = height * width * channels;
  return tf.tidy(() => {
    const pixels = tf.tensor4d(dataset.images.subarray(start * size, end * size), [end - start, height, width, channels], 'int32');
    const mean = tf.tensor1d([...normalize.mean]);
    const std = tf.tensor1d([...normalize.std]);
    return tf.div(tf.sub(tf.div(tf.cast(pixels, 'float32'), 255), mean), std) as tf.Tensor4D;
  });
}

/** Model input for arbitrary sample indices (see {@link datasetBatch}). */
export function datasetSelection(dataset: ImageDataset, indices: readonly number[], normalize: Normalization): tf.Tensor4D {
  return tf.tidy(
    () =>
      tf.concat(
        indices.map((i) => datasetBatch(dataset, i, i + 1, normalize)),
        0,
      ) as tf.Tensor4D,
  );
}

/** Pixels of sample `index` as a {@link RawImage}. */
export function datasetImage(dataset: ImageDataset, index: number): RawImage {
  const { height, width, channels } = dataset;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ExplainError(`datasetImage: dataset.channels=${channels} cannot be shown, expected 1, 3 or 4`);
  }
  const size = height * width * channels;
  return { pixels: dataset.images.subarray(index * size, (index + 1) * size), height, width, channels };
}
