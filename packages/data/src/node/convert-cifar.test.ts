import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../testing/synthetic-mnist.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD } from '../datasets.js';
import { channelMeanStd } from '../stats.js';
import { ensureCifar10Jpeg, loadCifar10, readCifar10Binary } from './cifar10.js';
import { convertImageFolderToCifar10Binary } from './convert-cifar.js';
import { loadImageFolder } from './image-folder.js';

afterAll(removeTempDirs);

// The real offline archive: $CNN_CIFAR10_JPEG_ARCHIVE, else the workplace's ../shared beside the repository (the
// test knows the workspace; the package does not). Only the first images of each class are extracted (tar
// filter), so the suite stays fast. CI always has ../shared: there a missing archive fails instead of skipping.
const workspaceArchive = fileURLToPath(new URL('../../../../../shared/datasets/cifar10-jpeg.tar.gz', import.meta.url));
const archive = process.env.CNN_CIFAR10_JPEG_ARCHIVE ?? (existsSync(workspaceArchive) ? workspaceArchive : undefined);

it.runIf(process.env.CI === 'true')('CI has the offline CIFAR-10 archive', () => {
  expect(archive, `set CNN_CIFAR10_JPEG_ARCHIVE or put shared/ beside the repository (${workspaceArchive})`).toBeDefined();
});

describe.skipIf(archive === undefined)('CIFAR-10 JPEG folder ↔ official binary (real images)', () => {
  it('extracts a subset once, converts it, and both readers return identical tensors', async () => {
    const cacheDir = await tempDir();
    const dir = await ensureCifar10Jpeg({ archive, cacheDir, limitPerClass: 30 });
    expect(dir).toBe(join(cacheDir, 'cifar10-jpeg-first30'));
    const marker = await stat(join(dir, '.complete.json'));
    expect(await ensureCifar10Jpeg({ archive, cacheDir, limitPerClass: 30 })).toBe(dir);
    expect((await stat(join(dir, '.complete.json'))).mtimeMs).toBe(marker.mtimeMs); // not extracted again

    const cache = await tempDir();
    const folder = await loadCifar10({ root: dir, folder: { cache } });
    expect(folder.format).toBe('folder');
    expect([folder.train.length, folder.test.length]).toEqual([300, 300]);
    expect(folder.train.classNames).toEqual(CIFAR10_CLASSES);

    const bin = join(await tempDir(), 'cifar-10-batches-bin');
    expect(await convertImageFolderToCifar10Binary(dir, bin, { cache })).toEqual({ train: 300, test: 300 });
    expect((await readFile(join(bin, 'data_batch_1.bin'))).length).toBe(60 * 3073);
    const binary = await loadCifar10({ root: bin, format: 'auto' });
    expect(binary.format).toBe('binary');
    for (const split of ['train', 'test'] as const) {
      expect(binary[split].labels).toEqual(folder[split].labels);
      expect(Buffer.from(binary[split].images).equals(Buffer.from(folder[split].images))).toBe(true);
    }
    // limitPerClass selects the same samples from both formats
    const a = await readCifar10Binary(bin, { limitPerClass: 5 });
    const b = await loadImageFolder(join(dir, 'train'), { limitPerClass: 5, cache: false });
    expect(Buffer.from(a.train.images).equals(Buffer.from(b.images))).toBe(true);
    await expect(loadCifar10({ root: dir, limitPerClass: 31, folder: { cache: false } })).rejects.toThrow(
      /limitPerClass = 31 exceeds the 30 images of class 'airplane'/,
    );

    // Channel statistics of the first 30 training JPEGs per class vs the published full-set constants.
    // Full 50,000-image JPEG set (scripts/time-cifar10-jpeg.ts): mean 0.4913 0.4821 0.4465, std 0.2452 0.2428
    // 0.2606 — within 0.0002 (mean) and 0.002 (std: JPEG smooths) of the constants. On 300 images the
    // sampling error dominates, so the tolerance here is 0.03.
    const { mean, std } = channelMeanStd(folder.train);
    mean.forEach((m, c) => expect(Math.abs(m - CIFAR10_MEAN[c])).toBeLessThan(0.03));
    std.forEach((s, c) => expect(Math.abs(s - CIFAR10_STD[c])).toBeLessThan(0.03));
  });
});
