import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed, type Batch } from '@cnn/core';
import type { DataLoader } from '@cnn/data';
import type { CutMix, MixUp } from './mix.js';
import type { Compose } from './transform.js';
import { AugmentError } from './errors.js';

/** Options of {@link AugmentedLoader}. */
export interface AugmentedLoaderOptions {
  /**
   * Seed of the augmentation draws. Batch `b` of epoch `k` draws from `createRng(deriveSeed(seed, k·2²⁰ + b))`,
   * so an epoch's augmentations depend only on `(seed, k)` — a resumed run repeats them exactly. Default `0`.
   */
  seed?: number;
  /** `false` runs only the deterministic transforms (e.g. Normalize), as in evaluation. Default `true`. */
  training?: boolean;
  /**
   * MixUp or CutMix applied to each batch after `transform` (training only), with parameters drawn from the
   * batch's generator after the transform's: `y` becomes `[batch, numClasses]` soft labels, which `@cnn/train`'s
   * `trainStep` / `fit` take. Default: none (`y` stays the `[batch]` labels).
   */
  mix?: MixUp | CutMix;
}

/** Batches per epoch that the seed derivation keeps apart (2²⁰). */
const BATCH_STREAMS = 1 << 20;

/**
 * A {@link DataLoader} whose batches pass through a {@link Compose} pipeline on the fly — the batch-level
 * equivalent of torchvision's `Dataset(transform=...)` + `DataLoader`. The loader must yield images in
 * `[0, 1]` (create it without `mean`/`std`); put `Normalize` last in the pipeline.
 *
 * Iterating it iterates the loader (one epoch, advancing `loader.epoch`) and yields
 * `{x: [batch, height', width', channels] float32, y, indices}` (`y` soft labels `[batch, numClasses]` with
 * `mix`); the caller disposes `x` and `y`, the
 * un-augmented batch is disposed here. Each batch's epoch (0-based) and dataset `indices` reach the transforms
 * (`ForwardOptions`), for per-sample, per-epoch transforms such as `AlternatingFlip`. `epoch` / `setEpoch` pass
 * through to the loader, so `fit`'s checkpoints restore the shuffle order and the augmentation draws.
 */
export class AugmentedLoader implements Iterable<Batch> {
  readonly loader: DataLoader;
  readonly transform: Compose;
  readonly seed: number;
  readonly training: boolean;
  /** Batch mixing (MixUp / CutMix), if any. */
  readonly mix?: MixUp | CutMix;

  /** @throws Error when `seed` is not a safe integer. */
  constructor(loader: DataLoader, transform: Compose, options: AugmentedLoaderOptions = {}) {
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new AugmentError(`AugmentedLoader: seed must be a safe integer, got ${String(seed)}`);
    this.loader = loader;
    this.transform = transform;
    this.seed = seed;
    this.training = options.training ?? true;
    this.mix = options.mix;
  }

  /** Batches per epoch (the loader's). */
  get length(): number {
    return this.loader.length;
  }

  /** Samples per epoch (the loader's). */
  get numSamples(): number {
    return this.loader.numSamples;
  }

  /** The epoch the next iteration produces (the loader's counter). */
  get epoch(): number {
    return this.loader.epoch;
  }

  set epoch(k: number) {
    this.loader.setEpoch(k);
  }

  /** Sets the epoch the next iteration produces. */
  setEpoch(k: number): void {
    this.loader.setEpoch(k);
  }

  /** The batches of one epoch: the inner loader's batches, augmented with this epoch's seed (`x` NHWC float32, `y` as the inner loader gives it, mixed one-hot with MixUp/CutMix). */
  *[Symbol.iterator](): Iterator<Batch> {
    const epoch = this.loader.epoch;
    let b = 0;
    for (const batch of this.loader) {
      const rng = createRng(deriveSeed(this.seed, epoch * BATCH_STREAMS + b));
      b++;
      let x: tf.Tensor4D;
      try {
        x = this.transform.forward(batch.x, rng, { training: this.training, epoch, indices: batch.indices });
      } finally {
        batch.x.dispose();
      }
      if (this.mix && this.training) {
        const mixed = this.mix.apply(x, batch.y, this.mix.makeParams(rng, x.shape));
        tf.dispose([x, batch.y]);
        yield { x: mixed.x, y: mixed.y, indices: batch.indices };
        continue;
      }
      yield { x, y: batch.y, indices: batch.indices };
    }
  }
}
