/**
 * `trainClassifier`'s options (plain values) and their resolution against a recipe: one place where defaults are
 * filled in and every combination the runner refuses is refused, before anything is loaded, trained or written.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { getModelEntry, listModels } from '@cnn/models';
import { parseSchedulerSpec } from '@cnn/train';
import { UsageError } from '../errors.js';
import {
  AUGMENT_NAMES,
  BACKEND_NAMES,
  BUILTIN_SOURCES,
  OPTIMIZER_NAMES,
  PRECISION_NAMES,
  RECIPE_NAMES,
  recipeFor,
  type AugmentName,
  type BackendName,
  type OptimizerName,
  type PrecisionName,
  type RecipeName,
  type RecipeOptimizer,
  type TrainingRecipe,
} from './recipes.js';
import type { RunInfo } from './run-record.js';

/**
 * Options of `trainClassifier` (and the flags of `cnn train`): values only. Every hyperparameter left out takes the
 * recipe's value ({@link TrainingRecipe}: `MNIST_RECIPE`, `CIFAR10_STANDARD_RECIPE`, `CIFAR10_FAST_RECIPE`,
 * `CIFAR10_MUON_RECIPE`, `FOLDER_RECIPE`).
 */
export interface TrainClassifierOptions {
  /** `'mnist'`, `'fashion-mnist'`, `'cifar10'`, or a path (resolved against the working directory) to a folder of class sub-folders. */
  source: string;
  /** A separate test folder with the same class sub-folders (image-folder sources only). */
  testDir?: string;
  /** Where a built-in data set's files are (MNIST IDX files; CIFAR-10 binary batches or `train/` + `test/` folders). */
  dataDir?: string;
  /** Resize folder images to `imageSize × imageSize` (sharp, `fit: 'fill'`); without it every image must have the same size. */
  imageSize?: number;
  /**
   * Fraction of the training data held out as the validation set, in (0, 1), split seeded and stratified by class
   * (`randomSplit` of `@cnn/data`). Default `0.1` for folders; for the built-ins `0.1` when early stopping, a plateau
   * scheduler or `saveBest` selects on it, else `0` (no validation set: the chapter's runs).
   */
  validPct?: number;
  /** Registered model name (`@cnn/models`). Default: the recipe's. */
  model?: string;
  /** `'standard'` (default), `'fast'` (CIFAR-10 only: airbench94) or `'muon'` (CIFAR-10 only: airbench94_muon). */
  recipe?: RecipeName;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: OptimizerName;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
  /** LR schedule spec, e.g. `multistep:milestones=25|40,gamma=0.1`, `plateau:patience=2` (`parseSchedulerSpec`). */
  scheduler?: string;
  /** MultiStepLR milestones (gamma 0.1) of the standard CIFAR-10 recipe when `scheduler` is not given. */
  milestones?: number[];
  augment?: AugmentName;
  /** MixUp alpha (not with `cutmix`). */
  mixup?: number;
  /** CutMix alpha (not with `mixup`). */
  cutmix?: number;
  labelSmoothing?: number;
  clipNorm?: number;
  /** Stop after this many epochs without a lower `val_loss`, restoring the best weights (needs a validation set). */
  earlyStoppingPatience?: number;
  /** Keep the best-`val_accuracy` model in `OUT/best` (needs a validation set). Default: when there is one. */
  saveBest?: boolean;
  /** Continue from `OUT/checkpoint` when it exists (refused when it holds another run's checkpoint). */
  resume?: boolean;
  /** Run the learning-rate range test instead of training (writes `OUT/lr-find.png`); the result is `undefined`. */
  lrFind?: boolean;
  /** Gradient/weight statistics and activation histograms every N batches (`OUT/debug/`). */
  debugEvery?: number;
  /** Evaluate validation / test after every N-th epoch; 0 = the final model only. */
  evalEvery?: number;
  /** airbench's test-time augmentation level (0–2) of the final test evaluation. */
  tta?: 0 | 1 | 2;
  /** Train on the first N training images. */
  limit?: number;
  /** Train on N training images drawn at random (seeded). */
  subset?: number;
  /** airbench94's conv-group widths. */
  widths?: [number, number, number];
  /** The fast and muon recipes' patch whitening (default true). */
  whitening?: boolean;
  /** The fast recipe's Lookahead (default true). */
  lookahead?: boolean;
  /** tfjs backend, selected before any tensor is made. Default `'auto'`. */
  backend?: BackendName;
  /**
   * Compute precision of the convolutions and matmuls: `'float32'` (default) or `'bf16'` (mixed precision on the
   * `onednn` backend: bf16 oneDNN primitives on AVX512_BF16 / AMX, float32 master weights, batch norm, optimizer
   * and loss; see `setPrecision` of `@cnn/backend-onednn`). `'bf16'` with backend `'auto'` means `'onednn'`.
   */
  precision?: PrecisionName;
  /** Seed of initialisation, shuffling, splitting, dropout and augmentation. Default 0. */
  seed?: number;
  /** Run folder (resolved against the working directory). Default: the recipe's (`runs/mnist`, …, `runs/<folder>`). */
  out?: string;
  /** Plain progress line every N batches when not on a TTY. Default 100. */
  logEvery?: number;
  /** Line sink. Default `console.log`. */
  log?: (line: string) => void;
}

