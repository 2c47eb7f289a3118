/**
 * Mini-batches of normalised float32 NHWC tensors from an in-memory uint8 {@link ImageDataset}, with a seeded,
 * per-epoch reproducible shuffle (the role of PyTorch's `DataLoader` + `transforms.Normalize`).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed, shuffleInPlace, type Batch, type ImageDataset } from '@cnn/core';
import { validateImageDataset } from './image-dataset.js';
import { DataError } from './errors.js';

/**
 * A {@link DataLoader} batch (the shared `Batch` of `@cnn/core`, narrowed). The caller owns `x` and `y` and must
 * dispose them.
 */
export interface LoaderBatch extends Batch {
  /** Images `[batch, height, width, channels]`, float32, `(pixel / 255 − mean) / std` per channel. */
  x: tf.Tensor4D;
  /** Class labels `[batch]`, int32. */
  y: tf.Tensor1D;
  /** Dataset indices of the samples, `[batch]`, in batch order. */
  indices: Int32Array;
}

/** Options for {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Samples per batch; a positive integer (required). */
  batchSize: number;
  /** Reshuffle the sample order at every epoch (default `false`: dataset/`indices` order). */
  shuffle?: boolean;
  /** Seed of the shuffle, a safe integer (default `0`); epoch `k` uses `deriveSeed(seed, k)`. */
  seed?: number;
  /** Drop the last batch if it is smaller than `batchSize` (default `false`). */
  dropLast?: boolean;
  /** Mean subtracted after scaling to `[0, 1]`: one number, or one per channel (default `0`). */
  mean?: number | readonly number[];
  /** Standard deviation divided by after subtracting the mean: one number or one per channel, each > 0 (default `1`). */
  std?: number | readonly number[];
  /** Use only the first `limit` samples (of `indices` if given, else of the dataset); an integer in `[1, n]`. */
  limit?: number;
  /** Dataset indices to draw from (e.g. a validation split), each an integer in `[0, dataset.length)`. Copied. */
  indices?: Int32Array;
}

function perChannel(value: number | readonly number[] | undefined, fallback: number, channels: number, name: string): number[] {
  const arr = value === undefined ? [fallback] : typeof value === 'number' ? [value] : [...value];
  if (arr.length === 1) return new Array<number>(channels).fill(arr[0]).map((v) => checkFinite(v, name));
  if (arr.length !== channels) {
    throw new DataError(`DataLoader: ${name} must be a number or have ${channels} entries (one per channel), got ${arr.length}`, {
      code: 'ERR_CNN_INVALID_OPTION',
    });
  }
  return arr.map((v) => checkFinite(v, name));
}

function checkFinite(v: number, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new DataError(`DataLoader: ${name} must be finite, got ${String(v)}`, { code: 'ERR_CNN_INVALID_OPTION' });
  return v;
}

/**
 * Iterates a uint8 image dataset as normalised float32 mini-batches.
 *
 * Each `[Symbol.iterator]()` call produces one epoch and then advances {@link DataLoader.epoch}. With
 * `shuffle`, epoch `k`'s order is a Fisher–Yates shuffle driven by `createRng(deriveSeed(seed, k))`, so it
 * depends only on `(seed, k)`: set `loader.epoch = k` (or `setEpoch(k)`) to reproduce it after a resume.
 *
 * Normalisation runs in one JavaScript loop through a 256-entry lookup table per channel into a fresh
 * `Float32Array` (one allocation per batch), then `tf.tensor4d`.
 *
 * @example
 * ```ts
 * const loader = new DataLoader(train, {batchSize: 64, shuffle: true, seed: 1, mean: MNIST_MEAN, std: MNIST_STD});
 * for (const {x, y} of loader) { ...; tf.dispose([x, y]); }
 * ```
 */
export class DataLoader implements Iterable<LoaderBatch> {
  /** The dataset iterated. */
  readonly dataset: ImageDataset;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Whether each epoch reshuffles. */
  readonly shuffle: boolean;
  /** Shuffle seed. */
  readonly seed: number;
  /** Whether a short last batch is dropped. */
  readonly dropLast: boolean;
  /** Per-channel mean used for normalisation. */
  readonly mean: readonly number[];
  /** Per-channel standard deviation used for normalisation. */
  readonly std: readonly number[];

  private readonly baseOrder: Int32Array;
  private readonly lut: Float32Array;
  private epochCounter = 0;

  /**
   * @param dataset - The dataset; its fields are validated (sizes, lengths; labels are not rescanned).
   * @param options - See {@link DataLoaderOptions}.
   * @throws DataError for `batchSize` that is not a positive integer (`batchSize must be a positive integer, got 0`),
   *   a non-integer seed, a `mean`/`std` of the wrong length or non-finite, a `std` ≤ 0, out-of-range
   *   `indices`, or a `limit` outside `[1, n]`.
   */
  constructor(dataset: ImageDataset, options: DataLoaderOptions) {
    validateImageDataset(dataset, false);
    const { batchSize, shuffle = false, seed = 0, dropLast = false } = options ?? ({} as DataLoaderOptions);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DataError(`batchSize must be a positive integer, got ${String(batchSize)}`, { code: 'ERR_CNN_INVALID_OPTION' });
    }
    if (!Number.isSafeInteger(seed)) throw new DataError(`DataLoader: seed must be a safe integer, got ${String(seed)}`, { code: 'ERR_CNN_INVALID_OPTION' });
    const c = dataset.channels;
    const mean = perChannel(options.mean, 0, c, 'mean');
    const std = perChannel(options.std, 1, c, 'std');
    std.forEach((s) => {
      if (!(s > 0)) throw new DataError(`DataLoader: std must be > 0, got ${s}`, { code: 'ERR_CNN_INVALID_OPTION' });
    });

