import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { NonFiniteLossError } from './errors';
import { formatCount, formatLr, formatPercent, formatSeconds } from './format';
import { softmaxCrossEntropy } from './loss';
import type { Optimizer } from './optimizers/optimizer';
import { createProgress, type ProgressMode } from './progress';
import { countCorrect, trainStep } from './train-step';

/** One mini-batch. The loops take ownership and dispose `x` and `y` after use. */
export interface Batch {
  /** `[batch, height, width, channels]` float32 NHWC images. */
  x: tf.Tensor;
  /** `[batch]` int32 labels. */
  y: tf.Tensor;
}

/**
 * Anything that yields batches, e.g. `@cnn/data`'s `DataLoader` or an array. Iterated once per epoch.
 * `length` (batches per epoch), when present, drives the progress bar and ETA.
 */
export type BatchSource = (Iterable<Batch> | AsyncIterable<Batch>) & { length?: number };

/** Result of {@link trainEpoch} / {@link evaluate}. */
export interface EpochResult {
  /** Mean cross-entropy over the samples. */
  loss: number;
  /** Fraction of samples classified correctly (0–1). */
  acc: number;
  /** Wall-clock seconds of the pass. */
  seconds: number;
  /** Throughput, `samples / seconds` (img/s). */
  imgPerSec: number;
  /** Number of samples seen. */
  samples: number;
}

/** Information passed to `onBatchEnd` after each training batch. */
export interface BatchEndInfo {
  /** 1-based epoch. */
  epoch: number;
  /** 1-based batch. */
  batch: number;
  /** Loss of this batch. */
  loss: number;
  /** Correct predictions in this batch. */
  correct: number;
  /** Samples in this batch. */
  size: number;
}

/** Options of {@link trainEpoch}. */
export interface TrainEpochOptions {
  /** 1-based epoch number used in messages. Default `1`. */
  epoch?: number;
  /** Total epochs, shown in the progress label when given. */
  epochs?: number;
  /** Line sink. Default `console.log`. */
  log?: (line: string) => void;
  /** Batches between progress lines in `'lines'` mode. Default `100`. */
  logEvery?: number;
  /** Progress display. Default `'auto'` (bar on a TTY, else lines). */
  progress?: ProgressMode;
  /** Called after every batch. */
  onBatchEnd?: (info: BatchEndInfo) => void;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Line sink for progress. Default `console.log`. */
  log?: (line: string) => void;
  /** Batches between progress lines. Default `100`. */
  logEvery?: number;
  /** Progress display. Default `'none'`. */
  progress?: ProgressMode;
}

function now(): number {
  return performance.now() / 1000;
}

function checkBatch(fn: string, b: Batch, index: number): number {
  if (!b || !(b.x instanceof tf.Tensor) || !(b.y instanceof tf.Tensor)) {
    throw new Error(`${fn}: batch ${index} must be {x: Tensor, y: Tensor}`);
  }
  if (b.x.rank !== 4) throw new Error(`${fn}: batch ${index}: x must be rank 4 [batch, height, width, channels], got shape [${b.x.shape}]`);
  if (b.y.rank !== 1 || b.y.shape[0] !== b.x.shape[0]) {
    throw new Error(`${fn}: batch ${index}: y must have shape [${b.x.shape[0]}], got [${b.y.shape}]`);
  }
  return b.x.shape[0];
}

/**
 * Trains `model` for one pass over `loader` with {@link trainStep} (PyTorch's `model.train()` loop).
 *
 * @returns mean loss and accuracy over the epoch's samples (each computed before that batch's update,
 *   as PyTorch's running loss), wall-clock seconds and img/s.
 * @throws NonFiniteLossError when a batch loss is NaN/Inf (the update of that batch has been applied).
 * @throws Error when the loader yields no batches or a malformed batch.
 */
