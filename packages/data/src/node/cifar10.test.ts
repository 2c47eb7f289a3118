import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import * as tar from 'tar';
import { CIFAR10_CLASSES } from '../datasets.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../testing/synthetic-mnist.js';
import {
  CIFAR10_BINARY_RESOURCE,
  CIFAR10_RECORD_BYTES,
  decodeCifar10Records,
  downloadCifar10Binary,
  encodeCifar10Records,
  findCifar10JpegArchive,
  loadCifar10,
  readCifar10Batch,
  readCifar10Binary,
} from './cifar10.js';
import { writeCifar10Binary } from './convert-cifar.js';
import type { ImageDataset } from '@cnn/core';

afterAll(removeTempDirs);

/** n synthetic 32×32×3 images: pixel (y, x, c) of image i is (i·13 + y·7 + x·3 + c·101) mod 256; labels i mod 10. */
function synthetic(n: number, name = 'synthetic'): ImageDataset {
  const images = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) for (let c = 0; c < 3; c++) images[i * 3072 + (y * 32 + x) * 3 + c] = (i * 13 + y * 7 + x * 3 + c * 101) % 256;
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return { images, labels, length: n, height: 32, width: 32, channels: 3, classNames: [...CIFAR10_CLASSES], name };
}

describe('CIFAR-10 binary records', () => {
  it('decodes CHW planes R, G, B into NHWC', () => {
    const rec = new Uint8Array(CIFAR10_RECORD_BYTES);
    rec[0] = 7;
    // pixel (y=1, x=2): plane offset 1·32 + 2 = 34
    rec[1 + 34] = 200; // R
    rec[1 + 1024 + 34] = 100; // G
    rec[1 + 2048 + 34] = 50; // B
    const { images, labels, length } = decodeCifar10Records(rec, 'one.bin');
    expect(length).toBe(1);
    expect(labels[0]).toBe(7);
    expect(Array.from(images.subarray(34 * 3, 34 * 3 + 3))).toEqual([200, 100, 50]);
    expect(images.reduce((s, v) => s + v, 0)).toBe(350);
  });

  it('round-trips encode → decode', () => {
    const ds = synthetic(12);
    const bytes = encodeCifar10Records(ds.images, ds.labels);
    expect(bytes.length).toBe(12 * 3073);
    // the first record's R plane starts with pixel (0,0) R = 0, G plane with 101, B plane with 202
    expect([bytes[1], bytes[1 + 1024], bytes[1 + 2048]]).toEqual([0, 101, 202]);
    const back = decodeCifar10Records(bytes, 'x');
    expect(back.images).toEqual(ds.images);
    expect(back.labels).toEqual(ds.labels);
  });

  it('rejects a file whose length is not a multiple of 3,073, naming the file', async () => {
    const dir = await tempDir();
    const path = join(dir, 'data_batch_1.bin');
    const good = encodeCifar10Records(synthetic(2).images, synthetic(2).labels);
    await writeFile(path, good.subarray(0, good.length - 5));
    await expect(readCifar10Batch(path)).rejects.toThrow(`CIFAR-10 batch ${path}: length 6141 bytes is not a positive multiple of the 3073-byte record`);
    expect(() => decodeCifar10Records(new Uint8Array(0), 'empty.bin')).toThrow(/empty\.bin: length 0/);
  });

  it('rejects a label byte ≥ 10, naming the file and record', () => {
    const bytes = encodeCifar10Records(synthetic(3).images, synthetic(3).labels);
    bytes[2 * 3073] = 10;
    expect(() => decodeCifar10Records(bytes, 'test_batch.bin')).toThrow(
      'CIFAR-10 batch test_batch.bin: record 2 (byte offset 6146) has label 10; labels must be in [0, 10)',
    );
  });
});

describe('readCifar10Binary / writeCifar10Binary', () => {
  it('writes five train batches, a test batch and the class names, and reads them back', async () => {
    const dir = await tempDir();
    const train = synthetic(23, 'tr');
    const test = synthetic(27, 'te');
    await writeCifar10Binary(dir, { train, test });
    const sizes = await Promise.all([1, 2, 3, 4, 5].map(async (k) => (await readFile(join(dir, `data_batch_${k}.bin`))).length / 3073));
    expect(sizes).toEqual([5, 4, 5, 4, 5]);
    const got = await readCifar10Binary(dir);
    expect(got.train.images).toEqual(train.images);
    expect(got.train.labels).toEqual(train.labels);
    expect(got.test.images).toEqual(test.images);
    expect(got.train.classNames).toEqual(CIFAR10_CLASSES);
    expect([got.train.length, got.test.length, got.train.height, got.train.channels]).toEqual([23, 27, 32, 3]);

    const sub = await readCifar10Binary(dir, { limitPerClass: 2 });
    expect(sub.train.length).toBe(20);
    // first two records of each class, in record order: indices 0..19 (labels i mod 10)
    expect(sub.train.images).toEqual(train.images.subarray(0, 20 * 3072));
    await expect(readCifar10Binary(dir, { limitPerClass: 3 })).rejects.toThrow(/limitPerClass = 3 exceeds the 2 images of class 'cat'/);
  });

  it('rejects a dataset that is not 32×32×3', async () => {
    const ds = { ...synthetic(5), height: 16, width: 64 };
    await expect(writeCifar10Binary(await tempDir(), { train: ds, test: ds })).rejects.toThrow(/must be \[n, 32, 32, 3\]/);
  });
});

