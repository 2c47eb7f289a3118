/**
 * CIFAR-10 (A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009,
 * https://www.cs.toronto.edu/~kriz/cifar.html): the official binary version (`cifar-10-batches-bin`), the
 * offline JPEG image folder, format detection, download and the usual normalisation constants.
 *
 * @packageDocumentation
 */
import { dataDir } from './data-dir.js';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as tar from 'tar';
import { writeJsonAtomic } from '@cnn/core/node';
import { downloadFile } from './download.js';
import type { ImageDataset } from '@cnn/core';
import { CIFAR10_CLASSES } from '../datasets.js';
import { isDirectory, loadImageFolder, type ImageFolderOptions } from './image-folder.js';
import { DataError } from '../errors.js';

/** Bytes per image in a CIFAR-10 binary record (3 planes of 32 × 32). */
export const CIFAR10_IMAGE_BYTES = 3072;
/** Bytes per CIFAR-10 binary record: 1 label byte + {@link CIFAR10_IMAGE_BYTES}. */
export const CIFAR10_RECORD_BYTES = 3073;
/** The five training batch files of the binary version. */
export const CIFAR10_TRAIN_FILES: readonly string[] = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
/** The test batch file of the binary version. */
export const CIFAR10_TEST_FILE = 'test_batch.bin';
/** The class-name file of the binary version (one name per line). */
export const CIFAR10_META_FILE = 'batches.meta.txt';

/** The official binary archive: URL, MD5 published on the CIFAR page, and the folder it extracts to. */
export const CIFAR10_BINARY_RESOURCE = {
  url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
  file: 'cifar-10-binary.tar.gz',
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
  folder: 'cifar-10-batches-bin',
} as const;

/** Folder name of the offline JPEG copy inside its archive (`cifar10-jpeg/{train,test}/<class>/NNNN.jpg`). */
export const CIFAR10_JPEG_FOLDER = 'cifar10-jpeg';

/** Decoded records of one CIFAR-10 batch file. */
export interface Cifar10Records {
  /** `[length, 32, 32, 3]` uint8, NHWC. */
  images: Uint8Array;
  /** `[length]` uint8 labels in `[0, 10)`. */
  labels: Uint8Array;
  /** Number of records. */
  length: number;
}

/**
 * Decodes CIFAR-10 binary records (each: 1 label byte, then 3,072 pixel bytes as three 32 × 32 planes R, G,
 * B, rows top to bottom) into NHWC uint8.
 *
 * @param bytes - File contents.
 * @param source - File name for error messages.
 * @returns Images `[n, 32, 32, 3]` and labels `[n]`.
 * @throws DataError naming `source` when the length is not a positive multiple of 3,073 or a label byte is ≥ 10.
 */
export function decodeCifar10Records(bytes: Uint8Array, source: string): Cifar10Records {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new DataError(
      `CIFAR-10 batch ${source}: length ${bytes.length} bytes is not a positive multiple of the ${CIFAR10_RECORD_BYTES}-byte record ` +
        `(1 label + 3072 pixels); the file is truncated or not a CIFAR-10 binary batch`,
      { code: 'ERR_CNN_DATA_FORMAT' },
    );
  }
  const n = bytes.length / CIFAR10_RECORD_BYTES;
  const labels = new Uint8Array(n);
  const images = new Uint8Array(n * CIFAR10_IMAGE_BYTES);
  for (let i = 0; i < n; i++) {
    const rec = i * CIFAR10_RECORD_BYTES;
    const label = bytes[rec];
    if (label >= 10) {
      throw new DataError(`CIFAR-10 batch ${source}: record ${i} (byte offset ${rec}) has label ${label}; labels must be in [0, 10)`, {
        code: 'ERR_CNN_DATA_FORMAT',
      });
    }
    labels[i] = label;
    // Layout change: the record stores CHW planes (R 0..1023, G 1024..2047, B 2048..3071); we write HWC.
    const src = rec + 1;
    const dst = i * CIFAR10_IMAGE_BYTES;
    for (let p = 0; p < 1024; p++) {
      images[dst + 3 * p] = bytes[src + p];
      images[dst + 3 * p + 1] = bytes[src + 1024 + p];
      images[dst + 3 * p + 2] = bytes[src + 2048 + p];
    }
  }
  return { images, labels, length: n };
}