/** {@link TrainClassifierOptions} resolved against the recipe: every value set and checked. */
export interface TrainConfig extends Omit<TrainingRecipe, 'title' | 'out'> {
  /** The optimizer (`muon` only with the muon recipe). */
  optimizer: RecipeOptimizer;
  source: string;
  /** `true` for an image folder. */
  folder: boolean;
  title: string;
  testDir?: string;
  dataDir?: string;
  imageSize?: number;
  /** 0 = no validation set. */
  validPct: number;
  mixup?: number;
  cutmix?: number;
  clipNorm?: number;
  earlyStoppingPatience?: number;
  saveBest: boolean;
  resume: boolean;
  lrFind: boolean;
  debugEvery?: number;
  limit?: number;
  subset?: number;
  widths?: [number, number, number];
  backend: BackendName;
  precision: PrecisionName;
  seed: number;
  /** Absolute run folder. */
  out: string;
  logEvery: number;
  /** The model's input `[height, width, channels]`. */
  inputShape: [number, number, number];
}

const isPosInt = (v: number): boolean => Number.isInteger(v) && v > 0;

function check(ok: boolean, flag: string, what: string, value: unknown): void {
  if (!ok) throw new UsageError(`${flag} must be ${what}, got ${JSON.stringify(value)}`);
}

function oneOf<T extends readonly string[]>(flag: string, value: string, allowed: T): T[number] {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`Unknown ${flag} "${value}"; expected one of ${allowed.join(', ')}`);
  return value as T[number];
}

/**
 * Resolves `trainClassifier`'s options against the source's recipe ({@link recipeFor}) and checks them, as
 * `cnn train`'s flags. Pure: reads nothing, writes nothing.
 * @throws UsageError naming the flag (as `--kebab-case`) for a value out of range, an unknown name (listing the
 *   choices: `--model`, `--recipe`, `--optimizer`, `--augment`, `--backend`, `--precision`), `--precision bf16` with a
 *   backend other than `onednn` (or `auto`, which it turns into `onednn`), a flag the recipe does not take, or a
 *   selecting option (early stopping, plateau scheduler) with `evalEvery` other than 1.
 */
