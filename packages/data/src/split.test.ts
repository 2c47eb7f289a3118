import { describe, expect, it } from 'vitest';
import { DataError } from './errors.js';
import { randomSplit } from './split.js';
import { toyDataset } from './testing/toy-dataset.js';

/** Number of images of each class in a dataset. */
function classCounts(ds: { labels: Uint8Array; classNames: string[] }): number[] {
  const counts = ds.classNames.map(() => 0);
  for (const l of ds.labels) counts[l]++;
  return counts;
}

/** The source index of each image (the toy dataset fills image i with the byte i). */
function sourceIndices(ds: { images: Uint8Array; length: number; height: number; width: number; channels: number }): number[] {
  const per = ds.height * ds.width * ds.channels;
  return Array.from({ length: ds.length }, (_, i) => ds.images[i * per]);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(DataError.isInstance(e)).toBe(true);
    return (e as DataError).code;
  }
  return undefined;
}

describe('randomSplit', () => {
  it('splits each class in the given proportions (exact counts per class)', () => {
    const ds = toyDataset({ perClass: [10, 20, 7] });
    const [a, b] = randomSplit(ds, [0.8, 0.2], { seed: 3 });
    // 10 → 8 / 2; 20 → 16 / 4; 7 → 5.6 / 1.4 → largest remainder: 6 / 1
    expect(classCounts(a)).toEqual([8, 16, 6]);
    expect(classCounts(b)).toEqual([2, 4, 1]);
    expect(a.length + b.length).toBe(37);
    expect(a.classNames).toEqual(['c0', 'c1', 'c2']);
    expect(a.name).toBe('toy[split 1/2]');
    // disjoint, covering, labels travel with their images
    const ia = sourceIndices(a);
    const ib = sourceIndices(b);
    expect([...ia, ...ib].sort((x, y) => x - y)).toEqual(Array.from({ length: 37 }, (_, i) => i));
    for (const [part, idx] of [
      [a, ia],
      [b, ib],
    ] as const) {
      idx.forEach((src, j) => expect(part.labels[j]).toBe(ds.labels[src]));
      expect(idx).toEqual([...idx].sort((x, y) => x - y)); // original order kept
    }
  });

  it('three-way split with a class too small for its share gets one image per split', () => {
    const ds = toyDataset({ perClass: [20, 3] });
    const parts = randomSplit(ds, [0.8, 0.1, 0.1], { seed: 0 });
    expect(parts.map(classCounts)).toEqual([
      [16, 1],
      [2, 1],
      [2, 1],
    ]);
  });

  it('is deterministic by seed and differs across seeds', () => {
    const ds = toyDataset({ perClass: [30, 30] });
    const s1 = randomSplit(ds, [0.5, 0.5], { seed: 1 }).map(sourceIndices);
    const s1again = randomSplit(ds, [0.5, 0.5], { seed: 1 }).map(sourceIndices);
    const s2 = randomSplit(ds, [0.5, 0.5], { seed: 2 }).map(sourceIndices);
    expect(s1again).toEqual(s1);
    expect(s2[0]).not.toEqual(s1[0]);
    // default seed is 0
    expect(randomSplit(ds, [0.5, 0.5]).map(sourceIndices)).toEqual(randomSplit(ds, [0.5, 0.5], { seed: 0 }).map(sourceIndices));
  });

  it('copies the images (the input is not shared or changed)', () => {
    const ds = toyDataset({ perClass: [4, 4] });
    const before = ds.images.slice();
    const [a] = randomSplit(ds, [0.5, 0.5]);
    a.images.fill(255);
    expect(ds.images).toEqual(before);
  });

  it('without stratify cuts the shuffled whole into rounded counts', () => {
    const ds = toyDataset({ perClass: [9, 1] });
    const [a, b] = randomSplit(ds, [0.7, 0.3], { seed: 5, stratify: false });
    expect([a.length, b.length]).toEqual([7, 3]);
    expect([...sourceIndices(a), ...sourceIndices(b)].sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('refuses fractions outside (0, 1), not summing to 1, or fewer than two', () => {
    const ds = toyDataset();
    expect(codeOf(() => randomSplit(ds, [1.2, -0.2]))).toBe('ERR_CNN_INVALID_SPLIT');
    expect(codeOf(() => randomSplit(ds, [0, 1]))).toBe('ERR_CNN_INVALID_SPLIT');
    expect(codeOf(() => randomSplit(ds, [0.5, 0.4]))).toBe('ERR_CNN_INVALID_SPLIT');
    expect(codeOf(() => randomSplit(ds, [1]))).toBe('ERR_CNN_INVALID_SPLIT');
    expect(codeOf(() => randomSplit(ds, [0.5, Number.NaN]))).toBe('ERR_CNN_INVALID_SPLIT');
    expect(() => randomSplit(ds, [0.5, 0.4])).toThrow(/sum to 1/);
    expect(() => randomSplit(ds, [1.2, -0.2])).toThrow(/fractions\[0\] must be in \(0, 1\), got 1.2/);
  });

  it('refuses a split that would leave a class with no image, naming the class', () => {
    const ds = toyDataset({ perClass: [10, 1] });
    expect(codeOf(() => randomSplit(ds, [0.9, 0.1]))).toBe('ERR_CNN_INVALID_SPLIT');
    expect(() => randomSplit(ds, [0.9, 0.1])).toThrow(/class 'c1' \(label 1\) has 1 image/);
  });

  it('refuses an empty split without stratify', () => {
    const ds = toyDataset({ perClass: [2, 1] });
    expect(() => randomSplit(ds, [0.9, 0.1], { stratify: false })).toThrow(/split 1 \(fraction 0.1\).*would be empty/);
  });

  it('refuses an inconsistent dataset with ERR_CNN_INVALID_DATASET', () => {
    const ds = { ...toyDataset(), length: 99 };
    expect(codeOf(() => randomSplit(ds, [0.5, 0.5]))).toBe('ERR_CNN_INVALID_DATASET');
  });
});
