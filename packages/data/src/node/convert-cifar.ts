/**
 * Converts CIFAR-10-shaped image datasets (e.g. the offline JPEG folder) into the official binary layout, so
 * that the official-format reader can be exercised on real images.
 *
 * @packageDocumentation
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@cnn/core/node';
import { CIFAR10_IMAGE_BYTES, CIFAR10_META_FILE, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, encodeCifar10Records } from './cifar10.js';
import type { ImageDataset } from '@cnn/core';
import { validateImageDataset } from '../image-dataset.js';
import { loadImageFolder, type ImageFolderOptions } from './image-folder.js';
import { DataError } from '../errors.js';

function check(ds: ImageDataset, what: string): void {
  validateImageDataset(ds);
  if (ds.height !== 32 || ds.width !== 32 || ds.channels !== 3) {
    throw new DataError(
      `writeCifar10Binary: ${what} dataset ${ds.name} must be [n, 32, 32, 3], got [${ds.length}, ${ds.height}, ${ds.width}, ${ds.channels}]`,
      { code: 'ERR_CNN_INVALID_DATASET' },
    );
  }
  if (ds.classNames.length > 10) {
    throw new DataError(`writeCifar10Binary: ${what} dataset ${ds.name} has ${ds.classNames.length} classes; the CIFAR-10 format holds at most 10`, {
      code: 'ERR_CNN_INVALID_DATASET',
    });
  }
  if (ds.length < CIFAR10_TRAIN_FILES.length && what === 'train') {
    throw new DataError(`writeCifar10Binary: train dataset ${ds.name} has ${ds.length} images; at least 5 are needed (one per batch file)`, {
      code: 'ERR_CNN_INVALID_DATASET',
    });
  }
}

/**
 * Writes `train` and `test` as the official binary version: `data_batch_1.bin` … `data_batch_5.bin` (the
 * training samples in order, split into five nearly equal consecutive parts — 10,000 each for the full set),
 * `test_batch.bin` and `batches.meta.txt` (class names, one per line). Every file is written atomically.
 *
 * @param dest - Output folder (created if missing).
 * @param splits - `{train, test}`, each `[n, 32, 32, 3]` uint8 with at most 10 classes.
 * @throws DataError when a dataset is not 32×32×3, has more than 10 classes, or has fewer than 5 training images.
 */
export async function writeCifar10Binary(dest: string, splits: { train: ImageDataset; test: ImageDataset }): Promise<void> {
  const { train, test } = splits;
  check(train, 'train');
  check(test, 'test');
  await mkdir(dest, { recursive: true });
  const k = CIFAR10_TRAIN_FILES.length;
  let start = 0;
  for (let b = 0; b < k; b++) {
    const end = Math.round(((b + 1) * train.length) / k);
    const bytes = encodeCifar10Records(train.images.subarray(start * CIFAR10_IMAGE_BYTES, end * CIFAR10_IMAGE_BYTES), train.labels.subarray(start, end));
    await writeFileAtomic(join(dest, CIFAR10_TRAIN_FILES[b]), bytes);
    start = end;
  }
  await writeFileAtomic(join(dest, CIFAR10_TEST_FILE), encodeCifar10Records(test.images, test.labels));
  await writeFileAtomic(join(dest, CIFAR10_META_FILE), new TextEncoder().encode(`${train.classNames.join('\n')}\n\n`));
}

/**
 * Converts an image folder with `train/<class>/*` and `test/<class>/*` (32×32 RGB images, at most 10 classes)
 * into the official binary layout in `dest` (see {@link writeCifar10Binary}). Record order is the image-folder
 * order (class by class, files sorted), so reading `dest` back gives tensors identical to
 * {@link loadImageFolder}'s.
 *
 * @param source - Folder holding `train/` and `test/`.
 * @param dest - Output folder.
 * @param opts - Image-folder options (`limitPerClass`, `cache`, `concurrency`, `onProgress`).
 * @returns Number of training and test records written.
 * @throws DataErrors of {@link loadImageFolder} and {@link writeCifar10Binary}.
 */
export async function convertImageFolderToCifar10Binary(
  source: string,
  dest: string,
  opts: Pick<ImageFolderOptions, 'limitPerClass' | 'cache' | 'concurrency' | 'onProgress'> = {},
): Promise<{ train: number; test: number }> {
  const train = await loadImageFolder(join(source, 'train'), { ...opts, name: 'train' });
  const test = await loadImageFolder(join(source, 'test'), { ...opts, name: 'test' });
  if (JSON.stringify(train.classNames) !== JSON.stringify(test.classNames)) {
    throw new DataError(`convertImageFolderToCifar10Binary: train classes [${train.classNames}] differ from test classes [${test.classNames}] in ${source}`, {
      code: 'ERR_CNN_INVALID_DATASET',
    });
  }
  await writeCifar10Binary(dest, { train, test });
  return { train: train.length, test: test.length };
}