/**
 * Encodes NHWC uint8 images and labels as CIFAR-10 binary records (the inverse of {@link decodeCifar10Records}).
 *
 * @param images - `[n, 32, 32, 3]` uint8.
 * @param labels - `[n]` uint8, each `< 10`.
 * @returns `n · 3073` bytes.
 * @throws DataError when the sizes disagree or a label is ≥ 10.
 */
export function encodeCifar10Records(images: Uint8Array, labels: Uint8Array): Uint8Array {
  const n = labels.length;
  if (images.length !== n * CIFAR10_IMAGE_BYTES) {
    throw new DataError(`encodeCifar10Records: images must hold ${n} × 32 × 32 × 3 = ${n * CIFAR10_IMAGE_BYTES} bytes, got ${images.length}`, {
      code: 'ERR_CNN_INVALID_DATASET',
    });
  }
  const out = new Uint8Array(n * CIFAR10_RECORD_BYTES);
  for (let i = 0; i < n; i++) {
    if (labels[i] >= 10)
      throw new DataError(`encodeCifar10Records: label ${labels[i]} at index ${i} is out of range [0, 10)`, { code: 'ERR_CNN_INVALID_DATASET' });
    const rec = i * CIFAR10_RECORD_BYTES;
    out[rec] = labels[i];
    // Layout change: HWC in memory → CHW planes R, G, B in the record.
    const src = i * CIFAR10_IMAGE_BYTES;
    for (let p = 0; p < 1024; p++) {
      out[rec + 1 + p] = images[src + 3 * p];
      out[rec + 1 + 1024 + p] = images[src + 3 * p + 1];
      out[rec + 1 + 2048 + p] = images[src + 3 * p + 2];
    }
  }
  return out;
}

/**
 * Reads one CIFAR-10 binary batch file (`data_batch_k.bin` or `test_batch.bin`).
 * @throws DataError naming the file when it is missing, of the wrong length, or holds a label ≥ 10.
 */
export async function readCifar10Batch(path: string): Promise<Cifar10Records> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new DataError(`CIFAR-10 batch ${path}: cannot read (${(err as Error).message})`, { code: 'ERR_CNN_DATA_NOT_FOUND' });
  }
  return decodeCifar10Records(bytes, path);
}

/** The train and test splits of CIFAR-10. */
export interface Cifar10Splits {
  /** 50,000 images (or fewer with `limitPerClass`), `[n, 32, 32, 3]`. */
  train: ImageDataset;
  /** 10,000 images (or fewer with `limitPerClass`), `[n, 32, 32, 3]`. */
  test: ImageDataset;
}

function takePerClass(rec: Cifar10Records, limitPerClass: number | undefined, source: string): Cifar10Records {
  if (limitPerClass === undefined) return rec;
  if (!Number.isInteger(limitPerClass) || limitPerClass < 1) {
    throw new DataError(`CIFAR-10: limitPerClass must be a positive integer. Received: limitPerClass=${String(limitPerClass)}`, {
      code: 'ERR_CNN_INVALID_OPTION',
    });
  }
  const taken = new Array<number>(10).fill(0);
  const keep: number[] = [];
  for (let i = 0; i < rec.length; i++) {
    const l = rec.labels[i];
    if (taken[l] < limitPerClass) {
      taken[l]++;
      keep.push(i);
    }
  }
  const short = taken.findIndex((t) => t < limitPerClass);
  if (short >= 0) {
    throw new DataError(`CIFAR-10 ${source}: limitPerClass = ${limitPerClass} exceeds the ${taken[short]} images of class '${CIFAR10_CLASSES[short]}'`, {
      code: 'ERR_CNN_INVALID_OPTION',
    });
  }
  const images = new Uint8Array(keep.length * CIFAR10_IMAGE_BYTES);
  keep.forEach((i, j) => images.set(rec.images.subarray(i * CIFAR10_IMAGE_BYTES, (i + 1) * CIFAR10_IMAGE_BYTES), j * CIFAR10_IMAGE_BYTES));
  return { images, labels: Uint8Array.from(keep, (i) => rec.labels[i]), length: keep.length };
}

