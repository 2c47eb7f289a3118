import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { assertResumable, runTraining, sharedCifar10Archive, UsageError, type RunInfo, type RunSummary, type TrainingRun } from '@cnn/app-common';
import { AugmentedLoader, ColorJitter, Compose, CutMix, MixUp, Normalize, RandomCrop, RandomHorizontalFlip } from '@cnn/augment';
import { augmentationPreview } from '@cnn/augment/node';
import { CIFAR10_MEAN, CIFAR10_STD, DataLoader, createRng, shuffleInPlace, type ImageDataset } from '@cnn/data';
import { loadCifar10, writeFileAtomic } from '@cnn/data/node';
import { airbench94, airbenchTta, getModel, getModelEntry, listModels } from '@cnn/models';
import type { Callback, History } from '@cnn/train';
import type { Cifar10Flags } from './cli.js';
import { AIRBENCH94_RECIPE, createFastOptimizer, fastCallbacks, fastOptimizerSettings, flipTranslate, initFastWhitening } from './fast-recipe.js';

/**
 * The training augmentation of a preset, on `[batch, 32, 32, 3]` images in `[0, 1]`:
 * `standard` = RandomCrop(32, padding 4) → RandomHorizontalFlip(0.5) → ColorJitter(brightness 0.2,
 * contrast 0.2, saturation 0.2), the chapter's recipe; `flip-translate` = airbench's alternating flip and 2-pixel
 * reflect translation (`flipTranslate`; a random flip when `preview`); `none` = nothing. `normalize` appends
 * Normalize(CIFAR-10 mean, std).
 */
