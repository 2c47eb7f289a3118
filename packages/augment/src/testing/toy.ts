// Test helpers (not exported from the package entry): the one toy dataset of this package's tests, and tensor
// comparisons.
import type { ImageDataset } from '@cnn/data';
import type * as tf from '@tensorflow/tfjs-core';

/** Options of {@link toyDataset}. */
export interface ToyDatasetOptions {
  /** Image height. Default 8. */
  height?: number;
  /** Image width. Default 8. */
  width?: number;
  /** Channels. Default 3. */
  channels?: number;
  /** Added to every byte before `% 256` (another deterministic pattern). Default 0. */
  offset?: number;
}

/**
 * A deterministic uint8 NHWC dataset of `n` images: byte `i` of the pixel array is `(37·i + offset) % 256`, image
 * `i` has label `i % 10`, classes `'0'`…`'9'`.
 */
export function toyDataset(n: number, { height = 8, width = 8, channels = 3, offset = 0 }: ToyDatasetOptions = {}): ImageDataset {
  const images = new Uint8Array(n * height * width * channels);
  for (let i = 0; i < images.length; i++) images[i] = (i * 37 + offset) % 256;
  return {
    images,
    labels: Uint8Array.from({ length: n }, (_, i) => i % 10),
    length: n,
    height,
    width,
    channels,
    classNames: [...'0123456789'],
    name: 'synthetic',
  };
}

/** A tensor's values as a plain array. */
export const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());