/**
 * Reads the official binary version from a folder holding `data_batch_1.bin` … `data_batch_5.bin`,
 * `test_batch.bin` and (optionally) `batches.meta.txt`, whose non-empty lines name the classes.
 *
 * @param dir - The `cifar-10-batches-bin` folder.
 * @param opts - `limitPerClass`: keep the first `n` records of each class (record order) in each split.
 * @returns `{train, test}`, `images` `[n, 32, 32, 3]` uint8 NHWC.
 * @throws DataError naming the file for missing / malformed batches; Error when `limitPerClass` exceeds a class.
 */
export async function readCifar10Binary(dir: string, opts: { limitPerClass?: number } = {}): Promise<Cifar10Splits> {
  let classNames = [...CIFAR10_CLASSES];
  const metaPath = join(dir, CIFAR10_META_FILE);
  if (existsSync(metaPath)) {
    const names = (await readFile(metaPath, 'utf8'))
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (names.length !== 10) throw new DataError(`CIFAR-10 ${metaPath}: expected 10 class names, found ${names.length}`, { code: 'ERR_CNN_DATA_FORMAT' });
    classNames = names;
  }
  const parts = await Promise.all(CIFAR10_TRAIN_FILES.map((f) => readCifar10Batch(join(dir, f))));
  const n = parts.reduce((s, p) => s + p.length, 0);
  const all: Cifar10Records = { images: new Uint8Array(n * CIFAR10_IMAGE_BYTES), labels: new Uint8Array(n), length: n };
  let off = 0;
  for (const p of parts) {
    all.images.set(p.images, off * CIFAR10_IMAGE_BYTES);
    all.labels.set(p.labels, off);
    off += p.length;
  }
  const train = takePerClass(all, opts.limitPerClass, `${dir} (train)`);
  const test = takePerClass(await readCifar10Batch(join(dir, CIFAR10_TEST_FILE)), opts.limitPerClass, `${dir} (test)`);
  const ds = (r: Cifar10Records, name: string): ImageDataset => ({ ...r, height: 32, width: 32, channels: 3, classNames, name });
  return { train: ds(train, 'cifar10-train'), test: ds(test, 'cifar10-test') };
}

/**
 * `$CNN_DATA_DIR/cifar10`, else `<platform cache folder>/cnn-data/cifar10` ({@link dataDir}; `~/.cache/cnn-data/cifar10`
 * on Linux): the default CIFAR-10 download / extraction folder.
 */
export function cifar10DataDir(): string {
  return dataDir('cifar10');
}

/** Options for {@link downloadCifar10Binary}. */
export interface DownloadCifar10Options {
  /** Archive URL. Default {@link CIFAR10_BINARY_RESOURCE}`.url`. */
  url?: string;
  /** Expected MD5 of the archive. Default the published {@link CIFAR10_BINARY_RESOURCE}`.md5`. */
  md5?: string;
  /** Download progress `(receivedBytes, totalBytes | undefined)`. */
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
  /** Download time limit in milliseconds (default `600000`). */
  timeoutMs?: number;
}

const hasBinaryFiles = (dir: string): boolean => [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].every((f) => existsSync(join(dir, f)));

/** @throws DataError (`ERR_CNN_DATA_NOT_FOUND`) naming the batch files `extracted` (from `archive`) lacks. */
async function checkBinaryFolder(archive: string, extracted: string): Promise<void> {
  const missing = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].filter((f) => !existsSync(join(extracted, f)));
  if (missing.length > 0) {
    throw new DataError(`CIFAR-10 archive ${archive}: ${CIFAR10_BINARY_RESOURCE.folder}/ lacks ${missing.join(', ')}`, { code: 'ERR_CNN_DATA_NOT_FOUND' });
  }
}

/**
 * Downloads the official binary archive into `root` (MD5-checked, atomic, idempotent) and extracts it
 * there (into a temporary folder, renamed into place once complete).
 *
 * @param root - Target folder (created if missing); the batches end up in `root/cifar-10-batches-bin`.
 * @returns The `cifar-10-batches-bin` folder.
 * @throws DataError on HTTP / checksum failures (naming URL, expected and actual MD5) or when the archive lacks a batch file.
 */
