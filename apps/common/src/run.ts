import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { chartFolder } from '@cnn/core/node';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { selectBackend } from '@cnn/backend-onednn';
import { EarlyStopping, LRSchedulerCallback, ModelCheckpoint, ModelDebugger, lrFind } from '@cnn/callbacks';
import { writeLrFinderPlot } from '@cnn/callbacks/node';
import type { ImageDataset } from '@cnn/data';
import { writeJsonAtomic } from '@cnn/data/node';
import { analyzeRun, writeReport } from '@cnn/explain/node';
import { formatSummary, summary } from '@cnn/models';
import {
  Adam,
  CrossEntropyLoss,
  SGD,
  evaluate,
  fit,
  parseSchedulerSpec,
  saveModel,
  type BatchSource,
  type Callback,
  type History,
  type LossReduction,
  type Optimizer,
  type RunSummary,
} from '@cnn/train';
import { hasCheckpoint } from '@cnn/train/node';
import { evaluateWithTta, type TtaSpec } from './evaluate-tta.js';
import { UsageError, type TrainingFlags } from './flags.js';
import { RUN_RECORD_KEY, RunRecord, runInfoDifferences, type RunInfo } from './run-record.js';

/** One training run of an app: its data, model and flags. */
export interface TrainingRun {
  /** Title of the report, e.g. `MNIST — mnistnet`. */
  title: string;
  /** Model name written to the summary. */
  modelName: string;
  /** Builds the model (seeded); called once, after the backend is selected. */
  buildModel: () => tfl.LayersModel;
  /** Training batches (a `DataLoader`), with the number of samples per epoch. */
  train: BatchSource & { numSamples: number };
  /**
   * Validation batches (held out from the training data), evaluated after every epoch into `val_loss` /
   * `val_accuracy`; the best checkpoint `OUT/best` and `--early-stopping-patience` select on them and are left
   * out without it. Default: none.
   */
  validation?: BatchSource;
  /** Test batches, evaluated after every epoch into `test_loss` / `test_accuracy` (reporting only). */
  test: BatchSource & { numSamples: number };
  /** Test images for the error analysis and Grad-CAM in the report (uint8 NHWC). */
  testDataset: ImageDataset;
  /** Normalisation the model sees: `x = (pixel/255 − mean)/std`, per channel. */
  normalize: { mean: number[]; std: number[] };
  /** Shared training flags. */
  flags: TrainingFlags;
  /** Line sink. Default `console.log`. */
  log?: (line: string) => void;
  /** The optimizer of the built model (e.g. parameter groups). Default: {@link createOptimizer}`(flags)`. */
  createOptimizer?: (model: tfl.LayersModel) => Optimizer;
  /**
   * The recipe's own callbacks (per-batch schedules, weight averaging, layer freezing), run after the flags'
   * callbacks and before the checkpoints, so that these save the recipe callbacks' end-of-epoch state.
   */
  callbacks?: (model: tfl.LayersModel, optimizer: Optimizer) => Callback[];
  /**
   * A data-dependent initialisation of the built model (e.g. patch whitening), called before training — also
   * before a resume restores the checkpoint's weights over it. Counted in `totalSeconds`.
   */
  initModel?: (model: tfl.LayersModel) => void | Promise<void>;
  /**
   * Evaluate the test set after every `evalEvery`-th epoch (`fit`'s option; the final model is always evaluated);
   * `0`: only the final model. With any value but 1 there is no best-accuracy checkpoint `OUT/best`. Default `1`.
   */
  evalEvery?: number;
  /** Training loss reduction (of `fit`'s `loss: new CrossEntropyLoss({ reduction })`). Default `'mean'`. */
  reduction?: LossReduction;
  /**
   * Test-time augmentation of the final evaluation: `testAcc` / `testLoss` are then the TTA results,
   * `testAccNoTta` / `testLossNoTta` the plain ones, and the summary records the views and weights.
   */
  tta?: TtaSpec;
  /**
   * Settings that identify the run (recipe, seed, …): written to `summary.json` (`config`, and `recipe` / `seed`
   * at the top level, with `totalSeconds`, `testAccNoTta` and `testLossNoTta`) and to every checkpoint; `--resume`
   * refuses a checkpoint whose recorded settings differ. Without it (and without `tta`) `summary.json` holds the
   * {@link RunSummary} keys alone, as before.
   */
  runInfo?: RunInfo;
  /** The settings a checkpoint without recorded ones (written before `runInfo` existed) counts as. Default `{}`. */
  legacyRunInfo?: RunInfo;
}