export function cifar10Augmentation(preset: Cifar10Flags['augment'], normalize = true, seed = 0, preview = false): Compose {
  const random =
    preset === 'standard'
      ? [new RandomCrop(32, { padding: 4 }), new RandomHorizontalFlip(0.5), new ColorJitter({ brightness: 0.2, contrast: 0.2, saturation: 0.2 })]
      : preset === 'flip-translate'
        ? flipTranslate(seed, preview).transforms
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
 * The settings that identify a run, recorded in its checkpoints and `summary.json` (`config`): `--resume`
 * refuses a checkpoint whose recorded settings differ. The standard recipe records recipe, model and seed (its
 * epochs may be extended on resume); the fast recipe also everything its schedule and state depend on.
 */
export function cifar10RunInfo(flags: Cifar10Flags): RunInfo {
  const base: RunInfo = { recipe: flags.recipe, model: flags.model, seed: flags.seed };
  if (flags.recipe !== 'fast') return base;
  return {
    ...base,
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    subset: flags.subset ?? null,
    augment: flags.augment,
    widths: (flags.widths ?? [64, 256, 256]).join(','),
    whitening: flags.whitening,
    lookahead: flags.lookahead,
    lr: flags.lr,
    momentum: flags.momentum,
    weightDecay: flags.weightDecay,
    labelSmoothing: flags.labelSmoothing,
    ...(flags.mixup !== undefined ? { mixup: flags.mixup } : {}),
    ...(flags.cutmix !== undefined ? { cutmix: flags.cutmix } : {}),
  };
}

/**
 * The chapter's CIFAR-10 project: loads CIFAR-10 (official binary or image folder, detected; by default
 * the offline JPEG archive extracted to a cache), writes the augmentation preview, and trains through
 * `runTraining` of `@cnn/app-common` (per-epoch checkpoint for `--resume`, model, history, summary, analysis,
 * report) with the recipe of `--recipe`:
 * - `standard`: the flags' model with SGD + MultiStepLR (or the flags' choices), the best-test-accuracy checkpoint
 *   in `OUT/best`;
 * - `fast`: airbench94 (`--widths`) with its recipe (`fast-recipe.ts`): batch 1024 with the last short batch
 *   dropped, 9.9 epochs, two-group Nesterov SGD from airbench's decoupled hyperparameters, label smoothing 0.2 on a
 *   summed loss, warm-up + linear decay per batch, Lookahead, whitening from the first 5,000 training images (bias
 *   trained for 3 epochs), alternating flip + 2-px translation, final evaluation with TTA level 2 and without.
 * @param extraCallbacks - callbacks run after the recipe's and before the checkpoints (instrumentation, tests).
 * @throws UsageError for a model without 32×32×3 input, a `--subset` larger than the training set, a
 *   `--batch-size` larger than the (sub)set, or `--resume` from a checkpoint of another run — before anything is
 *   written.
 */
export async function runCifar10(
  flags: Cifar10Flags,
  log: (line: string) => void = console.log,
  extraCallbacks: Callback[] = [],
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
  const trainSize = indices?.length ?? data.train.length;
  if (flags.batchSize > trainSize) {
    throw new UsageError(`--batch-size ${flags.batchSize} is larger than the training set (${trainSize} images${indices ? ' with --subset' : ''})`);
  }

  const runInfo = cifar10RunInfo(flags);
  const legacyRunInfo: RunInfo = { recipe: 'standard' };
  if (flags.resume) await assertResumable(path.join(flags.out, 'checkpoint'), runInfo, legacyRunInfo);

  const preview = firstImages(data.train, 6);
  try {
    const png = await augmentationPreview(preview, cifar10Augmentation(flags.augment, false, flags.seed, true), { draws: 8, seed: flags.seed, scale: 3 });
    await writeFileAtomic(path.join(flags.out, 'augment-preview.png'), png);
  } finally {
    preview.dispose();
  }

  const fast = flags.recipe === 'fast';
  // --mixup / --cutmix: soft labels mixed within each augmented batch (10 classes)
  const mix = flags.mixup !== undefined ? new MixUp(flags.mixup, 10) : flags.cutmix !== undefined ? new CutMix(flags.cutmix, 10) : undefined;
  const test = new DataLoader(data.test, { batchSize: 500, mean: CIFAR10_MEAN, std: CIFAR10_STD });
  const common: Omit<TrainingRun, 'title' | 'buildModel' | 'train'> = {
    modelName: flags.model,
    test,
    testDataset: data.test,
    normalize: { mean: [...CIFAR10_MEAN], std: [...CIFAR10_STD] },
    flags,
    log,
    evalEvery: flags.evalEvery,
    runInfo,
    legacyRunInfo,
    ...(flags.tta > 0 ? { tta: { ...airbenchTta(flags.tta), level: flags.tta } } : {}),
  };
  if (!fast) {
    const trainLoader = new DataLoader(data.train, { batchSize: flags.batchSize, shuffle: true, seed: flags.seed, indices });
    return runTraining({
      ...common,
      title: `CIFAR-10 — ${flags.model}`,
      buildModel: () => (flags.widths ? airbench94({ seed: flags.seed, widths: widthsOf(flags) }) : getModel(flags.model, { seed: flags.seed })),
      train: new AugmentedLoader(trainLoader, cifar10Augmentation(flags.augment, true, flags.seed), { seed: flags.seed, mix }),
      callbacks: () => extraCallbacks,
    });
  }

  // The fast recipe: normalised batches (the loader's lookup table), flipped and translated after normalisation as
  // airbench does; only the colour jitter of `--augment standard` needs [0, 1] images, normalised after it.
  const normaliseFirst = flags.augment !== 'standard';
  const trainLoader = new DataLoader(data.train, {
    batchSize: flags.batchSize,
    shuffle: true,
    seed: flags.seed,
    indices,
    dropLast: true,
    ...(normaliseFirst ? { mean: CIFAR10_MEAN, std: CIFAR10_STD } : {}),
  });
  const settings = fastOptimizerSettings({ lr: flags.lr, momentum: flags.momentum, weightDecay: flags.weightDecay, batchSize: flags.batchSize });
  log(
    `fast recipe: ${trainLoader.length} batches of ${flags.batchSize} per epoch, ${flags.epochs} epochs; SGD (Nesterov ${settings.momentum}) ` +
      `lr ${settings.others.lr.toExponential(4)} / BatchNorm biases ${settings.normBiases.lr.toExponential(4)}, weight decay ` +
      `${settings.others.weightDecay.toFixed(4)} / ${settings.normBiases.weightDecay.toFixed(5)}; label smoothing ${flags.labelSmoothing}; ` +
      `${flags.whitening ? `whitening from ${Math.min(AIRBENCH94_RECIPE.whiteningImages, trainSize)} images` : 'no whitening ([I; -I] patch kernel)'}; ` +
      `${flags.lookahead ? 'Lookahead every 5 steps' : 'no Lookahead'}; TTA level ${flags.tta}`,
  );
  return runTraining({
    ...common,
    title: `CIFAR-10 — ${flags.model}, fast recipe`,
    buildModel: () => airbench94({ seed: flags.seed, widths: widthsOf(flags) }),
    train: new AugmentedLoader(trainLoader, cifar10Augmentation(flags.augment, !normaliseFirst, flags.seed), { seed: flags.seed, mix }),
    createOptimizer: () => createFastOptimizer(settings),
    callbacks: () => [...fastCallbacks({ lookahead: flags.lookahead }), ...extraCallbacks],
    initModel: (model) => {
      initFastWhitening(model, data.train, { whitening: flags.whitening, seed: flags.seed, indices });
    },
    reduction: 'sum',
  });
}

function widthsOf(flags: Cifar10Flags): { block1: number; block2: number; block3: number } | undefined {
  const w = flags.widths;
  return w ? { block1: w[0], block2: w[1], block3: w[2] } : undefined;
}
