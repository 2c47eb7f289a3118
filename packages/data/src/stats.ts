/**
 * Dataset statistics for normalisation.
 *
 * @packageDocumentation
 */
import type { ImageDataset } from '@cnn/core';
import { validateImageDataset } from './image-dataset.js';
import { DataError } from './errors.js';

/** Per-channel mean and standard deviation of pixels scaled to `[0, 1]`. */
export interface ChannelStats {
  /** Mean per channel, `[channels]`. */
  mean: number[];
  /** Population standard deviation per channel, `[channels]`. */
  std: number[];
}

/**
 * Per-channel mean and population standard deviation (divide by N, not N − 1) of `pixel / 255` over every
 * pixel of every image — the values `transforms.Normalize` expects (MNIST train: 0.1307, 0.3081).
 *
 * Sums of the integer pixel values and their squares are exact in float64 up to ~1.4·10^11 pixels per channel,
 * so the result carries no accumulation error.
 *
 * @param dataset - The dataset (`images` `[length, height, width, channels]` uint8).
 * @returns `{mean, std}`, each with `channels` entries.
 * @throws DataError if the dataset's fields disagree or it has no pixels.
 */
export function channelMeanStd(dataset: ImageDataset): ChannelStats {
  validateImageDataset(dataset, false);
  const c = dataset.channels;
  const { images } = dataset;
  const count = images.length / c;
  if (count === 0) throw new DataError(`channelMeanStd: dataset ${dataset.name} has no pixels`, { code: 'ERR_CNN_INVALID_DATASET' });
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  if (c === 1) {
    // Histogram: integer counts, then exact sums.
    const hist = new Float64Array(256);
    for (let i = 0; i < images.length; i++) hist[images[i]]++;
    for (let v = 0; v < 256; v++) {
      sum[0] += hist[v] * v;
      sumSq[0] += hist[v] * v * v;
    }
  } else {
    for (let i = 0; i < images.length; i++) {
      const v = images[i];
      const ch = i % c;
      sum[ch] += v;
      sumSq[ch] += v * v;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const m = sum[ch] / count;
    const variance = Math.max(0, sumSq[ch] / count - m * m);
    mean.push(m / 255);
    std.push(Math.sqrt(variance) / 255);
  }
  return { mean, std };
}