export async function downloadCifar10Binary(root: string, opts: DownloadCifar10Options = {}): Promise<string> {
  const out = join(root, CIFAR10_BINARY_RESOURCE.folder);
  if (hasBinaryFiles(out)) return out;
  await mkdir(root, { recursive: true });
  const archive = join(root, CIFAR10_BINARY_RESOURCE.file);
  await downloadFile(opts.url ?? CIFAR10_BINARY_RESOURCE.url, archive, {
    md5: opts.md5 ?? CIFAR10_BINARY_RESOURCE.md5,
    onProgress: opts.onProgress,
    timeoutMs: opts.timeoutMs ?? 600_000,
  });
  await extractOnce('downloadCifar10Binary', archive, out, CIFAR10_BINARY_RESOURCE.folder, {}, (extracted) => checkBinaryFolder(archive, extracted));
  return out;
}

/** Options for {@link ensureCifar10Jpeg}. */
export interface EnsureCifar10JpegOptions {
  /** The `cifar10-jpeg.tar.gz` archive. Default {@link findCifar10JpegArchive}. */
  archive?: string;
  /** Folder to extract into. Default {@link cifar10DataDir}. */
  cacheDir?: string;
  /** Extract only files `NNNN.jpg` with `NNNN < limitPerClass` of each class (fast subsets for tests). */
  limitPerClass?: number;
}

/**
 * The offline `cifar10-jpeg.tar.gz` named by the environment variable `CNN_CIFAR10_JPEG_ARCHIVE` (resolved
 * against the working directory), or `undefined`. The package never searches the file system for it: pass the
 * archive (`loadCifar10({jpegArchive})`, `ensureCifar10Jpeg({archive})`) or set the variable.
 */
export function findCifar10JpegArchive(): string | undefined {
  const env = process.env.CNN_CIFAR10_JPEG_ARCHIVE;
  return env ? resolve(env) : undefined;
}

/**
 * Extracts the offline JPEG archive once into a cache folder and returns the folder holding `train/` and
 * `test/` (`<cacheDir>/cifar10-jpeg`, or `<cacheDir>/cifar10-jpeg-first<n>` with `limitPerClass`).
 *
 * Idempotent: a `.complete.json` marker (archive path, size, mtime, limit) is written last; a folder whose marker
 * matches the archive is returned as is. Extraction goes to a temporary folder renamed into place, so an
 * interrupted run leaves no half folder behind.
 *
 * @throws DataError when no archive is given or found, or the archive lacks `cifar10-jpeg/train` and `test`.
 */
export async function ensureCifar10Jpeg(opts: EnsureCifar10JpegOptions = {}): Promise<string> {
  const archive = opts.archive ?? findCifar10JpegArchive();
  if (archive === undefined) {
    throw new DataError('ensureCifar10Jpeg: no cifar10-jpeg.tar.gz found; pass { archive } or set CNN_CIFAR10_JPEG_ARCHIVE', {
      code: 'ERR_CNN_DATA_NOT_FOUND',
    });
  }
  const n = opts.limitPerClass;
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) {
    throw new DataError(`ensureCifar10Jpeg: limitPerClass must be a positive integer. Received: limitPerClass=${String(n)}`, {
      code: 'ERR_CNN_INVALID_OPTION',
    });
  }
  const cacheDir = resolve(opts.cacheDir ?? cifar10DataDir());
  const out = join(cacheDir, n === undefined ? CIFAR10_JPEG_FOLDER : `${CIFAR10_JPEG_FOLDER}-first${n}`);
  const keep = (path: string): boolean => {
    if (n === undefined) return true;
    const m = /\/(\d+)\.[A-Za-z]+$/.exec(path);
    return m === null || Number(m[1]) < n;
  };
  await extractOnce(
    'ensureCifar10Jpeg',
    archive,
    out,
    CIFAR10_JPEG_FOLDER,
    { limitPerClass: n ?? null },
    async (extracted) => {
      for (const split of ['train', 'test']) {
        if (!(await isDirectory(join(extracted, split)))) {
          throw new DataError(`ensureCifar10Jpeg: archive ${archive} has no ${CIFAR10_JPEG_FOLDER}/${split}/ folder`, { code: 'ERR_CNN_DATA_NOT_FOUND' });
        }
      }
    },
    keep,
  );
  return out;
}

/** Options for {@link ensureCifar10Binary}. */
export interface EnsureCifar10BinaryOptions {
  /** A `.tar.gz` of the official binary layout (`cifar-10-batches-bin/data_batch_1.bin` … `test_batch.bin`). */
  archive: string;
  /** Folder to extract into. Default {@link cifar10DataDir}. */
  cacheDir?: string;
}

