import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runTraining, UsageError, type RunSummary, sharedCifar10Archive } from '@cnn/app-common';
import { AugmentedLoader, ColorJitter, Compose, CutMix, MixUp, Normalize, RandomCrop, RandomHorizontalFlip } from '@cnn/augment';
import { augmentationPreview } from '@cnn/augment/node';
import { CIFAR10_MEAN, CIFAR10_STD, DataLoader, createRng, shuffleInPlace, type ImageDataset } from '@cnn/data';
import { loadCifar10, writeFileAtomic } from '@cnn/data/node';
import { getModel, getModelEntry, listModels } from '@cnn/models';
import type { History } from '@cnn/train';
import type { Cifar10Flags } from './cli.js';

/**
 * The training augmentation of a preset, on `[batch, 32, 32, 3]` images in `[0, 1]`:
 * `standard` = RandomCrop(32, padding 4) → RandomHorizontalFlip(0.5) → ColorJitter(brightness 0.2,
 * contrast 0.2, saturation 0.2), the chapter's recipe; `none` = nothing. `normalize` appends
 * Normalize(CIFAR-10 mean, std).
 */
export function cifar10Augmentation(preset: Cifar10Flags['augment'], normalize = true): Compose {
  const random =
    preset === 'standard'
      ? [new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip(0.5), new ColorJitter({ brightness: 0.2, contrast: 0.2, saturation: 0.2 })]
      : [];
  return new Compose(normalize ? [...random, new Normalize(CIFAR10_MEAN, CIFAR10_STD)] : random);
}

/**
 * `n` training indices drawn without replacement by a seeded shuffle (class-balanced in expectation).
 * @throws UsageError when `n` exceeds the training set.
 */
export function subsetIndices(ds: ImageDataset, n: number, seed: number): Int32Array {
  if (n > ds.length) throw new UsageError(`--subset ${n} is larger than the training set (${ds.length} images)`);
  const all = Int32Array.from({ length: ds.length }, (_, i) => i);
  return shuffleInPlace(all, createRng(seed)).slice(0, n);
}

/** First `n` images of a dataset as `[n, h, w, c]` float32 in `[0, 1]`. */
function firstImages(ds: ImageDataset, n: number): tf.Tensor4D {
  const px = ds.height * ds.width * ds.channels;
  const values = Float32Array.from(ds.images.subarray(0, n * px), (v) => v / 255);
  return tf.tensor4d(values, [n, ds.height, ds.width, ds.channels]);
}

/**
 * The chapter's CIFAR-10 project: loads CIFAR-10 (official binary or image folder, detected; by default
 * the offline JPEG archive extracted to a cache), writes the augmentation preview, trains with SGD +
 * MultiStepLR (or the flags' choices) through `runTraining` (best-test-accuracy checkpoint in `OUT/best`,
 * per-epoch checkpoint for `--resume`, model, history, summary, analysis, report).
 * @throws UsageError for a model without 32×32×3 input or a `--subset` larger than the training set.
 */
export async function runCifar10(
  flags: Cifar10Flags,
  log: (line: string) => void = console.log,
): Promise<{ summary: RunSummary; history: History } | undefined> {
  let entry: ReturnType<typeof getModelEntry>;
  try {
    entry = getModelEntry(flags.model);
  } catch {
    throw new UsageError(`Unknown --model "${flags.model}"; expected one of ${listModels().join(', ')}`);
  }
  if (entry.inputShape.join('x') !== '32x32x3') {
    throw new UsageError(`--model ${flags.model} takes ${entry.inputShape.join('x')} images; CIFAR-10 needs a 32x32x3 model`);
  }
  let lastShown = 0;
  const data = await loadCifar10({
    root: flags.dataDir,
    jpegArchive: flags.dataDir === undefined ? sharedCifar10Archive() : undefined,
    folder: {
      onProgress: (done: number, total: number) => {
        if (done === total || done - lastShown >= 10_000) {
          lastShown = done;
          log(`decoding images: ${done}/${total}`);
        }
      },
    },
  });
  log(`data: CIFAR-10 ${data.format} from ${data.dir}`);
  const indices = flags.subset === undefined ? undefined : subsetIndices(data.train, flags.subset, flags.seed);

  const preview = firstImages(data.train, 6);
  try {
    const png = await augmentationPreview(preview, cifar10Augmentation(flags.augment, false), { draws: 8, seed: flags.seed, scale: 3 });
    await writeFileAtomic(path.join(flags.out, 'augment-preview.png'), png);
  } finally {
    preview.dispose();
  }

  const trainLoader = new DataLoader(data.train, { batchSize: flags.batchSize, shuffle: true, seed: flags.seed, indices });
  return runTraining({
    title: `CIFAR-10 — ${flags.model}`,
    modelName: flags.model,
    buildModel: () => getModel(flags.model, { seed: flags.seed }),
    train: new AugmentedLoader(trainLoader, cifar10Augmentation(flags.augment), {
      seed: flags.seed,
      mix: flags.mixup !== undefined ? new MixUp(flags.mixup, 10) : flags.cutmix !== undefined ? new CutMix(flags.cutmix, 10) : undefined,
    }),
    test: new DataLoader(data.test, { batchSize: 500, mean: CIFAR10_MEAN, std: CIFAR10_STD }),
    testDataset: data.test,
    normalize: { mean: [...CIFAR10_MEAN], std: [...CIFAR10_STD] },
    flags,
    log,
  });
}
