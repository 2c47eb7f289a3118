import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticImages, syntheticLabels, tempDir, removeTempDirs } from '../testing/synthetic-mnist.js';

afterAll(removeTempDirs);
import { downloadFile, MNIST_RESOURCES, type DatasetResource } from './download.js';
import { encodeIdx } from './idx.js';
import { loadMnist } from './mnist.js';

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

// Small gzip'd IDX files in MNIST layout, served from memory.
const files = new Map<string, Uint8Array>([
  ['train-images-idx3-ubyte.gz', gzipSync(encodeIdx({ dims: [8, 28, 28], data: syntheticImages(8) }))],
  ['train-labels-idx1-ubyte.gz', gzipSync(encodeIdx({ dims: [8], data: syntheticLabels(8) }))],
  ['t10k-images-idx3-ubyte.gz', gzipSync(encodeIdx({ dims: [3, 28, 28], data: syntheticImages(3) }))],
  ['t10k-labels-idx1-ubyte.gz', gzipSync(encodeIdx({ dims: [3], data: syntheticLabels(3) }))],
]);
const resources: DatasetResource[] = [...files].map(([file, bytes]) => ({ file, md5: md5(bytes) }));
const hits = new Map<string, number>();

let server: FastifyInstance;
let base: string;

beforeAll(async () => {
  server = Fastify();
  server.get('/mnist/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    hits.set(name, (hits.get(name) ?? 0) + 1);
    const body = files.get(name);
    if (body === undefined) return reply.code(404).send('not found');
    return reply.type('application/octet-stream').send(Buffer.from(body));
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  base = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await server.close();
});

const name = 'train-images-idx3-ubyte.gz';
const body = files.get(name)!;

describe('downloadFile', () => {
  it('downloads, verifies sha256 and md5, reports progress', async () => {
    const dir = await tempDir();
    const dest = join(dir, 'sub', name);
    const progress: Array<[number, number | undefined]> = [];
    const res = await downloadFile(`${base}/mnist/${name}`, dest, {
      sha256: sha256(body).toUpperCase(),
      md5: md5(body),
      onProgress: (r, t) => progress.push([r, t]),
    });
    expect(res).toEqual({ path: dest, skipped: false, bytes: body.length, sha256: sha256(body), md5: md5(body) });
    expect(new Uint8Array(await readFile(dest))).toEqual(new Uint8Array(body));
    expect(progress.at(-1)).toEqual([body.length, body.length]);
    expect(await readdir(join(dir, 'sub'))).toEqual([name]);
  });

  it('a checksum mismatch names url, expected and actual, and leaves nothing behind', async () => {
    const dir = await tempDir();
    const dest = join(dir, name);
    const wrong = '0'.repeat(64);
    const url = `${base}/mnist/${name}`;
    await expect(downloadFile(url, dest, { sha256: wrong })).rejects.toThrow(`checksum mismatch for ${url}: sha256 expected ${wrong}, got ${sha256(body)}`);
    await expect(downloadFile(url, dest, { md5: 'f'.repeat(32) })).rejects.toThrow(`md5 expected ${'f'.repeat(32)}, got ${md5(body)}`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('HTTP 404 gives a clear error with the status and url', async () => {
    const dir = await tempDir();
    const url = `${base}/mnist/nope.gz`;
    await expect(downloadFile(url, join(dir, 'nope.gz'))).rejects.toThrow(`download failed: HTTP 404 Not Found for ${url}`);
    expect(await readdir(dir)).toEqual([]);
  });

  it('connection refused names the url', async () => {
    const dir = await tempDir();
    // Port 1 on localhost: nothing listens there.
    await expect(downloadFile('http://127.0.0.1:1/x.gz', join(dir, 'x.gz'))).rejects.toThrow(/download of http:\/\/127\.0\.0\.1:1\/x\.gz failed/);
  });

  it('is idempotent: an existing file with the right checksum is not fetched again; a wrong one is replaced', async () => {
    const dir = await tempDir();
    const dest = join(dir, name);
    const url = `${base}/mnist/${name}`;
    const before = hits.get(name) ?? 0;
    await downloadFile(url, dest, { md5: md5(body) });
    const second = await downloadFile(url, dest, { md5: md5(body) });
    expect(second.skipped).toBe(true);
    expect(hits.get(name)).toBe(before + 1);
    await writeFile(dest, 'corrupted');
    const third = await downloadFile(url, dest, { md5: md5(body) });
    expect(third.skipped).toBe(false);
    expect(hits.get(name)).toBe(before + 2);
    expect(md5(await readFile(dest))).toBe(md5(body));
  });

  it('rejects malformed checksums', async () => {
    await expect(downloadFile(`${base}/mnist/${name}`, '/tmp/never', { sha256: 'abc' })).rejects.toThrow(/sha256 must be 64 hex digits, got 'abc'/);
  });
});

describe('loadMnist({download: true})', () => {
  it('downloads the missing .gz files into root, then loads them; a second load fetches nothing', async () => {
    const root = await tempDir();
    const before = [...files.keys()].map((f) => hits.get(f) ?? 0);
    const { train, test } = await loadMnist({ root, download: true, mirror: `${base}/mnist/`, resources });
    expect([train.length, test.length]).toEqual([8, 3]);
    expect(Array.from(train.images)).toEqual(Array.from(syntheticImages(8)));
    expect((await readdir(root)).sort()).toEqual([...files.keys()].sort());
    await loadMnist({ root, download: true, mirror: `${base}/mnist/`, resources });
    expect([...files.keys()].map((f) => hits.get(f) ?? 0)).toEqual(before.map((b) => b + 1));
  });

  it('falls through mirrors in order and reports every failure', async () => {
    const root = await tempDir();
    const { test } = await loadMnist({
      root,
      download: true,
      split: 'test',
      mirror: [`${base}/missing/`, `${base}/mnist`],
      resources,
    });
    expect(test.length).toBe(3);
  });

  it('with the published MNIST md5s, served files that differ are rejected and nothing is kept', async () => {
    const root = await tempDir();
    const err = await loadMnist({ root, download: true, mirror: `${base}/mnist/` }).catch((e: Error) => e);
    expect((err as Error).message).toContain('could not download train-images-idx3-ubyte.gz from any mirror');
    expect((err as Error).message).toContain(`md5 expected ${MNIST_RESOURCES[0].md5}, got ${md5(body)}`);
    expect(await readdir(root)).toEqual([]);
  });
});