/** The optimizer the flags ask for: Adam(lr, weightDecay) or SGD(lr, momentum, weightDecay), PyTorch rules. */
export function createOptimizer(flags: TrainingFlags): Optimizer {
  return flags.optimizer === 'adam'
    ? new Adam({ lr: flags.lr, weightDecay: flags.weightDecay })
    : new SGD({ lr: flags.lr, momentum: flags.momentum, nesterov: flags.nesterov, weightDecay: flags.weightDecay });
}

/** Options of {@link createCallbacks}. */
export interface CreateCallbacksOptions {
  /** Callbacks placed after the flags' ones and before the checkpoints. Default none. */
  extra?: Callback[];
  /**
   * The run has a validation set (`fit({ validation })`): only then are early stopping and the
   * best-validation-accuracy checkpoint `OUT/best` added (they never select on the test set). Default `false`.
   */
  validation?: boolean;
  /** Keep the best-validation-accuracy checkpoint `OUT/best` when there is a validation set (needs `val_accuracy` every epoch). Default `true`. */
  best?: boolean;
}

/**
 * The callbacks the flags ask for, in the order they must run: LR scheduler, early stopping (with a validation
 * set only; otherwise a log line says the flag is ignored), model debugger, then `opts.extra`, then the
 * per-epoch checkpoint `OUT/checkpoint` (for `--resume`) and the best-validation-accuracy checkpoint `OUT/best`
 * (the chapter's best-model saving; only with a validation set, left out with `best: false`).
 * @throws UsageError for `--scheduler plateau…` (ReduceLROnPlateau) without a validation set.
 */
export function createCallbacks(flags: TrainingFlags, log: (line: string) => void, opts: CreateCallbacksOptions = {}): Callback[] {
  const cbs: Callback[] = [];
  if (flags.scheduler) {
    if (!opts.validation && parseSchedulerSpec(flags.scheduler).scheduler === 'ReduceLROnPlateau') {
      throw new UsageError(
        `--scheduler ${flags.scheduler}: ReduceLROnPlateau selects on val_loss and this run has no validation set (it never selects on the test set)`,
      );
    }
    cbs.push(LRSchedulerCallback.fromSpec(flags.scheduler));
  }
  if (flags.earlyStoppingPatience !== undefined && !opts.validation) {
    log('--early-stopping-patience ignored: this run has no validation set, and early stopping never selects on the test set');
  } else if (flags.earlyStoppingPatience !== undefined) {
    cbs.push(new EarlyStopping({ monitor: 'val_loss', patience: flags.earlyStoppingPatience, restoreBestWeights: true, log }));
  }
  if (flags.debugEvery !== undefined) {
    cbs.push(new ModelDebugger({ every: flags.debugEvery, charts: chartFolder(path.join(flags.out, 'debug')), log }));
  }
  cbs.push(...(opts.extra ?? []));
  cbs.push(new ModelCheckpoint(path.join(flags.out, 'checkpoint'), { log: () => {} }));
  if (opts.validation && (opts.best ?? true))
    cbs.push(new ModelCheckpoint(path.join(flags.out, 'best'), { monitor: 'val_accuracy', mode: 'max', saveBestOnly: true, log: () => {} }));
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
 * Refuses `--resume` from a checkpoint of another run: compares the settings recorded in `OUT/checkpoint` with
 * `current` (see {@link runInfoDifferences}).
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
 * Runs an app's training end to end: refuses `--resume` from a checkpoint of another run (`runInfo`), selects
 * the backend (falling back to `cpu` with a loud warning), builds the model and prints its summary, then either
 * runs the learning-rate range test (`--lr-find`: writes `OUT/lr-find.png` and returns `undefined`) or starts the
 * run's clock, applies `initModel`, trains with `fit` (the flags' callbacks, the recipe's, a {@link RunRecord}
 * and the checkpoints), evaluates the final model (with and without `tta` when given), and writes `OUT/model/`
 * (TF.js layers format, with the normalisation and class names as model metadata), `OUT/history.json` (Keras'
 * metric names; `null` `val_loss` / `val_accuracy` for epochs not evaluated), `OUT/summary.json`
 * (the {@link RunSummary} keys; with `tta` also `tta`, `testAccNoTta`, `testLossNoTta`; with `runInfo` also
 * `testAccNoTta`, `testLossNoTta`, `totalSeconds`, `seed`, `recipe`, `config`), the test-set analysis (`analysis.json`, confusion matrix, galleries, Grad-CAM PNGs) and the
 * self-contained `OUT/report.html`. Every file is written atomically.
 *
 * `totalSeconds` runs from just before `initModel` to the end of the final evaluation (after a resume: the
 * checkpoint's elapsed time plus this session's).
 *
 * @throws UsageError when `--resume` finds a checkpoint of another run (naming the differing settings).
 * @throws NonFiniteLossError (from `@cnn/train`) when a training loss is NaN/Inf, naming epoch and batch.
 * @throws Error when the final test loss is not finite ({@link assertFiniteEvaluation}).
 */