describe('downloadCifar10Binary / loadCifar10', () => {
  let server: FastifyInstance;
  let base: string;
  let archive: Buffer;
  let hits = 0;
  const train = synthetic(10, 'tr');
  const test = synthetic(10, 'te');

  beforeAll(async () => {
    // A small archive in the official layout: cifar-10-batches-bin/{data_batch_*.bin,test_batch.bin,batches.meta.txt}
    const work = await tempDir();
    await writeCifar10Binary(join(work, CIFAR10_BINARY_RESOURCE.folder), { train, test });
    const file = join(work, 'small.tar.gz');
    await tar.c({ gzip: true, file, cwd: work, portable: true }, [CIFAR10_BINARY_RESOURCE.folder]);
    archive = await readFile(file);
    server = Fastify();
    server.get('/cifar/:name', async (req, reply) => {
      hits++;
      if ((req.params as { name: string }).name !== CIFAR10_BINARY_RESOURCE.file) return reply.code(404).send('no');
      return reply.type('application/gzip').send(archive);
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const addr = server.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no address');
    base = `http://127.0.0.1:${addr.port}/cifar/`;
  });
  afterAll(async () => server.close());

  it('downloads (md5-checked, with progress), extracts, and is idempotent', async () => {
    const root = await tempDir();
    const md5 = createHash('md5').update(archive).digest('hex');
    const progress: number[] = [];
    const url = base + CIFAR10_BINARY_RESOURCE.file;
    const got = await loadCifar10({ root, download: true, downloadOptions: { url, md5, onProgress: (r) => progress.push(r) } });
    expect(got.format).toBe('binary');
    expect(got.dir).toBe(join(root, 'cifar-10-batches-bin'));
    expect(got.train.images).toEqual(train.images);
    expect(got.test.labels).toEqual(test.labels);
    expect(progress.at(-1)).toBe(archive.length);
    const before = hits;
    await downloadCifar10Binary(root, { url, md5 });
    expect(hits).toBe(before); // already extracted: nothing fetched
  });

  it('fails on a checksum mismatch, naming the url, and leaves no batches behind', async () => {
    const root = await tempDir();
    const url = base + CIFAR10_BINARY_RESOURCE.file;
    await expect(downloadCifar10Binary(root, { url })).rejects.toThrow(new RegExp(`md5 expected ${CIFAR10_BINARY_RESOURCE.md5}, got [0-9a-f]{32}`));
    await expect(loadCifar10({ root, format: 'binary' })).rejects.toThrow(/CIFAR-10 not found\. Looked for: binary batches in/);
  });

  it('auto-detects an image folder vs binary and explains what is missing', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'empty'));
    await expect(loadCifar10({ root: join(root, 'empty') })).rejects.toThrow(/Use download: true .*pass root, or pass jpegArchive/);
    await writeCifar10Binary(join(root, 'b'), { train, test });
    const got = await loadCifar10({ root: join(root, 'b') });
    expect(got.format).toBe('binary');
    await expect(loadCifar10({ root: join(root, 'b'), format: 'folder' })).rejects.toThrow(/image folders/);
    await expect(loadCifar10({ root, format: 'jpeg' as never })).rejects.toThrow(/format must be/);
  });
});

describe('findCifar10JpegArchive', () => {
  it('reads only CNN_CIFAR10_JPEG_ARCHIVE, never walking up parent folders to a shared/ directory', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'shared', 'datasets'), { recursive: true });
    await writeFile(join(root, 'shared', 'datasets', 'cifar10-jpeg.tar.gz'), '');
    const nested = join(root, 'a', 'b');
    await mkdir(nested, { recursive: true });
    const cwd = process.cwd();
    const saved = process.env.CNN_CIFAR10_JPEG_ARCHIVE;
    delete process.env.CNN_CIFAR10_JPEG_ARCHIVE;
    try {
      process.chdir(nested);
      expect(findCifar10JpegArchive()).toBeUndefined();
      process.env.CNN_CIFAR10_JPEG_ARCHIVE = 'x.tar.gz';
      expect(findCifar10JpegArchive()).toBe(join(nested, 'x.tar.gz'));
    } finally {
      process.chdir(cwd);
      if (saved === undefined) delete process.env.CNN_CIFAR10_JPEG_ARCHIVE;
      else process.env.CNN_CIFAR10_JPEG_ARCHIVE = saved;
    }
  });
});
