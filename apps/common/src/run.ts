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
import { Adam, SGD, evaluate, fit, saveModel, type BatchSource, type Callback, type History, type Optimizer, type RunSummary } from '@cnn/train';
import type { TrainingFlags } from './flags.js';

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
  /** Test batches, evaluated after every epoch. */
  test: BatchSource & { numSamples: number };
  /** Test images for the error analysis and Grad-CAM in the report (uint8 NHWC). */
  testDataset: ImageDataset;
  /** Normalisation the model sees: `x = (pixel/255 − mean)/std`, per channel. */
  normalize: { mean: number[]; std: number[] };
  /** Shared training flags. */
  flags: TrainingFlags;
  /** Line sink. Default `console.log`. */
  log?: (line: string) => void;
}

/** The optimizer the flags ask for: Adam(lr, weightDecay) or SGD(lr, momentum, weightDecay), PyTorch rules. */
export function createOptimizer(flags: TrainingFlags): Optimizer {
  return flags.optimizer === 'adam'
    ? new Adam({ lr: flags.lr, weightDecay: flags.weightDecay })
    : new SGD({ lr: flags.lr, momentum: flags.momentum, nesterov: flags.nesterov, weightDecay: flags.weightDecay });
}

/**
 * The callbacks the flags ask for, in the order they must run: LR scheduler, early stopping, model
 * debugger, then the per-epoch checkpoint `OUT/checkpoint` (for `--resume`) and the best-test-accuracy
 * checkpoint `OUT/best` (the chapter's best-model saving).
 */
export function createCallbacks(flags: TrainingFlags, log: (line: string) => void): Callback[] {
  const cbs: Callback[] = [];
  if (flags.scheduler) cbs.push(LRSchedulerCallback.fromSpec(flags.scheduler));
  if (flags.earlyStoppingPatience !== undefined) {
    cbs.push(new EarlyStopping({ monitor: 'val_loss', patience: flags.earlyStoppingPatience, restoreBestWeights: true, log }));
  }
  if (flags.debugEvery !== undefined) {
    cbs.push(new ModelDebugger({ every: flags.debugEvery, charts: chartFolder(path.join(flags.out, 'debug')), log }));
  }
  cbs.push(new ModelCheckpoint(path.join(flags.out, 'checkpoint'), { log: () => {} }));
  cbs.push(new ModelCheckpoint(path.join(flags.out, 'best'), { monitor: 'val_accuracy', mode: 'max', saveBestOnly: true, log: () => {} }));
  return cbs;
}

/**
 * Runs an app's training end to end: selects the backend (falling back to `cpu` with a loud warning),
 * builds the model and prints its summary, then either runs the learning-rate range test (`--lr-find`:
 * writes `OUT/lr-find.png` and returns `undefined`) or trains with `fit` and the flags' callbacks,
 * evaluates the final model, and writes `OUT/model/` (TF.js layers format), `OUT/history.json`,
 * `OUT/summary.json`, the test-set analysis (`analysis.json`, confusion matrix, galleries, Grad-CAM
 * PNGs) and the self-contained `OUT/report.html`. Every file is written atomically.
 *
 * @throws NonFiniteLossError (from `@cnn/train`) when a training loss is NaN/Inf, naming epoch and batch.
 */
export async function runTraining(run: TrainingRun): Promise<{ summary: RunSummary; history: History } | undefined> {
  const { flags } = run;
  const log = run.log ?? console.log;
  const chosen = await selectBackend(flags.backend, { fallback: true, log });
  log(`backend: ${chosen.backend} (${chosen.reason})`);
  log(`data: ${run.train.numSamples} training images, ${run.test.numSamples} test images`);

  const model = run.buildModel();
  const s = summary(model);
  log(formatSummary(s));
  const optimizer = createOptimizer(flags);

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

    const history = await fit(model, {
      train: run.train,
      test: run.test,
      epochs: flags.epochs,
      optimizer,
      log,
      logEvery: flags.logEvery,
      callbacks: createCallbacks(flags, log),
      resume: flags.resume ? path.join(flags.out, 'checkpoint') : undefined,
      resumeIfMissing: true,
      clipNorm: flags.clipNorm,
      labelSmoothing: flags.labelSmoothing,
    });

    const final = await evaluate(model, run.test);
    const trainSeconds = history.reduce((sum, h) => sum + h.seconds, 0);
    const result: RunSummary = {
      model: run.modelName,
      backend: tf.getBackend(),
      params: s.trainableParams,
      epochs: history.length,
      testAcc: final.accuracy,
      testLoss: final.loss,
      trainSeconds,
      trainImgPerSec: trainSeconds > 0 ? (run.train.numSamples * history.length) / trainSeconds : 0,
      evalImgPerSec: final.imgPerSec,
    };

    await saveModel(model, path.join(flags.out, 'model'), {
      metadata: { normalization: run.normalize, classNames: run.testDataset.classNames },
    });
    await writeJsonAtomic(path.join(flags.out, 'history.json'), history);
    await writeJsonAtomic(path.join(flags.out, 'summary.json'), result);
    await analyzeRun({ runDir: flags.out, model, dataset: run.testDataset, normalize: run.normalize });
    const report = await writeReport(flags.out, { title: run.title });
    log(
      `done: test accuracy ${(result.testAcc * 100).toFixed(2)}%, ${result.trainSeconds.toFixed(1)} s training, ` +
        `${Math.round(result.trainImgPerSec)} img/s train, ${Math.round(result.evalImgPerSec)} img/s eval → ${flags.out} (report: ${report})`,
    );
    return { summary: result, history };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