export async function trainEpoch(model: tfl.LayersModel, loader: BatchSource, optimizer: Optimizer, opts: TrainEpochOptions = {}): Promise<EpochResult> {
  const epoch = opts.epoch ?? 1;
  const log = opts.log ?? console.log;
  const label = opts.epochs ? `Epoch ${epoch}/${opts.epochs}` : `Epoch ${epoch}`;
  const reporter = createProgress(opts.progress ?? 'auto', { total: loader.length, log, logEvery: opts.logEvery ?? 100, label });
  let lossSum = 0;
  let correct = 0;
  let samples = 0;
  let batch = 0;
  const t0 = now();
  try {
    for await (const b of loader) {
      batch += 1;
      let size: number;
      let r: { loss: number; correct: number };
      try {
        size = checkBatch('trainEpoch', b, batch);
        r = trainStep(model, b.x, b.y, optimizer);
      } finally {
        tf.dispose([b?.x, b?.y].filter((t): t is tf.Tensor => t instanceof tf.Tensor));
      }
      if (!Number.isFinite(r.loss)) throw new NonFiniteLossError(epoch, batch, r.loss);
      lossSum += r.loss * size;
      correct += r.correct;
      samples += size;
      const seconds = now() - t0;
      reporter.update({ batch, total: loader.length, loss: lossSum / samples, acc: correct / samples, imgPerSec: samples / seconds, seconds });
      opts.onBatchEnd?.({ epoch, batch, loss: r.loss, correct: r.correct, size });
    }
  } finally {
    reporter.stop();
  }
  if (samples === 0) throw new Error(`trainEpoch: the training loader yielded no batches (epoch ${epoch})`);
  const seconds = now() - t0;
  return { loss: lossSum / samples, acc: correct / samples, seconds, imgPerSec: samples / seconds, samples };
}

/**
 * Evaluates `model` on `loader` in inference mode (`model.apply(x, {training: false})`: dropout off,
 * batch norm on running statistics), batch by batch, like PyTorch's `model.eval()` + `torch.no_grad()`.
 *
 * @returns mean cross-entropy over samples (NaN/Inf is returned as is), accuracy, seconds, img/s.
 * @throws Error when the loader yields no batches or a malformed batch.
 */
export async function evaluate(model: tfl.LayersModel, loader: BatchSource, opts: EvaluateOptions = {}): Promise<EpochResult> {
  const reporter = createProgress(opts.progress ?? 'none', { total: loader.length, log: opts.log ?? console.log, logEvery: opts.logEvery ?? 100, label: 'Eval' });
  let lossSum = 0;
  let correct = 0;
  let samples = 0;
  let batch = 0;
  const t0 = now();
  try {
    for await (const b of loader) {
      batch += 1;
      let size: number;
      let stats: Float32Array;
      try {
        size = checkBatch('evaluate', b, batch);
        const t = tf.tidy(() => {
          const logits = model.apply(b.x, { training: false }) as tf.Tensor;
          return tf.stack([softmaxCrossEntropy(logits, b.y), tf.cast(countCorrect(logits, b.y), 'float32')]);
        });
        stats = t.dataSync() as Float32Array;
        t.dispose();
      } finally {
        tf.dispose([b?.x, b?.y].filter((t): t is tf.Tensor => t instanceof tf.Tensor));
      }
      lossSum += stats[0] * size;
      correct += Math.round(stats[1]);
      samples += size;
      const seconds = now() - t0;
      reporter.update({ batch, total: loader.length, loss: lossSum / samples, acc: correct / samples, imgPerSec: samples / seconds, seconds });
    }
  } finally {
    reporter.stop();
  }
  if (samples === 0) throw new Error('evaluate: the loader yielded no batches');
  const seconds = now() - t0;
  return { loss: lossSum / samples, acc: correct / samples, seconds, imgPerSec: samples / seconds, samples };
}

/** One epoch of {@link fit}'s history. Accuracies are 0–1 fractions. */
export interface HistoryEntry {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch. */
  trainLoss: number;
  /** Training accuracy (0–1). */
  trainAcc: number;
  /** Test loss after the epoch. */
  testLoss: number;
  /** Test accuracy after the epoch (0–1). */
  testAcc: number;
  /** Learning rate used during the epoch. */
  lr: number;
  /** Training seconds of the epoch (evaluation excluded). */
  seconds: number;
  /** Training throughput (img/s). */
  imgPerSec: number;
}