/**
 * Extracts a CIFAR-10 archive in the official binary layout (the python-free `cifar-10-binary.tar.gz`, or a
 * lossless offline copy of it) once into `<cacheDir>/cifar-10-batches-bin` and returns `cacheDir`, the `root` that
 * {@link loadCifar10} reads with `format: 'binary'`. Idempotent and never half-written, as {@link ensureCifar10Jpeg}.
 *
 * @throws DataError (`ERR_CNN_DATA_NOT_FOUND`) when the archive cannot be read or its `cifar-10-batches-bin/`
 *   lacks a batch file.
 */
export async function ensureCifar10Binary(opts: EnsureCifar10BinaryOptions): Promise<string> {
  const cacheDir = resolve(opts.cacheDir ?? cifar10DataDir());
  const folder = CIFAR10_BINARY_RESOURCE.folder;
  await extractOnce('ensureCifar10Binary', opts.archive, join(cacheDir, folder), folder, {}, (extracted) => checkBinaryFolder(opts.archive, extracted));
  return cacheDir;
}

/**
 * Extracts `folder/` of `archive` into `out` unless `out/.complete.json` already records this archive (path, size,
 * mtime and `extra`): into a temporary sibling folder first, checked by `check`, then renamed into place, the
 * marker written last, so an interrupted run leaves no half folder behind.
 */
async function extractOnce(
  caller: string,
  archive: string,
  out: string,
  folder: string,
  extra: Record<string, unknown>,
  check: (extracted: string) => Promise<void>,
  filter?: (path: string) => boolean,
): Promise<void> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(archive);
  } catch (err) {
    throw new DataError(`${caller}: cannot read archive ${archive} (${(err as Error).message})`, { code: 'ERR_CNN_DATA_NOT_FOUND' });
  }
  const marker = { archive: resolve(archive), size: st.size, mtimeMs: st.mtimeMs, ...extra };
  const markerPath = join(out, '.complete.json');
  try {
    const got = JSON.parse(await readFile(markerPath, 'utf8')) as Record<string, unknown>;
    if (Object.entries(marker).every(([k, v]) => k === 'archive' || got[k] === v)) return;
  } catch {
    // no (valid) marker: extract
  }
  const parent = dirname(out);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.extract-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(tmp);
    await tar.x({ file: archive, cwd: tmp, strict: true, ...(filter ? { filter } : {}) });
    const extracted = join(tmp, folder);
    await check(extracted);
    await rm(out, { recursive: true, force: true });
    await rename(extracted, out);
    await writeJsonAtomic(markerPath, marker);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Which on-disk format {@link loadCifar10} reads. */
export type Cifar10Format = 'auto' | 'binary' | 'folder';

/** Options for {@link loadCifar10}. */
export interface LoadCifar10Options {
  /**
   * Where the data is: a `cifar-10-batches-bin` folder (or its parent), or an image folder with `train/` and
   * `test/` (or its parent holding `cifar10-jpeg/`). Default {@link cifar10DataDir}, then the offline JPEG archive
   * (`jpegArchive` or `$CNN_CIFAR10_JPEG_ARCHIVE`).
   */
  root?: string;
  /** `'auto'` (default: binary if found, else image folder), `'binary'` or `'folder'`. */
  format?: Cifar10Format;
  /** Download the official binary archive into `root` / {@link cifar10DataDir} if nothing is found. Default `false`. */
  download?: boolean;
  /** The offline `cifar10-jpeg.tar.gz` to extract when no data is found (default {@link findCifar10JpegArchive}: `$CNN_CIFAR10_JPEG_ARCHIVE`). */
  jpegArchive?: string;
  /** Keep the first `n` images of each class in each split. */
  limitPerClass?: number;
  /** Passed to {@link loadImageFolder} for the image-folder format (`cache`, `concurrency`, `onProgress`). */
  folder?: Pick<ImageFolderOptions, 'cache' | 'concurrency' | 'onProgress'>;
  /** Download options (URL, MD5, progress, timeout) for `download: true`. */
  downloadOptions?: DownloadCifar10Options;
}

/** {@link Cifar10Splits} plus where they were read from. */
export interface LoadedCifar10 extends Cifar10Splits {
  /** The format actually read. */
  format: 'binary' | 'folder';
  /** The `cifar-10-batches-bin` folder or the folder holding `train/` and `test/`. */
  dir: string;
}

