/**
 * Test helpers (not exported from the package entry): one small deterministic in-memory dataset, reused by the
 * tests of this package instead of per-file copies.
 *
 * @packageDocumentation
 */
import type { ImageDataset } from '@cnn/core';

/** Options of {@link toyDataset}. */
export interface ToyDatasetOptions {
  /** Images per class, one entry per class (default `[4, 4, 4]`); labels are laid out class by class, interleaved. */
  perClass?: readonly number[];
  /** Image height (default 2). */
  height?: number;
  /** Image width (default 2). */
  width?: number;
  /** Channels (default 1). */
  channels?: number;
  /** Dataset name (default `'toy'`). */
  name?: string;
}

/**
 * A toy uint8 NHWC dataset: image `i` is filled with the byte `i % 256` (so a copied image tells which source
 * index it came from), labels cycle over the classes that still have images left (class `c` gets
 * `perClass[c]` images). Class names are `'c0'`, `'c1'`, ….
 */
export function toyDataset(options: ToyDatasetOptions = {}): ImageDataset {
  const { perClass = [4, 4, 4], height = 2, width = 2, channels = 1, name = 'toy' } = options;
  const left = [...perClass];
  const labels: number[] = [];
  while (left.some((n) => n > 0)) {
    for (let c = 0; c < left.length; c++) {
      if (left[c] > 0) {
        labels.push(c);
        left[c]--;
      }
    }
  }
  const per = height * width * channels;
  const images = new Uint8Array(labels.length * per);
  for (let i = 0; i < labels.length; i++) images.fill(i % 256, i * per, (i + 1) * per);
  return {
    images,
    labels: Uint8Array.from(labels),
    length: labels.length,
    height,
    width,
    channels,
    classNames: perClass.map((_, c) => `c${c}`),
    name,
  };
}
