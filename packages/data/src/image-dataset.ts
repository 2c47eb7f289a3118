/**
 * In-memory uint8 image classification datasets and subsets of them.
 *
 * @packageDocumentation
 */

import type { ImageDataset } from '@cnn/core';

export type { ImageDataset } from '@cnn/core';

/**
 * Checks that a dataset's fields agree: positive integer sizes, `images.length === length·height·width·channels`,
 * `labels.length === length`, and (when `checkLabels`) every label `< classNames.length`.
 *
 * @param ds - The dataset.
 * @param checkLabels - Also scan the labels (O(length)); default `true`.
 * @throws Error naming the dataset and the field that is wrong.
 */
export function validateImageDataset(ds: ImageDataset, checkLabels = true): void {
  const name = ds?.name ?? '(unnamed)';
  for (const key of ['height', 'width', 'channels'] as const) {
    if (!Number.isInteger(ds[key]) || ds[key] < 1) {
      throw new Error(`dataset ${name}: ${key} must be a positive integer, got ${String(ds[key])}`);
    }
  }
  if (!Number.isInteger(ds.length) || ds.length < 0) {
    throw new Error(`dataset ${name}: length must be a non-negative integer, got ${String(ds.length)}`);
  }
  const pixels = ds.length * ds.height * ds.width * ds.channels;
  if (!(ds.images instanceof Uint8Array) || ds.images.length !== pixels) {
    throw new Error(`dataset ${name}: images must be a Uint8Array of length·height·width·channels = ${pixels} bytes, got ${ds.images?.length}`);
  }
  if (!(ds.labels instanceof Uint8Array) || ds.labels.length !== ds.length) {
    throw new Error(`dataset ${name}: labels must be a Uint8Array of ${ds.length} entries, got ${ds.labels?.length}`);
  }
  if (checkLabels && Array.isArray(ds.classNames) && ds.classNames.length > 0) {
    const k = ds.classNames.length;
    for (let i = 0; i < ds.length; i++) {
      if (ds.labels[i] >= k) {
        throw new Error(`dataset ${name}: label ${ds.labels[i]} at index ${i} is out of range [0, ${k})`);
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
 * @throws Error if `n` is not an integer or exceeds `ds.length`.
 */
export function datasetSubset(ds: ImageDataset, n: number): ImageDataset {
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`datasetSubset: n must be a non-negative integer, got ${String(n)}`);
  }
  if (n > ds.length) {
    throw new Error(`datasetSubset: n = ${n} exceeds the ${ds.length} samples of dataset ${ds.name}`);
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
