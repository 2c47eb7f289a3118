import { readFile, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, removeTempDirs } from '../testing/synthetic-mnist.js';

afterAll(removeTempDirs);
import { encodeIdx, parseIdx, readIdx, writeIdx } from './idx.js';

const arr = { dims: [2, 3, 4], data: Uint8Array.from({ length: 24 }, (_, i) => i * 10) };

describe('IDX encode/parse', () => {
  it('encodes the documented header byte for byte', () => {
    const bytes = encodeIdx({ dims: [3], data: Uint8Array.of(7, 8, 9) });
    expect(Array.from(bytes)).toEqual([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]);
    const b2 = encodeIdx({ dims: [1, 258], data: new Uint8Array(258) });
    expect(Array.from(b2.subarray(0, 12))).toEqual([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 1, 2]);
  });

  it('parses what it encodes', () => {
    const p = parseIdx(encodeIdx(arr), 'mem');
    expect(p.dims).toEqual([2, 3, 4]);
    expect(Array.from(p.data)).toEqual(Array.from(arr.data));
  });

  it('rejects a wrong magic number, naming the source', () => {
    const bytes = encodeIdx(arr);
    bytes[0] = 0x42;
    expect(() => parseIdx(bytes, 'bad.idx')).toThrow(/IDX bad\.idx: bad magic number 0x42 0x00 0x08 0x03/);
  });

  it('rejects unsupported dtypes by name', () => {
    const bytes = encodeIdx(arr);
    bytes[2] = 0x0d;
    expect(() => parseIdx(bytes, 'f.idx')).toThrow(/unsupported dtype 0x0d \(float32\); only 0x08 \(uint8\)/);
    bytes[2] = 0x77;
    expect(() => parseIdx(bytes, 'f.idx')).toThrow(/0x77 \(unknown\)/);
  });

  it('rejects truncated data with expected and actual bytes', () => {
    const bytes = encodeIdx(arr).subarray(0, 16 + 20);
    expect(() => parseIdx(bytes, 't.idx')).toThrow('IDX t.idx: truncated: dims [2, 3, 4] need 40 bytes, file has 36');
  });

  it('rejects a truncated header', () => {
    expect(() => parseIdx(Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 2), 'h.idx')).toThrow(/truncated header: 3 dimensions need 16 bytes, file has 8/);
    expect(() => parseIdx(Uint8Array.of(0, 0), 'h.idx')).toThrow(/too short/);
  });

  it('rejects trailing bytes with expected and actual bytes', () => {
    const enc = encodeIdx(arr);
    const bytes = new Uint8Array(enc.length + 3);
    bytes.set(enc);
    expect(() => parseIdx(bytes, 'x.idx')).toThrow('IDX x.idx: has trailing bytes: dims [2, 3, 4] need 40 bytes, file has 43');
  });

  it('detects gzip by content', () => {
    const p = parseIdx(gzipSync(encodeIdx(arr)), 'mem.gz');
    expect(Array.from(p.data)).toEqual(Array.from(arr.data));
  });

  it('encodeIdx validates dims against data', () => {
    expect(() => encodeIdx({ dims: [2, 2], data: new Uint8Array(3) })).toThrow(/4 elements for dims \[2, 2\], got 3/);
    expect(() => encodeIdx({ dims: [], data: new Uint8Array(0) })).toThrow(/1 to 255/);
  });
});

describe('readIdx / writeIdx', () => {
  it('round-trips raw and gzip files; gzip detected by magic, not name', async () => {
    const dir = await tempDir();
    await writeIdx(join(dir, 'a.idx'), arr);
    await writeIdx(join(dir, 'b.idx'), arr, { gzip: true }); // gzip content without .gz name
    await writeIdx(join(dir, 'c.gz'), arr, { gzip: false }); // raw content with a .gz name
    const rawBytes = await readFile(join(dir, 'a.idx'));
    const gzBytes = await readFile(join(dir, 'b.idx'));
    expect(rawBytes.length).toBe(40);
    expect([gzBytes[0], gzBytes[1]]).toEqual([0x1f, 0x8b]);
    for (const f of ['a.idx', 'b.idx', 'c.gz']) {
      const r = await readIdx(join(dir, f));
      expect(r.dims).toEqual([2, 3, 4]);
      expect(Array.from(r.data)).toEqual(Array.from(arr.data));
      expect(Object.getPrototypeOf(r.data)).toBe(Uint8Array.prototype);
    }
    // Atomic write leaves no temporary files.
    expect((await readdir(dir)).sort()).toEqual(['a.idx', 'b.idx', 'c.gz']);
  });

  it('names the file in errors for truncated gzip content', async () => {
    const dir = await tempDir();
    const p = join(dir, 'trunc.gz');
    await writeFile(p, gzipSync(encodeIdx(arr).subarray(0, 30)));
    await expect(readIdx(p)).rejects.toThrow(`IDX ${p}: truncated: dims [2, 3, 4] need 40 bytes, file has 30`);
    const corrupt = join(dir, 'corrupt.gz');
    await writeFile(corrupt, gzipSync(encodeIdx(arr)).subarray(0, 15));
    await expect(readIdx(corrupt)).rejects.toThrow(`IDX ${corrupt}: gzip data is corrupt`);
  });
});
