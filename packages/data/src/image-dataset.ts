/**
 * In-memory uint8 image classification datasets and subsets of them.
 *
 * @packageDocumentation
 */

import type { ImageDataset } from '@cnn/core';
import { DataError } from './errors.js';

export type { ImageDataset } from '@cnn/core';

/**
 * Checks that a dataset's fields agree: positive integer sizes, `images.length === length·height·width·channels`,
 * `labels.length === length`, and (when `checkLabels`) every label `< classNames.length`.
 *
 * @param ds - The dataset.
 * @param checkLabels - Also scan the labels (O(length)); default `true`.
 * @throws DataError (code `ERR_CNN_INVALID_DATASET`) naming the dataset and the field that is wrong.
 */
export function validateImageDataset(ds: ImageDataset, checkLabels = true): void {
  const name = ds?.name ?? '(unnamed)';
  for (const key of ['height', 'width', 'channels'] as const) {
    if (!Number.isInteger(ds[key]) || ds[key] < 1) {
      throw new DataError(`dataset ${name}: ${key} must be a positive integer, got ${String(ds[key])}`, { code: 'ERR_CNN_INVALID_DATASET' });
    }
  }
  if (!Number.isInteger(ds.length) || ds.length < 0) {
    throw new DataError(`dataset ${name}: length must be a non-negative integer, got ${String(ds.length)}`, { code: 'ERR_CNN_INVALID_DATASET' });
  }
  const pixels = ds.length * ds.height * ds.width * ds.channels;
  if (!(ds.images instanceof Uint8Array) || ds.images.length !== pixels) {
    throw new DataError(`dataset ${name}: images must be a Uint8Array of length·height·width·channels = ${pixels} bytes, got ${ds.images?.length}`, {
      code: 'ERR_CNN_INVALID_DATASET',
    });
  }
  if (!(ds.labels instanceof Uint8Array) || ds.labels.length !== ds.length) {
    throw new DataError(`dataset ${name}: labels must be a Uint8Array of ${ds.length} entries, got ${ds.labels?.length}`, { code: 'ERR_CNN_INVALID_DATASET' });
  }
  if (checkLabels && Array.isArray(ds.classNames) && ds.classNames.length > 0) {
    const k = ds.classNames.length;
    for (let i = 0; i < ds.length; i++) {
      if (ds.labels[i] >= k) {
        throw new DataError(`dataset ${name}: label ${ds.labels[i]} at index ${i} is out of range [0, ${k})`, { code: 'ERR_CNN_INVALID_DATASET' });
      }
    }
  }
}

/**
 * The first `n` samples of a dataset, sharing memory with it (typed-array views, no copy).
 *
 * @param ds - The dataset.
 * @param n - Number of samples, an integer in `[0, ds.length]`.
 * @returns A dataset named `<name>[:n]`.
 * @throws DataError (code `ERR_CNN_INVALID_OPTION`) if `n` is not an integer or exceeds `ds.length`.
 */
export function datasetSubset(ds: ImageDataset, n: number): ImageDataset {
  if (!Number.isInteger(n) || n < 0) {
    throw new DataError(`datasetSubset: n must be a non-negative integer, got ${String(n)}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  if (n > ds.length) {
    throw new DataError(`datasetSubset: n = ${n} exceeds the ${ds.length} samples of dataset ${ds.name}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  const per = ds.height * ds.width * ds.channels;
  return {
    ...ds,
    images: ds.images.subarray(0, n * per),
    labels: ds.labels.subarray(0, n),
    length: n,
    name: `${ds.name}[:${n}]`,
  };
}