export function resolveTrainConfig(o: TrainClassifierOptions): TrainConfig {
  if (typeof o.source !== 'string' || o.source === '')
    throw new UsageError('SOURCE is required: mnist, fashion-mnist, cifar10, or a folder of class sub-folders');
  const recipeName = oneOf('--recipe', o.recipe ?? 'standard', RECIPE_NAMES);
  const folder = !(BUILTIN_SOURCES as readonly string[]).includes(o.source);
  const recipe = recipeFor(o.source, recipeName, folder ? path.basename(path.resolve(o.source)) : undefined);
  if (!recipe) throw new UsageError(`--recipe ${recipeName}: only for cifar10 (source ${o.source} has the standard recipe only)`);
  const fast = recipe.recipe === 'fast';
  const muon = recipe.recipe === 'muon';
  if (!folder && o.testDir !== undefined) throw new UsageError(`--test-dir: only for an image-folder SOURCE (${o.source} has its own test set)`);
  if (folder && o.dataDir !== undefined) throw new UsageError('--data-dir: only for mnist, fashion-mnist and cifar10 (an image folder is its own SOURCE)');
  if (!folder && o.imageSize !== undefined) throw new UsageError(`--image-size: only for an image-folder SOURCE (${o.source} has a fixed size)`);

  const epochs = o.epochs ?? recipe.epochs;
  check(
    Number.isFinite(epochs) && epochs > 0 && (recipe.fractionalEpochs || Number.isInteger(epochs)),
    '--epochs',
    recipe.fractionalEpochs ? 'a positive number' : 'a positive integer',
    o.epochs,
  );
  const batchSize = o.batchSize ?? recipe.batchSize;
  check(isPosInt(batchSize), '--batch-size', 'a positive integer', o.batchSize);
  const lr = o.lr ?? recipe.lr;
  check(Number.isFinite(lr) && lr > 0, '--lr', 'a positive number', o.lr);
  const optimizer: RecipeOptimizer = muon ? recipe.optimizer : oneOf('--optimizer', o.optimizer ?? recipe.optimizer, OPTIMIZER_NAMES);
  const momentum = o.momentum ?? recipe.momentum;
  check(momentum >= 0 && momentum < 1, '--momentum', 'in [0, 1)', o.momentum);
  const weightDecay = o.weightDecay ?? recipe.weightDecay;
  check(Number.isFinite(weightDecay) && weightDecay >= 0, '--weight-decay', 'a non-negative number', o.weightDecay);
  const labelSmoothing = o.labelSmoothing ?? recipe.labelSmoothing;
  check(labelSmoothing >= 0 && labelSmoothing < 1, '--label-smoothing', 'in [0, 1)', o.labelSmoothing);
  if (o.clipNorm !== undefined) check(Number.isFinite(o.clipNorm) && o.clipNorm > 0, '--clip-norm', 'a positive number', o.clipNorm);
  if (o.earlyStoppingPatience !== undefined)
    check(isPosInt(o.earlyStoppingPatience), '--early-stopping-patience', 'a positive integer', o.earlyStoppingPatience);
  if (o.debugEvery !== undefined) check(isPosInt(o.debugEvery), '--debug-every', 'a positive integer', o.debugEvery);
  if (o.limit !== undefined) check(isPosInt(o.limit), '--limit', 'a positive integer', o.limit);
  if (o.subset !== undefined) check(isPosInt(o.subset), '--subset', 'a positive integer', o.subset);
  if (o.limit !== undefined && o.subset !== undefined) throw new UsageError('--limit and --subset exclude each other; choose one');
  if (o.imageSize !== undefined) check(isPosInt(o.imageSize), '--image-size', 'a positive integer', o.imageSize);
  if (o.mixup !== undefined) check(Number.isFinite(o.mixup) && o.mixup > 0, '--mixup', 'a positive number', o.mixup);
  if (o.cutmix !== undefined) check(Number.isFinite(o.cutmix) && o.cutmix > 0, '--cutmix', 'a positive number', o.cutmix);
  if (o.mixup !== undefined && o.cutmix !== undefined) throw new UsageError('--mixup and --cutmix exclude each other; choose one');
  const seed = o.seed ?? 0;
  check(Number.isSafeInteger(seed) && seed >= 0, '--seed', 'a non-negative integer', o.seed);
  const logEvery = o.logEvery ?? 100;
  check(isPosInt(logEvery), '--log-every', 'a positive integer', o.logEvery);
  const evalEvery = o.evalEvery ?? recipe.evalEvery;
  check(Number.isInteger(evalEvery) && evalEvery >= 0, '--eval-every', 'a non-negative integer', o.evalEvery);
  const tta = o.tta ?? recipe.tta;
  check(tta === 0 || tta === 1 || tta === 2, '--tta', '0, 1 or 2', o.tta);
  const augment = oneOf('--augment', o.augment ?? recipe.augment, AUGMENT_NAMES);
  const precision = oneOf('--precision', o.precision ?? 'float32', PRECISION_NAMES);
  let backend = oneOf('--backend', o.backend ?? 'auto', BACKEND_NAMES);
  if (precision === 'bf16') {
    if (backend === 'auto') backend = 'onednn';
    else if (backend !== 'onednn')
      throw new UsageError(`--precision bf16: only for --backend onednn (backend ${backend} computes in float32); drop --precision or use --backend onednn`);
  }
  if (o.milestones !== undefined) {
    o.milestones.forEach((m, i) => {
      check(isPosInt(m) && (i === 0 || m > o.milestones![i - 1]!), '--milestones', 'increasing positive integers', o.milestones);
    });
  }
  if (o.scheduler !== undefined) {
    try {
      parseSchedulerSpec(o.scheduler);
    } catch (err) {
      throw new UsageError(`--scheduler: ${(err as Error).message}`, { cause: err });
    }
  }
  if (o.widths !== undefined) check(o.widths.length === 3 && o.widths.every(isPosInt), '--widths', 'three positive integers A,B,C', o.widths);

  const given = (k: keyof TrainClassifierOptions): boolean => o[k] !== undefined && o[k] !== false;
  const notFor = (keys: (keyof TrainClassifierOptions)[], why: string): void => {
    const bad = keys.filter(given).map((k) => `--${String(k).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    if (bad.length > 0) throw new UsageError(`${bad.join(', ')}: ${why}`);
  };
  if (fast) {
    notFor(
      ['scheduler', 'milestones', 'earlyStoppingPatience', 'lrFind'],
      'not taken by --recipe fast (its schedule is fixed: warm-up + linear decay per batch; the test set is evaluated at the end)',
    );
    if (optimizer !== 'sgd') throw new UsageError('--optimizer: --recipe fast uses Nesterov SGD with parameter groups');
    if (o.model !== undefined && o.model !== 'airbench94') throw new UsageError(`--model ${o.model}: --recipe fast trains airbench94 only`);
  } else if (muon) {
    notFor(
      ['scheduler', 'milestones', 'earlyStoppingPatience', 'lrFind'],
      'not taken by --recipe muon (its schedule is fixed: linear decay to 0 per batch; the test set is evaluated at the end)',
    );
    notFor(
      ['optimizer', 'lr', 'momentum', 'nesterov', 'weightDecay'],
      'not taken by --recipe muon (Muon on the conv filters and Nesterov SGD on the biases and the head, with fixed rates: see CIFAR10_MUON_RECIPE)',
    );
    if (o.lookahead === false) throw new UsageError('--no-lookahead: --recipe muon has no Lookahead');
    if (o.model !== undefined && o.model !== 'airbench94') throw new UsageError(`--model ${o.model}: --recipe muon trains airbench94 only`);
  } else {
    if (o.whitening === false) throw new UsageError('--no-whitening: only for --recipe fast or muon');
    if (o.lookahead === false) throw new UsageError('--no-lookahead: only for --recipe fast');
    if (o.milestones !== undefined && o.source !== 'cifar10')
      throw new UsageError('--milestones: only for cifar10 (use --scheduler multistep:milestones=A|B elsewhere)');
  }

  const model = o.model ?? recipe.model;
  let inputShape: [number, number, number];
  try {
    inputShape = [...getModelEntry(model).inputShape];
  } catch {
    throw new UsageError(`Unknown --model "${model}"; expected one of ${listModels().join(', ')}`);
  }
  if (o.widths !== undefined && model !== 'airbench94') throw new UsageError(`--widths: only for --model airbench94 (this run trains ${model})`);
  const need = o.source === 'cifar10' ? '32x32x3' : o.source === 'mnist' || o.source === 'fashion-mnist' ? '28x28x1' : undefined;
  if (need !== undefined && inputShape.join('x') !== need) {
    throw new UsageError(`--model ${model} takes ${inputShape.join('x')} images; ${o.source} needs a ${need} model`);
  }
  if (folder && o.imageSize !== undefined && (o.imageSize !== inputShape[0] || o.imageSize !== inputShape[1])) {
    throw new UsageError(
      `--image-size ${o.imageSize}: --model ${model} takes ${inputShape[0]}x${inputShape[1]} images; pass --image-size ${inputShape[0]} or another --model`,
    );
  }

  const scheduler =
    fast || muon ? undefined : (o.scheduler ?? (o.milestones !== undefined ? `multistep:milestones=${o.milestones.join('|')},gamma=0.1` : recipe.scheduler));
  const plateau = scheduler?.startsWith('plateau') ?? false;
  if (evalEvery !== 1) {
    if (o.earlyStoppingPatience !== undefined)
      throw new UsageError(`--early-stopping-patience needs the validation loss of every epoch; drop it or use --eval-every 1 (got --eval-every ${evalEvery})`);
    if (plateau) throw new UsageError(`--scheduler plateau needs the validation loss of every epoch; use --eval-every 1 (got --eval-every ${evalEvery})`);
    if (o.saveBest) throw new UsageError(`--save-best needs the validation accuracy of every epoch; use --eval-every 1 (got --eval-every ${evalEvery})`);
  }
  const selecting = o.earlyStoppingPatience !== undefined || plateau || o.saveBest === true;
  if (o.validPct !== undefined) check(o.validPct > 0 && o.validPct < 1, '--valid-pct', 'in (0, 1)', o.validPct);
  const validPct = o.validPct ?? (folder || selecting ? 0.1 : 0);

  return {
    ...recipe,
    source: folder ? path.resolve(o.source) : o.source,
    folder,
    title: folder ? `${path.basename(path.resolve(o.source))} — ${model}` : `${recipe.title} — ${model}`,
    model,
    epochs,
    batchSize,
    lr,
    optimizer,
    momentum,
    nesterov: fast || muon ? true : (o.nesterov ?? recipe.nesterov),
    weightDecay,
    labelSmoothing,
    scheduler,
    augment,
    evalEvery,
    tta,
    testDir: o.testDir,
    dataDir: o.dataDir === undefined ? undefined : path.resolve(o.dataDir),
    imageSize: o.imageSize,
    validPct,
    mixup: o.mixup,
    cutmix: o.cutmix,
    clipNorm: o.clipNorm,
    earlyStoppingPatience: o.earlyStoppingPatience,
    saveBest: validPct > 0 && evalEvery === 1 && (o.saveBest ?? true),
    resume: o.resume ?? false,
    lrFind: o.lrFind ?? false,
    debugEvery: o.debugEvery,
    limit: o.limit,
    subset: o.subset,
    widths: o.widths,
    whitening: fast || muon ? (o.whitening ?? true) : false,
    lookahead: fast ? (o.lookahead ?? true) : false,
    backend,
    precision,
    seed,
    out: path.resolve(o.out ?? recipe.out),
    logEvery,
    inputShape,
  };
}

/**
 * The settings that identify a run, recorded in its checkpoints and `summary.json` (`config`): `--resume` refuses
 * a checkpoint whose recorded settings differ. The standard recipe records source, recipe, model, seed, the
 * compute precision (`--precision`) and the validation split (its epochs may be extended on resume); the fast and muon recipes also everything their
 * schedule and state depend on (the muon recipe's optimizer settings are fixed, so not recorded).
 */
export function runInfoOf(c: TrainConfig): RunInfo {
  const base: RunInfo = { recipe: c.recipe, model: c.model, seed: c.seed, precision: c.precision, ...(c.validPct > 0 ? { validPct: c.validPct } : {}) };
  if (c.recipe !== 'fast' && c.recipe !== 'muon') return base;
  // What the schedule and the data order depend on, in both airbench recipes.
  const airbench: RunInfo = {
    ...base,
    epochs: c.epochs,
    batchSize: c.batchSize,
    subset: c.subset ?? null,
    augment: c.augment,
    widths: (c.widths ?? [64, 256, 256]).join(','),
    whitening: c.whitening,
    labelSmoothing: c.labelSmoothing,
    ...(c.mixup !== undefined ? { mixup: c.mixup } : {}),
    ...(c.cutmix !== undefined ? { cutmix: c.cutmix } : {}),
  };
  if (c.recipe === 'muon') return airbench;
  return { ...airbench, lookahead: c.lookahead, lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay };
}
