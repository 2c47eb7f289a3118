/**
 * IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT").
 *
 * Layout, all integers big-endian: two zero bytes, one dtype byte, one byte `ndim`, then `ndim` unsigned 32-bit
 * dimension sizes, then the elements in row-major (C) order. Files may be gzip-compressed; compression is
 * detected from the gzip magic bytes `1f 8b`, never from the file name.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip, gunzipSync, gzip } from 'node:zlib';
import { writeFileAtomic } from '@cnn/core/node';
import { DataError } from '../errors.js';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

/** An n-dimensional uint8 array read from an IDX file: row-major `data` of `dims.reduce(×)` elements. */
export interface IdxArray {
  /** Dimension sizes, outermost first (e.g. `[60000, 28, 28]` for MNIST training images). */
  dims: number[];
  /** The elements in row-major order; `data.length === product(dims)`. */
  data: Uint8Array;
}

/** IDX dtype codes and their names; only `0x08` (unsigned byte) is supported. */
const IDX_DTYPES: Record<number, string> = {
  8: 'uint8',
  9: 'int8',
  11: 'int16',
  12: 'int32',
  13: 'float32',
  14: 'float64',
};

/** True when `bytes` starts with the gzip magic number `1f 8b` (RFC 1952). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Parses the bytes of an IDX file. Gzip-compressed input is decompressed first (synchronously; prefer
 * {@link readIdx} for large files).
 *
 * @param bytes - The file's bytes (raw IDX or gzip of it).
 * @param source - Name used in error messages, normally the file path.
 * @returns The array; `data` is a view into `bytes` (or into the decompressed buffer), not a copy.
 * @throws DataError naming `source` when: the magic is not `00 00 <dtype> <ndim>`; the dtype is not `0x08`
 *   (uint8); `ndim` is 0; the header is cut short; or the byte length differs from the header's
 *   (truncated or trailing bytes; the message gives expected and actual bytes).
 */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new DataError(`IDX ${source}: gzip data is corrupt: ${(err as Error).message}`, { code: 'ERR_CNN_DATA_FORMAT' });
    }
  }
  if (bytes.length < 4) {
    throw new DataError(`IDX ${source}: file too short for the 4-byte magic number (${bytes.length} bytes)`, { code: 'ERR_CNN_DATA_FORMAT' });
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const got = Array.from(bytes.subarray(0, 4), hex).join(' ');
    throw new DataError(`IDX ${source}: bad magic number ${got}, expected 0x00 0x00 <dtype> <ndim>`, { code: 'ERR_CNN_DATA_FORMAT' });
  }
  const dtype = bytes[2];
  const ndim = bytes[3];
  if (dtype !== 0x08) {
    const name = IDX_DTYPES[dtype];
    throw new DataError(`IDX ${source}: unsupported dtype ${hex(dtype)}${name ? ` (${name})` : ' (unknown)'}; only 0x08 (uint8) is supported`, {
      code: 'ERR_CNN_DATA_FORMAT',
    });
  }
  if (ndim === 0) throw new DataError(`IDX ${source}: ndim is 0, expected at least 1 dimension`, { code: 'ERR_CNN_DATA_FORMAT' });
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DataError(`IDX ${source}: truncated header: ${ndim} dimensions need ${headerBytes} bytes, file has ${bytes.length}`, {
      code: 'ERR_CNN_DATA_FORMAT',
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const expected = headerBytes + count;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new DataError(`IDX ${source}: ${what}: dims [${dims.join(', ')}] need ${expected} bytes, file has ${bytes.length}`, { code: 'ERR_CNN_DATA_FORMAT' });
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/**
 * Reads an IDX file from disk, raw or gzip-compressed (detected by content).
 *
 * @param path - File path.
 * @returns The parsed array; see {@link parseIdx}.
 * @throws DataError from the file system (e.g. `ENOENT`), or {@link parseIdx}'s errors naming `path`.
 */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Uint8Array = await readFile(path);
  if (isGzip(bytes)) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (err) {
      throw new DataError(`IDX ${path}: gzip data is corrupt: ${(err as Error).message}`, { code: 'ERR_CNN_DATA_FORMAT' });
    }
  }
  const { dims, data } = parseIdx(bytes, path);
  // Return a plain Uint8Array view rather than a Node Buffer subclass.
  return { dims, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/**
 * Encodes an array as IDX bytes (dtype `0x08`, uint8).
 *
 * @param arr - `dims` (1 to 255 sizes, each an integer in `[0, 2^32)`) and `data` with `product(dims)` elements.
 * @returns The file's bytes, uncompressed.
 * @throws DataError if the dims are invalid or do not match `data.length`.
 */
export function encodeIdx(arr: IdxArray): Uint8Array {
  const { dims, data } = arr;
  if (!Array.isArray(dims) || dims.length < 1 || dims.length > 255) {
    throw new DataError(`encodeIdx: dims must have 1 to 255 entries, got ${JSON.stringify(dims)}`, { code: 'ERR_CNN_INVALID_DATASET' });
  }
  let count = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) {
      throw new DataError(`encodeIdx: dims must be integers in [0, 2^32), got ${JSON.stringify(dims)}`, { code: 'ERR_CNN_INVALID_DATASET' });
    }
    count *= d;
  }
  if (!(data instanceof Uint8Array) || data.length !== count) {
    throw new DataError(`encodeIdx: data must be a Uint8Array of ${count} elements for dims [${dims.join(', ')}], got ${data?.length}`, {
      code: 'ERR_CNN_INVALID_DATASET',
    });
  }
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}

/** Options for {@link writeIdx}. */
export interface WriteIdxOptions {
  /** Gzip-compress the file (default `false`). The file name is not changed; add `.gz` yourself. */
  gzip?: boolean;
}

/**
 * Writes an IDX file atomically (temporary file in the same directory, then rename).
 *
 * @param path - Destination path; its directory must exist.
 * @param arr - The array; see {@link encodeIdx}.
 * @param options - See {@link WriteIdxOptions}.
 * @throws DataError for invalid `arr` (see {@link encodeIdx}) or from the file system.
 */
export async function writeIdx(path: string, arr: IdxArray, options: WriteIdxOptions = {}): Promise<void> {
  let bytes = encodeIdx(arr);
  if (options.gzip) bytes = await gzipAsync(bytes);
  await writeFileAtomic(path, bytes);
}