function findBinary(root: string): string | undefined {
  for (const d of [root, join(root, CIFAR10_BINARY_RESOURCE.folder)]) if (hasBinaryFiles(d)) return d;
  return undefined;
}

async function findFolder(root: string): Promise<string | undefined> {
  for (const d of [root, join(root, CIFAR10_JPEG_FOLDER)]) {
    if ((await isDirectory(join(d, 'train'))) && (await isDirectory(join(d, 'test')))) return d;
  }
  return undefined;
}

async function loadFolderSplits(dir: string, opts: LoadCifar10Options): Promise<Cifar10Splits> {
  const common: ImageFolderOptions = { ...opts.folder, limitPerClass: opts.limitPerClass };
  const train = await loadImageFolder(join(dir, 'train'), { ...common, name: 'cifar10-train' });
  const test = await loadImageFolder(join(dir, 'test'), { ...common, name: 'cifar10-test' });
  for (const ds of [train, test]) {
    if (ds.height !== 32 || ds.width !== 32 || ds.classNames.length !== 10) {
      throw new DataError(`CIFAR-10 folder ${ds.root}: expected 10 classes of 32×32 images, got ${ds.classNames.length} classes of ${ds.height}×${ds.width}`, {
        code: 'ERR_CNN_DATA_FORMAT',
      });
    }
  }
  return { train, test };
}

/**
 * Loads CIFAR-10 from the official binary version or an image folder, detecting which is present.
 *
 * Search order (`format: 'auto'`): a binary folder in/under `root`, an image folder in/under `root`; without
 * `root`, the same in {@link cifar10DataDir}, then the offline JPEG archive named by `jpegArchive` or
 * `$CNN_CIFAR10_JPEG_ARCHIVE` (extracted by
 * {@link ensureCifar10Jpeg}); finally, with `download: true`, the official binary archive.
 *
 * @returns `{train, test, format, dir}`; images `[n, 32, 32, 3]` uint8 NHWC, labels uint8.
 * @throws DataError listing the places searched and how to get the data when nothing is found; errors of the
 *   readers (malformed batch, undecodable image, `limitPerClass` too large).
 */
export async function loadCifar10(opts: LoadCifar10Options = {}): Promise<LoadedCifar10> {
  const format = opts.format ?? 'auto';
  if (!['auto', 'binary', 'folder'].includes(format)) {
    throw new DataError(`loadCifar10: format must be 'auto', 'binary' or 'folder'. Received: format=${String(format)}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  const root = resolve(opts.root ?? cifar10DataDir());
  const tried: string[] = [];
  if (format !== 'folder') {
    const dir = findBinary(root);
    if (dir) return { ...(await readCifar10Binary(dir, opts)), format: 'binary', dir };
    tried.push(`binary batches in ${root} or ${join(root, CIFAR10_BINARY_RESOURCE.folder)}`);
  }
  if (format !== 'binary') {
    let dir = await findFolder(root);
    if (!dir && opts.root === undefined) {
      const archive = opts.jpegArchive ?? findCifar10JpegArchive();
      if (archive) dir = await ensureCifar10Jpeg({ archive, cacheDir: root, limitPerClass: undefined });
      else tried.push('the offline archive cifar10-jpeg.tar.gz (not found; set CNN_CIFAR10_JPEG_ARCHIVE)');
    } else if (!dir && opts.jpegArchive) {
      dir = await ensureCifar10Jpeg({ archive: opts.jpegArchive, cacheDir: root });
    }
    if (dir) return { ...(await loadFolderSplits(dir, opts)), format: 'folder', dir };
    tried.push(`image folders ${join(root, 'train')} / ${join(root, CIFAR10_JPEG_FOLDER, 'train')}`);
  }
  if (opts.download && format !== 'folder') {
    const dir = await downloadCifar10Binary(root, opts.downloadOptions);
    return { ...(await readCifar10Binary(dir, opts)), format: 'binary', dir };
  }
  throw new DataError(
    `CIFAR-10 not found. Looked for: ${tried.join('; ')}. Use download: true (official binary, ` +
      `${CIFAR10_BINARY_RESOURCE.url}), pass root, or pass jpegArchive (cifar10-jpeg.tar.gz).`,
    { code: 'ERR_CNN_DATA_NOT_FOUND' },
  );
}