/** The per-epoch records returned by {@link fit}. */
export type History = HistoryEntry[];

/** Control handle passed to `onEpochEnd`. */
export interface FitControl {
  /** History so far (including the current epoch). */
  history: History;
  /** Optimizer in use (e.g. to change `lr` for the next epoch). */
  optimizer: Optimizer;
  /** Stops training after this epoch. */
  stop(): void;
}

/** Options of {@link fit}. */
export interface FitOptions {
  /** Training batches, iterated once per epoch. */
  train: BatchSource;
  /** Test batches, evaluated after every epoch. */
  test: BatchSource;
  /** Number of epochs (integer >= 1). */
  epochs: number;
  /** Optimizer, e.g. `new Adam({lr: 1e-3})`. */
  optimizer: Optimizer;
  /** Epochs already done (for resuming); training runs epochs `initialEpoch+1 .. epochs`. Default `0`. */
  initialEpoch?: number;
  /** Line sink for epoch lines and progress. Default `console.log`. */
  log?: (line: string) => void;
  /** Progress display during training. Default `'auto'`. */
  progress?: ProgressMode;
  /** Batches between progress lines in `'lines'` mode. Default `100`. */
  logEvery?: number;
  /** Called after each epoch's evaluation; may be async; `control.stop()` ends training. */
  onEpochEnd?: (entry: HistoryEntry, control: FitControl) => void | Promise<void>;
}

/**
 * Formats one history entry in the chapter's style:
 * `Epoch 3/10  train loss 0.0412 acc 98.71%  test loss 0.0301 acc 99.02%  lr 1.0e-3  12.3 s  4,870 img/s`.
 */
export function formatEpochLine(e: HistoryEntry, epochs: number): string {
  return `Epoch ${e.epoch}/${epochs}  train loss ${e.trainLoss.toFixed(4)} acc ${formatPercent(e.trainAcc)}  ` +
    `test loss ${e.testLoss.toFixed(4)} acc ${formatPercent(e.testAcc)}  lr ${formatLr(e.lr)}  ` +
    `${formatSeconds(e.seconds)}  ${formatCount(e.imgPerSec)} img/s`;
}

/**
 * Trains for `epochs` epochs ({@link trainEpoch}), evaluating on `test` after each
 * ({@link evaluate}), logging one {@link formatEpochLine} line per epoch.
 *
 * @returns the history, one {@link HistoryEntry} per completed epoch.
 * @throws NonFiniteLossError when training diverges; Error on invalid options.
 */
export async function fit(model: tfl.LayersModel, opts: FitOptions): Promise<History> {
  const { epochs, optimizer } = opts;
  const initialEpoch = opts.initialEpoch ?? 0;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`fit: epochs must be an integer >= 1. Received: epochs=${epochs}`);
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs) {
    throw new Error(`fit: initialEpoch must be an integer in [0, epochs]. Received: initialEpoch=${initialEpoch}`);
  }
  if (!optimizer || typeof optimizer.step !== 'function') throw new Error('fit: optimizer must be an Optimizer (e.g. new Adam())');
  const log = opts.log ?? console.log;
  const history: History = [];
  let stopped = false;
  const control: FitControl = { history, optimizer, stop: () => { stopped = true; } };
  for (let epoch = initialEpoch + 1; epoch <= epochs && !stopped; epoch++) {
    const lr = optimizer.lr;
    const tr = await trainEpoch(model, opts.train, optimizer, { epoch, epochs, log, progress: opts.progress, logEvery: opts.logEvery });
    const te = await evaluate(model, opts.test);
    const entry: HistoryEntry = {
      epoch, trainLoss: tr.loss, trainAcc: tr.acc, testLoss: te.loss, testAcc: te.acc, lr, seconds: tr.seconds, imgPerSec: tr.imgPerSec,
    };
    history.push(entry);
    log(formatEpochLine(entry, epochs));
    await opts.onEpochEnd?.(entry, control);
  }
  return history;
}