    let order: Int32Array;
    if (options.indices !== undefined) {
      if (!(options.indices instanceof Int32Array)) throw new DataError('DataLoader: indices must be an Int32Array', { code: 'ERR_CNN_INVALID_OPTION' });
      order = Int32Array.from(options.indices);
      for (let i = 0; i < order.length; i++) {
        if (order[i] < 0 || order[i] >= dataset.length) {
          throw new DataError(`DataLoader: indices[${i}] = ${order[i]} is out of range [0, ${dataset.length}) of dataset ${dataset.name}`, {
            code: 'ERR_CNN_INVALID_OPTION',
          });
        }
      }
    } else {
      order = new Int32Array(dataset.length);
      for (let i = 0; i < order.length; i++) order[i] = i;
    }
    if (options.limit !== undefined) {
      const limit = options.limit;
      if (!Number.isInteger(limit) || limit < 1) {
        throw new DataError(`DataLoader: limit must be a positive integer, got ${String(limit)}`, { code: 'ERR_CNN_INVALID_OPTION' });
      }
      if (limit > order.length) {
        throw new DataError(`DataLoader: limit = ${limit} exceeds the ${order.length} available samples of ${dataset.name}`, {
          code: 'ERR_CNN_INVALID_OPTION',
        });
      }
      order = order.slice(0, limit);
    }

    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
    this.mean = mean;
    this.std = std;
    this.baseOrder = order;
    // lut[ch * 256 + v] = (v / 255 − mean[ch]) / std[ch]
    this.lut = new Float32Array(256 * c);
    for (let ch = 0; ch < c; ch++) {
      for (let v = 0; v < 256; v++) this.lut[ch * 256 + v] = (v / 255 - mean[ch]) / std[ch];
    }
  }

  /** Samples per epoch (after `indices` and `limit`, before `dropLast`). */
  get numSamples(): number {
    return this.baseOrder.length;
  }

  /** Batches per epoch: `ceil(numSamples / batchSize)`, or `floor(…)` with `dropLast`. */
  get length(): number {
    const n = this.baseOrder.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** 0-based index of the epoch the next iteration will produce. */
  get epoch(): number {
    return this.epochCounter;
  }

  set epoch(k: number) {
    this.setEpoch(k);
  }

  /**
   * Sets the epoch the next iteration will produce (for resuming a run).
   * @throws DataError if `k` is not a non-negative safe integer.
   */
  setEpoch(k: number): void {
    if (!Number.isSafeInteger(k) || k < 0)
      throw new DataError(`DataLoader: epoch must be a non-negative integer, got ${String(k)}`, { code: 'ERR_CNN_INVALID_OPTION' });
    this.epochCounter = k;
  }

  /**
   * The sample order of epoch `k` (dataset indices, `numSamples` entries, before `dropLast`); pure, does not
   * change {@link DataLoader.epoch}.
   */
  epochOrder(k: number = this.epochCounter): Int32Array {
    const order = Int32Array.from(this.baseOrder);
    if (this.shuffle) shuffleInPlace(order, createRng(deriveSeed(this.seed, k)));
    return order;
  }

  /**
   * Builds the batch of the given dataset indices.
   *
   * @param indices - Dataset indices, each in `[0, dataset.length)`.
   * @returns `x` `[indices.length, height, width, channels]` float32 and `y` `[indices.length]` int32; the
   *   caller disposes them.
   */
  batchOf(indices: Int32Array): LoaderBatch {
    const { images, labels, height, width, channels } = this.dataset;
    const per = height * width * channels;
    const b = indices.length;
    const out = new Float32Array(b * per);
    const ys = new Int32Array(b);
    const lut = this.lut;
    for (let i = 0; i < b; i++) {
      const idx = indices[i];
      const src = idx * per;
      const dst = i * per;
      if (channels === 1) {
        for (let p = 0; p < per; p++) out[dst + p] = lut[images[src + p]];
      } else {
        for (let p = 0; p < per; p++) out[dst + p] = lut[(p % channels) * 256 + images[src + p]];
      }
      ys[i] = labels[idx];
    }
    return {
      x: tf.tensor4d(out, [b, height, width, channels], 'float32'),
      y: tf.tensor1d(ys, 'int32'),
      indices,
    };
  }

  /**
   * Starts one epoch (see the class description). The order is fixed and {@link DataLoader.epoch} advanced by
   * one when this is called, not when the first batch is taken.
   */
  [Symbol.iterator](): Iterator<LoaderBatch> {
    const order = this.epochOrder(this.epochCounter);
    this.epochCounter += 1;
    return this.batches(order);
  }

  private *batches(order: Int32Array): Generator<LoaderBatch> {
    const nBatches = this.length;
    for (let k = 0; k < nBatches; k++) {
      const start = k * this.batchSize;
      yield this.batchOf(order.slice(start, Math.min(start + this.batchSize, order.length)));
    }
  }
}
