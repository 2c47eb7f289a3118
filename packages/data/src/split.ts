/**
 * Seeded, stratified random splits of an in-memory dataset (train / validation / test).
 *
 * @packageDocumentation
 */
import { createRng, type ImageDataset, shuffleInPlace } from '@cnn/core';
import { DataError } from './errors.js';
import { validateImageDataset } from './image-dataset.js';

/** Options of {@link randomSplit}. */
export interface RandomSplitOptions {
  /** Seed of the shuffle (xoshiro128** via `createRng`); the same seed gives the same split. Default 0. */
  seed?: number;
  /**
   * Split every class in the given proportions (scikit-learn's `stratify=y`), so each split has the class
   * balance of the whole. Default `true`.
   */
  stratify?: boolean;
}

const CODE = 'ERR_CNN_INVALID_SPLIT';

/**
 * Integer counts that sum to `n` and follow `fractions` (largest-remainder rounding, ties to the earlier split).
 */
function apportion(n: number, fractions: readonly number[]): number[] {
  const exact = fractions.map((f) => f * n);
  const counts = exact.map((x) => Math.floor(x + 1e-9));
  let left = n - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x + 1e-9) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) counts[order[j].i]++;
  return counts;
}

/**
 * Splits a dataset at random into parts of the given fractions, for example `[0.9, 0.1]` for train and validation
 * (PyTorch's `torch.utils.data.random_split` with fractions; stratified like scikit-learn's
 * `train_test_split(stratify=y)`).
 *
 * With `stratify` (the default) each class is shuffled and cut on its own: class `c` with `n_c` images gives
 * split `i` `round(fractions[i] · n_c)` images (largest-remainder rounding, so the counts sum to `n_c`); a split
 * that would get none of a class takes one from the split with most of it, so every split holds every class.
 * Without `stratify` the whole dataset is shuffled and cut into `round(fractions[i] · length)` images.
 *
 * The result depends only on the dataset, the fractions and `seed`. Each returned dataset is a copy (its own
 * `images` / `labels` arrays, NHWC uint8, the same `height`, `width`, `channels` and `classNames`), holding its
 * images in their original order, named `<name>[split i/k]`.
 *
 * @param dataset - The dataset to split (validated first).
 * @param fractions - At least two fractions, each in (0, 1), summing to 1 (±1e-6).
 * @param options - `seed` (default 0), `stratify` (default `true`).
 * @returns One dataset per fraction, in the order of `fractions`.
 * @throws DataError (code `ERR_CNN_INVALID_SPLIT`) when fewer than two fractions are given, a fraction is not in
 *   (0, 1), they do not sum to 1, a class has fewer images than there are splits (stratified, naming the class),
 *   or a split would be empty (not stratified); DataError (`ERR_CNN_INVALID_DATASET`) for an inconsistent dataset.
 *
 * @example
 * ```ts
 * const [train, validation] = randomSplit(full, [0.9, 0.1], { seed: 1 });
 * ```
 */
export function randomSplit(dataset: ImageDataset, fractions: readonly number[], options: RandomSplitOptions = {}): ImageDataset[] {
  const { seed = 0, stratify = true } = options;
  if (!Array.isArray(fractions) || fractions.length < 2) {
    throw new DataError(`randomSplit: fractions must list at least two parts, e.g. [0.9, 0.1]; got ${JSON.stringify(fractions)}`, { code: CODE });
  }
  fractions.forEach((f, i) => {
    if (typeof f !== 'number' || !Number.isFinite(f) || f <= 0 || f >= 1) {
      throw new DataError(`randomSplit: fractions[${i}] must be in (0, 1), got ${String(f)}`, { code: CODE });
    }
  });
  const sum = fractions.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) {
    throw new DataError(`randomSplit: fractions must sum to 1 (±1e-6), got ${JSON.stringify(fractions)} summing to ${sum}`, { code: CODE });
  }
  validateImageDataset(dataset);
  const k = fractions.length;
  const rng = createRng(seed);
  const parts: number[][] = fractions.map(() => []);

  if (stratify) {
    const numClasses = Math.max(dataset.classNames.length, ...Array.from(dataset.labels, (l) => l + 1), 0);
    const byClass: number[][] = Array.from({ length: numClasses }, () => []);
    for (let i = 0; i < dataset.length; i++) byClass[dataset.labels[i]].push(i);
    for (let c = 0; c < numClasses; c++) {
      const idx = byClass[c];
      if (idx.length === 0) continue; // a class absent from the dataset is absent from every split
      const counts = apportion(idx.length, fractions);
      for (let i = 0; i < k; i++) {
        if (counts[i] > 0) continue;
        let donor = 0;
        for (let j = 1; j < k; j++) if (counts[j] > counts[donor]) donor = j;
        if (counts[donor] < 2) {
          const name = dataset.classNames[c] ?? String(c);
          throw new DataError(
            `randomSplit: class '${name}' (label ${c}) has ${idx.length} image(s) in ${dataset.name}, too few for ${k} splits: split ${i} (fraction ${fractions[i]}) would get no image of it`,
            { code: CODE },
          );
        }
        counts[donor]--;
        counts[i]++;
      }
      shuffleInPlace(idx, rng);
      let at = 0;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < counts[i]; j++) parts[i].push(idx[at++]);
      }
    }
  } else {
    const counts = apportion(dataset.length, fractions);
    const empty = counts.indexOf(0);
    if (empty >= 0) {
      throw new DataError(`randomSplit: split ${empty} (fraction ${fractions[empty]}) of the ${dataset.length} images of ${dataset.name} would be empty`, {
        code: CODE,
      });
    }
    const idx = shuffleInPlace(
      Array.from({ length: dataset.length }, (_, i) => i),
      rng,
    );
    let at = 0;
    for (let i = 0; i < k; i++) for (let j = 0; j < counts[i]; j++) parts[i].push(idx[at++]);
  }

  const per = dataset.height * dataset.width * dataset.channels;
  return parts.map((part, i) => {
    part.sort((a, b) => a - b);
    const images = new Uint8Array(part.length * per);
    const labels = new Uint8Array(part.length);
    part.forEach((src, j) => {
      images.set(dataset.images.subarray(src * per, (src + 1) * per), j * per);
      labels[j] = dataset.labels[src];
    });
    return { ...dataset, images, labels, length: part.length, classNames: [...dataset.classNames], name: `${dataset.name}[split ${i + 1}/${k}]` };
  });
}