export async function runTraining(run: TrainingRun): Promise<{ summary: RunSummary; history: History } | undefined> {
  const { flags } = run;
  const log = run.log ?? console.log;
  const checkpointDir = path.join(flags.out, 'checkpoint');
  if (flags.resume && run.runInfo) await assertResumable(checkpointDir, run.runInfo, run.legacyRunInfo);
  const chosen = await selectBackend(flags.backend, { fallback: true, log });
  log(`backend: ${chosen.backend} (${chosen.reason})`);
  log(`data: ${run.train.numSamples} training images, ${run.test.numSamples} test images`);

  const model = run.buildModel();
  const s = summary(model);
  log(formatSummary(s));
  const optimizer = run.createOptimizer ? run.createOptimizer(model) : createOptimizer(flags);
  const record = new RunRecord(run.runInfo ?? {});
  const recipeCallbacks: Callback[] = [];

  try {
    if (flags.lrFind) {
      const result = await lrFind(model, run.train, optimizer, { startLr: 1e-7, endLr: 10, numIter: 100 });
      const { png } = await writeLrFinderPlot(result, path.join(flags.out, 'lr-find.png'));
      const fmt = (v?: number) => (v === undefined ? 'n/a' : v.toExponential(2));
      log(
        `lr-find: steepest descent at lr ${fmt(result.suggestion.steepest)}, min loss / 10 = ${fmt(result.suggestion.minLossDiv10)}` +
          `${result.diverged ? ' (stopped on divergence)' : ''}; plot: ${png}`,
      );
      return undefined;
    }

    const evalEvery = run.evalEvery ?? 1;
    recipeCallbacks.push(...(run.callbacks?.(model, optimizer) ?? []));
    record.startClock();
    await run.initModel?.(model);
    const history = await fit(model, {
      train: run.train,
      ...(run.validation ? { validation: run.validation } : {}),
      test: run.test,
      epochs: flags.epochs,
      evalEvery,
      optimizer,
      log,
      logEvery: flags.logEvery,
      callbacks: createCallbacks(flags, log, { extra: [...recipeCallbacks, record], validation: run.validation !== undefined, best: evalEvery === 1 }),
      resume: flags.resume ? checkpointDir : undefined,
      resumeIfMissing: true,
      clipNorm: flags.clipNorm,
      loss: new CrossEntropyLoss({ labelSmoothing: flags.labelSmoothing, reduction: run.reduction }),
    });

    if (run.tta) log(`evaluating the final model on ${run.test.numSamples} test images with ${run.tta.views.length} TTA views and without`);
    const final = run.tta
      ? await evaluateWithTta(model, run.test, run.tta, { progress: 'auto', log, logEvery: flags.logEvery })
      : { ...(await evaluate(model, run.test)), noTta: undefined };
    const totalSeconds = record.elapsedSeconds;
    assertFiniteEvaluation(final.loss, final.noTta?.loss);
    const trainSeconds = history.reduce((sum, h) => sum + h.seconds, 0);
    // images trained: Σ samples of each epoch (imgPerSec = samples / seconds), exact for partial epochs and dropLast
    const images = history.reduce((sum, h) => sum + h.imgPerSec * h.seconds, 0);
    const result: RunSummary = {
      model: run.modelName,
      backend: tf.getBackend(),
      ...(chosen.adapter ? { adapter: chosen.adapter } : {}),
      params: s.trainableParams,
      epochs: history.length,
      testAcc: final.accuracy,
      testLoss: final.loss,
      trainSeconds,
      trainImgPerSec: trainSeconds > 0 ? images / trainSeconds : 0,
      evalImgPerSec: final.imgPerSec,
      ...(run.tta || run.runInfo ? { testAccNoTta: final.noTta?.accuracy ?? final.accuracy, testLossNoTta: final.noTta?.loss ?? final.loss } : {}),
      ...(run.tta
        ? { tta: { ...(run.tta.level !== undefined ? { level: run.tta.level } : {}), views: run.tta.views, weights: normalised(run.tta.weights) } }
        : {}),
      ...(run.runInfo
        ? {
            totalSeconds,
            ...(typeof run.runInfo.recipe === 'string' ? { recipe: run.runInfo.recipe } : {}),
            seed: flags.seed,
            config: { ...run.runInfo },
          }
        : {}),
    };

    await saveModel(model, path.join(flags.out, 'model'), {
      metadata: { normalization: run.normalize, classNames: run.testDataset.classNames },
    });
    await writeJsonAtomic(path.join(flags.out, 'history.json'), history);
    await writeJsonAtomic(path.join(flags.out, 'summary.json'), result);
    await analyzeRun({ runDir: flags.out, model, dataset: run.testDataset, normalize: run.normalize });
    const report = await writeReport(flags.out, { title: run.title });
    const acc = run.tta
      ? `test accuracy ${(result.testAcc * 100).toFixed(2)}% with TTA, ${(result.testAccNoTta! * 100).toFixed(2)}% without`
      : `test accuracy ${(result.testAcc * 100).toFixed(2)}%`;
    log(
      `done: ${acc}, ${result.trainSeconds.toFixed(1)} s training, ${totalSeconds.toFixed(1)} s in all, ` +
        `${Math.round(result.trainImgPerSec)} img/s train, ${Math.round(result.evalImgPerSec)} img/s eval → ${flags.out} (report: ${report})`,
    );
    return { summary: result, history };
  } finally {
    for (const cb of recipeCallbacks) (cb as { dispose?: () => void }).dispose?.();
    optimizer.dispose();
    model.dispose();
    chosen.dispose(); // a webgpu device would otherwise outlive the run
  }
}

/**
 * Refuses to report a final evaluation whose loss is not finite (a model with NaN/Inf outputs), instead of
 * writing NaN into the summary.
 * @throws Error naming the value; the run folder then holds only the checkpoints.
 */
export function assertFiniteEvaluation(loss: number, lossNoTta?: number): void {
  for (const [what, v] of [
    ['test loss', loss],
    ['test loss without TTA', lossNoTta],
  ] as const) {
    if (v !== undefined && !Number.isFinite(v)) {
      throw new Error(`final evaluation: the ${what} is ${v} (the model's outputs are not finite); nothing but the checkpoints was written`);
    }
  }
}

function normalised(weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / sum);
}
