import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Batch } from '@cnn/core';
import type { Callback, GradientsInfo, Logs, TrainingContext } from './callback.js';
import { CallbackList } from './callback-list.js';
import { GradientAccumulator } from './gradient-accumulator.js';
import { restoreTrainingState } from './checkpoint.js';
import { checkpointStore, type CheckpointStore } from './checkpoint-store.js';
import { NonFiniteLossError, TrainError } from './errors.js';
import { maybeYield, resolveYieldEvery } from './event-loop.js';
import type { History, HistoryEntry } from './history.js';
import { formatCount, formatLr, formatPercent, formatSeconds } from './format.js';
import { CrossEntropyLoss, softmaxCrossEntropy } from './loss.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { createProgress, type ProgressMode } from './progress.js';
import { applyGradients, computeGradients, countCorrect, type StepOptions } from './train-step.js';

export type { History, HistoryEntry } from './history.js';

/**
 * Anything that yields batches (`@cnn/core`'s `Batch`: `x` `[batch, height, width, channels]` float32, `y`
 * `[batch]` int32 labels or `[batch, numClasses]` soft labels), e.g. `@cnn/data`'s `DataLoader`, an
 * `AugmentedLoader` with MixUp / CutMix, or an array. The loops take ownership of each batch and dispose `x`
 * and `y` after use. Iterated once per epoch.
 * `length` (batches per epoch), when present, drives the progress bar and ETA.
 */
export type BatchSource = (Iterable<Batch> | AsyncIterable<Batch>) & { length?: number };

/** Result of {@link trainEpoch} / {@link evaluate}. */
export interface EpochResult {
  /** Mean cross-entropy over the samples. */
  loss: number;
  /** Fraction of samples classified correctly (0–1; against the argmax of soft labels). */
  accuracy: number;
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
  /** Learning rate used for this batch's update. */
  lr: number;
  /** Whether the optimizer stepped after this batch (false inside a gradient-accumulation group). */
  stepped: boolean;
  /** Global gradient norm before clipping, when `clipNorm` is set and the optimizer stepped. */
  gradNorm?: number;
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
  /** Called after every batch (awaited when it returns a promise). */
  onBatchEnd?: (info: BatchEndInfo) => void | Promise<void>;
  /** Called before every batch with its 1-based index. */
  onBatchBegin?: (batch: number) => void | Promise<void>;
  /**
   * Called with the gradients of each optimizer step (the group mean with `accumulateSteps`), before clipping
   * and the update — except the step of a last incomplete accumulation group of a loader without `length`,
   * applied after the loop when the group's batches are already disposed.
   */
  onGradients?: (info: GradientsInfo) => void | Promise<void>;
  /**
   * The stop flag (`fit` passes its `TrainingContext`): polled after `onGradients` and after each batch;
   * `stopTraining === true` skips the pending update and ends the epoch.
   */
  control?: { stopTraining: boolean };
  /**
   * The training loss (label smoothing and the reduction that is differentiated, `'mean'` or `'sum'` over each
   * batch). The reported losses stay per-sample means. Default `new CrossEntropyLoss()`.
   */
  loss?: CrossEntropyLoss;
  /**
   * Train at most this many batches, then end the epoch normally (not `stopped`; a pending accumulation
   * group is applied) — the partial last epoch of a fractional `fit({epochs})`. Integer >= 1. Default: the
   * whole loader.
   */
  maxBatches?: number;
  /**
   * Yield to the event loop (`setTimeout(0)`) after every `yieldEvery` batches, so a browser page keeps painting
   * and its timers and input run during training; `0` never. An integer >= 0. Default: `1` where
   * `globalThis.window` exists (a browser page), else `0`.
   */
  yieldEvery?: number;
  /** Global-norm gradient clipping (`clip_grad_norm_`). Default: none. */
  clipNorm?: number;
  /** Element-wise gradient clipping (`clip_grad_value_`). Default: none. */
  clipValue?: number;
  /**
   * Gradient accumulation: one optimizer step per `accumulateSteps` batches, with the sample-weighted
   * mean of their gradients (the gradient of one `accumulateSteps`× larger batch, except for
   * batch-norm statistics and dropout masks, which stay per micro-batch); with `reduction: 'sum'` their
   * sum (again the gradient of the larger batch's summed loss). A last incomplete group is applied at the
   * end of the epoch. Default `1`.
   */
  accumulateSteps?: number;
}

/** Extra result of {@link trainEpoch}: whether `control.stopTraining` ended the epoch early. */
export interface TrainEpochResult extends EpochResult {
  /** True when the epoch was cut short by `control.stopTraining`. */
  stopped: boolean;
  /** Batches trained (fewer than the loader's with `maxBatches` or `stopped`). */
  batches: number;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Line sink for progress. Default `console.log`. */
  log?: (line: string) => void;
  /** Batches between progress lines. Default `100`. */
  logEvery?: number;
  /** Progress display. Default `'none'`. */
  progress?: ProgressMode;
  /**
   * Yield to the event loop (`setTimeout(0)`) after every `yieldEvery` batches, so a browser page keeps painting
   * and its timers and input run during training; `0` never. An integer >= 0. Default: `1` where
   * `globalThis.window` exists (a browser page), else `0`.
   */
  yieldEvery?: number;
  /**
   * The forward pass of one batch (PyTorch's `model(x)` under `torch.no_grad()`): `x` `[batch, height, width,
   * channels]` float32 → logits `[batch, numClasses]`, or `{logits, heads}`, where every head (more logits
   * `[batch, numClasses]` of the same batch, e.g. the model without test-time augmentation) is scored as well,
   * in the same pass, into {@link EvaluateResult.heads} (as the per-output `<name>_loss` / `<name>_accuracy` of
   * Keras' `evaluate` on a multi-output model). Runs inside `tf.tidy`, so it may leave intermediates; it must not
   * dispose `x`, and must not keep the tensors it returns. Default `model.apply(x, {training: false})`.
   */
  forward?: (x: tf.Tensor4D) => EvaluateOutput;
  /** Label of the progress display. Default `'Eval'`. */
  label?: string;
}

/**
 * What an {@link EvaluateOptions.forward} returns: the logits `[batch, numClasses]` scored into `loss` /
 * `accuracy`, or those plus named heads (more logits of the same batch) scored into `heads`.
 */
export type EvaluateOutput = tf.Tensor2D | { logits: tf.Tensor2D; heads: Record<string, tf.Tensor2D> };

/** Result of {@link evaluate}. */
export interface EvaluateResult extends EpochResult {
  /**
   * Per head of {@link EvaluateOptions.forward} (present only when it returns `{logits, heads}`): mean
   * cross-entropy and accuracy (0–1) over the same samples, like `loss` / `accuracy`.
   */
  heads?: Record<string, { loss: number; accuracy: number }>;
}

function now(): number {
  return performance.now() / 1000;
}

/** The loss object of an options bag (default `new CrossEntropyLoss()`), refusing anything else. */
function lossOf(fn: string, loss: unknown): CrossEntropyLoss {
  if (loss === undefined) return new CrossEntropyLoss();
  if (loss instanceof CrossEntropyLoss) return loss;
  throw new TrainError(`${fn}: loss must be a CrossEntropyLoss (new CrossEntropyLoss({ labelSmoothing, reduction })). Received: ${String(loss)}`, {
    code: 'ERR_CNN_INVALID_OPTION',
  });
}

function checkBatch(fn: string, b: Batch, index: number): number {
  if (!b || !(b.x instanceof tf.Tensor) || !(b.y instanceof tf.Tensor)) {
    throw new TrainError(`${fn}: batch ${index} must be {x: Tensor, y: Tensor}`, { code: 'ERR_CNN_INVALID_BATCH' });
  }
  if (b.x.rank !== 4)
    throw new TrainError(`${fn}: batch ${index}: x must be rank 4 [batch, height, width, channels], got shape [${b.x.shape}]`, {
      code: 'ERR_CNN_INVALID_BATCH',
    });
  if ((b.y.rank !== 1 && b.y.rank !== 2) || b.y.shape[0] !== b.x.shape[0]) {
    throw new TrainError(`${fn}: batch ${index}: y must be [${b.x.shape[0]}] labels or [${b.x.shape[0]}, numClasses] soft labels, got [${b.y.shape}]`, {
      code: 'ERR_CNN_INVALID_BATCH',
    });
  }
  return b.x.shape[0];
}

/**
 * Trains `model` for one pass over `loader` (PyTorch's `model.train()` loop): per batch
 * {@link computeGradients}, optional accumulation over `accumulateSteps` batches, optional clipping,
 * then `optimizer.step` ({@link applyGradients}).
 *
 * @returns mean loss and accuracy over the epoch's samples (each computed before that batch's update,
 *   as PyTorch's running loss), wall-clock seconds, img/s, and `stopped`.
 * @throws NonFiniteLossError when a batch loss is NaN/Inf and `control.stopTraining` is not set (the
 *   update of that batch has been applied).
 * @throws TrainError when the loader yields no batches or a malformed batch, or on bad options.
 */
export async function trainEpoch(model: tfl.LayersModel, loader: BatchSource, optimizer: Optimizer, opts: TrainEpochOptions = {}): Promise<TrainEpochResult> {
  const epoch = opts.epoch ?? 1;
  const log = opts.log ?? console.log;
  const maxBatches = opts.maxBatches ?? Infinity;
  const loss = lossOf('trainEpoch', opts.loss);
  const reduction = loss.reduction;
  // one optimizer step per `accumulateSteps` batches (validates the option; holds no tensor until used)
  const acc = new GradientAccumulator(opts.accumulateSteps ?? 1, reduction);
  if (opts.maxBatches !== undefined && !(Number.isInteger(maxBatches) && maxBatches >= 1)) {
    throw new TrainError(`trainEpoch: maxBatches must be an integer >= 1. Received: maxBatches=${opts.maxBatches}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  const stepOpts: StepOptions = { labelSmoothing: loss.labelSmoothing, reduction, clipNorm: opts.clipNorm, clipValue: opts.clipValue };
  const yieldEvery = resolveYieldEvery('trainEpoch', opts.yieldEvery);
  const lastBatch = Math.min(loader.length ?? Infinity, maxBatches);
  const control = opts.control ?? { stopTraining: false };
  const shouldStop = (): boolean => control.stopTraining;
  const label = opts.epochs ? `Epoch ${epoch}/${opts.epochs}` : `Epoch ${epoch}`;
  const total = Number.isFinite(lastBatch) ? lastBatch : undefined;
  const reporter = createProgress(opts.progress ?? 'auto', { total, log, logEvery: opts.logEvery ?? 100, label });
  let lossSum = 0;
  let correct = 0;
  let samples = 0;
  let batch = 0;
  let stopped = false;
  let lastVars: Record<string, tf.Variable> = {};
  /** Gradients of a step → onGradients → (unless stopped) clip + step. */
  const flush = async (
    grads: Record<string, tf.Tensor>,
    vars: Record<string, tf.Variable>,
    x: tf.Tensor | undefined,
    y: tf.Tensor | undefined,
    loss: number,
  ): Promise<{ stepped: boolean; gradNorm?: number }> => {
    if (opts.onGradients && x && y) await opts.onGradients({ epoch, batch, x, y, loss, grads, vars });
    if (shouldStop()) return { stepped: false };
    const gradNorm = await applyGradients(optimizer, grads, vars, stepOpts);
    return { stepped: true, gradNorm };
  };
  const t0 = now();
  try {
    for await (const b of loader) {
      batch += 1;
      let size = 0;
      let r: { loss: number; correct: number } = { loss: NaN, correct: 0 };
      let res: { stepped: boolean; gradNorm?: number } = { stepped: false };
      const lr = optimizer.lr;
      try {
        size = checkBatch('trainEpoch', b, batch);
        await opts.onBatchBegin?.(batch);
        const g = await computeGradients(model, b.x, b.y, stepOpts);
        r = g;
        lastVars = g.vars;
        if (acc.steps === 1) {
          try {
            res = await flush(g.grads, g.vars, b.x, b.y, g.loss);
          } finally {
            tf.dispose(Object.values(g.grads));
          }
        } else {
          try {
            acc.add(g.grads, size, g.loss);
          } finally {
            tf.dispose(Object.values(g.grads));
          }
          if (acc.full || batch === lastBatch) {
            const groupLoss = acc.meanLoss;
            const mean = acc.take();
            try {
              res = await flush(mean, g.vars, b.x, b.y, groupLoss);
            } finally {
              tf.dispose(Object.values(mean));
            }
          }
        }
      } finally {
        tf.dispose([b?.x, b?.y].filter((t): t is tf.Tensor => t instanceof tf.Tensor));
      }
      lossSum += r.loss * size;
      correct += r.correct;
      samples += size;
      const seconds = now() - t0;
      reporter.update({ batch, total, loss: lossSum / samples, accuracy: correct / samples, imgPerSec: samples / seconds, seconds });
      await opts.onBatchEnd?.({
        epoch,
        batch,
        loss: r.loss,
        correct: r.correct,
        size,
        lr,
        stepped: res.stepped,
        ...(res.gradNorm !== undefined ? { gradNorm: res.gradNorm } : {}),
      });
      if (shouldStop()) {
        stopped = true;
        break;
      }
      if (!Number.isFinite(r.loss)) throw new NonFiniteLossError(epoch, batch, r.loss);
      if (batch >= maxBatches) break;
      await maybeYield(batch, yieldEvery);
    }
    if (!stopped && !acc.empty) {
      // incomplete last accumulation group (loader without `length`)
      const mean = acc.take();
      try {
        if (!shouldStop()) await applyGradients(optimizer, mean, lastVars, stepOpts);
      } finally {
        tf.dispose(Object.values(mean));
      }
    }
  } finally {
    acc.reset();
    reporter.stop();
  }
  if (samples === 0) throw new TrainError(`trainEpoch: the training loader yielded no batches (epoch ${epoch})`, { code: 'ERR_CNN_NO_BATCHES' });
  const seconds = now() - t0;
  return { loss: lossSum / samples, accuracy: correct / samples, seconds, imgPerSec: samples / seconds, samples, stopped, batches: batch };
}

/**
 * Evaluates `model` on `loader` in inference mode (`model.apply(x, {training: false})`: dropout off,
 * batch norm on running statistics), batch by batch, like PyTorch's `model.eval()` + `torch.no_grad()`.
 * {@link EvaluateOptions.forward} replaces the forward pass (e.g. test-time augmentation, or a compiled native
 * graph) and can score several heads in the same pass; the loop (batch checks, asynchronous reads, progress,
 * yielding, disposal of every batch) stays this one.
 *
 * @returns mean cross-entropy over samples (NaN/Inf is returned as is), accuracy, seconds (wall clock of the
 *   loop), img/s, samples, and `heads` when `forward` returns some.
 * @throws TrainError when the loader yields no batches (code `ERR_CNN_NO_BATCHES`) or a malformed batch (code
 *   `ERR_CNN_INVALID_BATCH`), or when `forward` returns no rank-2 logits for the batch (code
 *   `ERR_CNN_SHAPE_MISMATCH`).
 */
export async function evaluate(model: tfl.LayersModel, loader: BatchSource, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
  const yieldEvery = resolveYieldEvery('evaluate', opts.yieldEvery);
  const forward = opts.forward ?? ((x: tf.Tensor4D) => model.apply(x, { training: false }) as tf.Tensor2D);
  const reporter = createProgress(opts.progress ?? 'none', {
    total: loader.length,
    log: opts.log ?? console.log,
    logEvery: opts.logEvery ?? 100,
    label: opts.label ?? 'Eval',
  });
  let lossSum = 0;
  let correct = 0;
  let samples = 0;
  let batch = 0;
  let headNames: string[] | undefined;
  let headSums: { loss: number; correct: number }[] = [];
  const t0 = now();
  try {
    for await (const b of loader) {
      batch += 1;
      let size: number;
      let stats: Float32Array;
      try {
        size = checkBatch('evaluate', b, batch);
        const t = tf.tidy(() => {
          const out = forward(b.x as tf.Tensor4D);
          const isTensor = out instanceof tf.Tensor;
          const all = isTensor ? [out] : [out.logits, ...Object.values(out.heads)];
          const names = isTensor ? [] : Object.keys(out.heads);
          if (headNames === undefined) {
            headNames = names;
            headSums = names.map(() => ({ loss: 0, correct: 0 }));
          } else if (names.join('\0') !== headNames.join('\0')) {
            throw new TrainError(`evaluate: batch ${batch}: forward returned heads [${names}], batch 1 returned [${headNames}]`, {
              code: 'ERR_CNN_SHAPE_MISMATCH',
            });
          }
          for (const [i, l] of all.entries()) {
            if (!(l instanceof tf.Tensor) || l.rank !== 2 || l.shape[0] !== size) {
              const what = i === 0 ? 'logits' : `head '${names[i - 1]}'`;
              throw new TrainError(
                `evaluate: batch ${batch}: forward must return ${what} [${size}, numClasses], got ${l instanceof tf.Tensor ? `[${l.shape}]` : String(l)}`,
                {
                  code: 'ERR_CNN_SHAPE_MISMATCH',
                },
              );
            }
          }
          return tf.stack(all.flatMap((l) => [softmaxCrossEntropy(l, b.y), tf.cast(countCorrect(l, b.y), 'float32')]));
        });
        try {
          stats = (await t.data()) as Float32Array; // asynchronous read (backends without synchronous reads)
        } finally {
          t.dispose();
        }
      } finally {
        tf.dispose([b?.x, b?.y].filter((t): t is tf.Tensor => t instanceof tf.Tensor));
      }
      lossSum += stats[0] * size;
      correct += Math.round(stats[1]);
      headSums.forEach((h, i) => {
        h.loss += stats[2 * i + 2]! * size;
        h.correct += Math.round(stats[2 * i + 3]!);
      });
      samples += size;
      const seconds = now() - t0;
      reporter.update({ batch, total: loader.length, loss: lossSum / samples, accuracy: correct / samples, imgPerSec: samples / seconds, seconds });
      await maybeYield(batch, yieldEvery);
    }
  } finally {
    reporter.stop();
  }
  if (samples === 0) throw new TrainError('evaluate: the loader yielded no batches', { code: 'ERR_CNN_NO_BATCHES' });
  const seconds = now() - t0;
  const result: EvaluateResult = { loss: lossSum / samples, accuracy: correct / samples, seconds, imgPerSec: samples / seconds, samples };
  if (headNames?.length) {
    result.heads = Object.fromEntries(headNames.map((name, i) => [name, { loss: headSums[i]!.loss / samples, accuracy: headSums[i]!.correct / samples }]));
  }
  return result;
}

/** Options of {@link fit}. */
export interface FitOptions {
  /** Training batches, iterated once per epoch. */
  train: BatchSource;
  /**
   * Validation batches (held out from the training data, e.g. with `@cnn/data`'s `randomSplit`), evaluated after
   * every epoch (see {@link FitOptions.evalEvery}) into `val_loss` / `val_accuracy` — the metrics callbacks select
   * on (EarlyStopping, ModelCheckpoint(saveBestOnly), ReduceLROnPlateau). Default: none (no `val_*`).
   */
  validation?: BatchSource;
  /**
   * Test batches, evaluated after every epoch (see {@link FitOptions.evalEvery}) into `test_loss` /
   * `test_accuracy` — for reporting only (the chapter's per-epoch test print); callbacks refuse to select on
   * them. Default: none.
   */
  test?: BatchSource;
  /**
   * Number of epochs, a finite number > 0. An integer trains epochs `1 .. epochs`. A fractional value (e.g.
   * airbench's `9.9`) trains `ceil(steps · epochs)` batches in all (`steps` = the training loader's `length`,
   * which is then required; computed as Python's `ceil(len(loader) * epochs)`): `ceil(epochs)` epochs, the
   * last one stopping early after the remaining batches. That partial epoch is evaluated and recorded like
   * the others, with {@link HistoryEntry.batches} set. `TrainingParams.totalSteps` gives callbacks (schedules)
   * the total.
   */
  epochs: number;
  /** Optimizer, e.g. `new Adam({lr: 1e-3})`. */
  optimizer: Optimizer;
  /** Epochs already done (for resuming); training runs epochs `initialEpoch+1 .. epochs`. Default `0`. */
  initialEpoch?: number;
  /**
   * A checkpoint written by `ModelCheckpoint`: a {@link CheckpointStore}, a tfjs IO URL (`indexeddb://ckpt`,
   * `localstorage://…`, `http(s)://…`), or — in Node, with `@cnn/train/node` imported — a folder path or
   * `file://` URL. Restores weights, optimizer slots, RNG layers, history, the loader epoch and the callbacks'
   * states, then continues after the checkpoint's epoch (overrides `initialEpoch`). The returned history then
   * includes the restored epochs. Default: none.
   */
  resume?: string | CheckpointStore;
  /** With `resume`: start from scratch when there is no checkpoint yet. Default `false` (error). */
  resumeIfMissing?: boolean;
  /** Callbacks (see {@link Callback}), called in order (those with `runsLast` after the others). Default `[]`. */
  callbacks?: Callback[];
  /** Line sink for epoch lines and progress. Default `console.log`. */
  log?: (line: string) => void;
  /** Progress display during training. Default `'auto'`. */
  progress?: ProgressMode;
  /** Batches between progress lines in `'lines'` mode. Default `100`. */
  logEvery?: number;
  /**
   * The training loss: `new CrossEntropyLoss({ labelSmoothing, reduction })` (PyTorch's `CrossEntropyLoss`). History
   * losses stay per-sample means. Default `new CrossEntropyLoss()` (no smoothing, `'mean'`).
   */
  loss?: CrossEntropyLoss;
  /** Clip gradients to this global L2 norm before each update. Default: none. */
  clipNorm?: number;
  /** Clip gradient elements to `[-clipValue, clipValue]`. Default: none. */
  clipValue?: number;
  /** Accumulate gradients over this many batches per optimizer step. Default `1`. */
  accumulateSteps?: number;
  /**
   * Yield to the event loop (`setTimeout(0)`) after every `yieldEvery` batches, so a browser page keeps painting
   * and its timers and input run during training and evaluation; `0` never. An integer >= 0. Default: `1` where
   * `globalThis.window` exists (a browser page), else `0`.
   */
  yieldEvery?: number;

  /**
   * Evaluate on `validation` and `test` after the epochs whose 1-based number is a multiple of `evalEvery` (Keras'
   * `validation_freq`); `0` never evaluates (the caller evaluates the final model itself, e.g. with test-time
   * augmentation). The other epochs record their `val_*` / `test_*` as `NaN` with `evaluated: false` and give
   * callbacks no `val_*` / `test_*` logs (the monitoring callbacks skip those epochs). An integer >= 0. Default `1`.
   */
  evalEvery?: number;
}

/**
 * Formats one history entry in the chapter's style:
 * `Epoch 3/10  train loss 0.0412 acc 98.71%  val loss 0.0350 acc 98.90%  test loss 0.0301 acc 99.02%  lr 1.0e-3  12.3 s  4,870 img/s`
 * (the `val` part when the entry has `val_*`, the `test` part when it has `test_*`; neither for an epoch that
 * was not evaluated, see {@link FitOptions.evalEvery}).
 */
export function formatEpochLine(e: HistoryEntry, epochs: number): string {
  const part = (name: string, loss: number | undefined, acc: number | undefined): string =>
    e.evaluated === false || loss === undefined || acc === undefined ? '' : `${name} loss ${loss.toFixed(4)} acc ${formatPercent(acc)}  `;
  return (
    `Epoch ${e.epoch}/${epochs}  train loss ${e.loss.toFixed(4)} acc ${formatPercent(e.accuracy)}  ` +
    `${part('val', e.val_loss, e.val_accuracy)}${part('test', e.test_loss, e.test_accuracy)}` +
    `lr ${formatLr(e.lr)}  ${formatSeconds(e.seconds)}  ${formatCount(e.imgPerSec)} img/s`
  );
}

/** How {@link fit} splits `epochs` into epochs and batches. */
interface EpochPlan {
  /** Last (1-based) epoch: `ceil(epochs)`. */
  epochs: number;
  /** Batches of the whole run, `ceil(steps · epochs)`, when the loader has a length. */
  totalSteps?: number;
  /** Batches of the last epoch when it is partial (fractional `epochs`). */
  lastEpochBatches?: number;
}

function planEpochs(epochs: number, steps: number | undefined): EpochPlan {
  if (!(typeof epochs === 'number' && Number.isFinite(epochs) && epochs > 0)) {
    throw new TrainError(`fit: epochs must be a finite number > 0 (an integer, or fractional as 9.9). Received: epochs=${epochs}`, {
      code: 'ERR_CNN_INVALID_OPTION',
    });
  }
  const hasLength = typeof steps === 'number' && Number.isInteger(steps) && steps > 0;
  if (Number.isInteger(epochs)) return { epochs, ...(hasLength ? { totalSteps: steps * epochs } : {}) };
  if (!hasLength) {
    throw new TrainError(`fit: a fractional epochs=${epochs} needs a training loader with a length (batches per epoch). Received: length=${String(steps)}`, {
      code: 'ERR_CNN_INVALID_OPTION',
    });
  }
  const last = Math.ceil(epochs);
  const totalSteps = Math.ceil(steps * epochs);
  const lastEpochBatches = Math.max(1, Math.min(steps, totalSteps - (last - 1) * steps));
  return { epochs: last, totalSteps: (last - 1) * steps + lastEpochBatches, lastEpochBatches };
}

function entryLogs(e: HistoryEntry): Logs {
  return {
    loss: e.loss,
    accuracy: e.accuracy,
    ...(e.evaluated === false || e.val_loss === undefined ? {} : { val_loss: e.val_loss, val_accuracy: e.val_accuracy }),
    ...(e.evaluated === false || e.test_loss === undefined ? {} : { test_loss: e.test_loss, test_accuracy: e.test_accuracy }),
    lr: e.lr,
    seconds: e.seconds,
    imgPerSec: e.imgPerSec,
  };
}

/**
 * Trains for `epochs` epochs ({@link trainEpoch}; a fractional `epochs` ends with a partial epoch, see
 * {@link FitOptions.epochs}), evaluating on `validation` (→ `val_loss`, `val_accuracy`) and `test` (→ `test_loss`,
 * `test_accuracy`) after each (or every {@link FitOptions.evalEvery}-th) ({@link evaluate}), logging one {@link formatEpochLine} line per epoch, and driving `callbacks`
 * (Keras' protocol, see {@link Callback}). A callback setting `context.stopTraining` ends the run after
 * the current batch (that epoch is then not evaluated nor recorded) or epoch; `onTrainEnd` runs in
 * every case except an exception.
 *
 * @returns the history, one {@link HistoryEntry} per completed epoch (with `resume`: including the
 *   restored ones).
 * @throws NonFiniteLossError when training diverges (unless a callback stops it first); Error on invalid
 *   options or an unreadable/mismatched `resume` checkpoint (nothing is trained or written then).
 */
export async function fit(model: tfl.LayersModel, opts: FitOptions): Promise<History> {
  const { optimizer } = opts;
  const evalEvery = opts.evalEvery ?? 1;
  const yieldEvery = resolveYieldEvery('fit', opts.yieldEvery);
  if (!(Number.isInteger(evalEvery) && evalEvery >= 0))
    throw new TrainError(`fit: evalEvery must be an integer >= 0. Received: evalEvery=${opts.evalEvery}`, { code: 'ERR_CNN_INVALID_OPTION' });
  let initialEpoch = opts.initialEpoch ?? 0;
  const plan = planEpochs(opts.epochs, opts.train?.length);
  const epochs = plan.epochs;
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs) {
    throw new TrainError(`fit: initialEpoch must be an integer in [0, ${epochs}]. Received: initialEpoch=${initialEpoch}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  if (!optimizer || typeof optimizer.step !== 'function')
    throw new TrainError('fit: optimizer must be an Optimizer (e.g. new Adam())', { code: 'ERR_CNN_INVALID_OPTION' });
  const callbacks = new CallbackList(opts.callbacks ?? []);
  for (const removed of ['labelSmoothing', 'reduction'] as const) {
    if (removed in opts)
      throw new TrainError(`fit: the ${removed} option was removed; pass loss: new CrossEntropyLoss({ ${removed} })`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  const loss = lossOf('fit', opts.loss);
  for (const key of ['validation', 'test'] as const) {
    const src = opts[key];
    const it = src as Partial<Iterable<unknown> & AsyncIterable<unknown>> | null | undefined;
    if (src !== undefined && !(typeof it?.[Symbol.iterator] === 'function' || typeof it?.[Symbol.asyncIterator] === 'function')) {
      throw new TrainError(`fit: ${key} must be a BatchSource (an iterable of {x, y} batches, e.g. a DataLoader). Received: ${String(src)}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    }
  }
  if ('onEpochEnd' in opts)
    throw new TrainError(
      'fit: the onEpochEnd option was removed; pass a callback (new LambdaCallback({onEpochEnd})) and stop with this.context.stopTraining = true',
      { code: 'ERR_CNN_INVALID_OPTION' },
    );
  const log = opts.log ?? console.log;
  const history: History = [];
  const ctx: TrainingContext = {
    model,
    optimizer,
    history,
    callbacks: [...callbacks.callbacks],
    callbackKeys: [...callbacks.keys],
    stopTraining: false,
    epoch: initialEpoch,
    train: opts.train,
    params: { epochs, initialEpoch, steps: opts.train.length, ...(plan.totalSteps !== undefined ? { totalSteps: plan.totalSteps } : {}) },
  };
  const store = opts.resume !== undefined ? checkpointStore(opts.resume) : undefined;
  const resumeState = store !== undefined && (!opts.resumeIfMissing || (await store.exists())) ? await store.load() : undefined;
  if (resumeState) {
    if (resumeState.epoch > epochs)
      throw new TrainError(`fit: the checkpoint in ${opts.resume} is at epoch ${resumeState.epoch}, after epochs=${opts.epochs}`, {
        code: 'ERR_CNN_CHECKPOINT',
      });
    restoreTrainingState(ctx, resumeState, { callbacks: false });
    initialEpoch = resumeState.epoch;
    ctx.params.initialEpoch = initialEpoch;
    log(`Resumed from ${store?.description} after epoch ${initialEpoch}`);
  }
  callbacks.setContext(ctx);
  await callbacks.onTrainBegin({ lr: optimizer.lr });
  if (resumeState) {
    callbacks.setStates(resumeState.callbacks);
    optimizer.lr = resumeState.optimizer.lr;
  }
  const hasGradHook = callbacks.has('onGradients');
  const hasBatchBegin = callbacks.has('onBatchBegin');
  let lastLogs: Logs = {};
  for (let epoch = initialEpoch + 1; epoch <= epochs && !ctx.stopTraining; epoch++) {
    ctx.epoch = epoch;
    const lr = optimizer.lr;
    await callbacks.onEpochBegin(epoch, { lr });
    let seen = 0;
    const tr = await trainEpoch(model, opts.train, optimizer, {
      epoch,
      epochs,
      log,
      progress: opts.progress,
      logEvery: opts.logEvery,
      ...(epoch === epochs && plan.lastEpochBatches !== undefined ? { maxBatches: plan.lastEpochBatches } : {}),
      loss,
      yieldEvery,
      clipNorm: opts.clipNorm,
      clipValue: opts.clipValue,
      accumulateSteps: opts.accumulateSteps,
      control: ctx,
      onBatchBegin: hasBatchBegin ? (batch) => callbacks.onBatchBegin(batch, () => ({ batch, lr: optimizer.lr })) : undefined,
      onGradients: hasGradHook ? (info) => callbacks.onGradients(info) : undefined,
      onBatchEnd: callbacks.length
        ? async (info) => {
            seen += info.size;
            const logs: Logs = {
              batch: info.batch,
              size: info.size,
              loss: info.loss,
              accuracy: info.correct / info.size,
              lr: info.lr,
              stepped: info.stepped ? 1 : 0,
              ...(info.gradNorm !== undefined ? { gradNorm: info.gradNorm } : {}),
            };
            await callbacks.onBatchEnd(info.batch, logs);
          }
        : undefined,
    });
    if (tr.stopped) {
      log(`Training stopped during epoch ${epoch} (after ${seen} samples); the epoch is not recorded`);
      break;
    }
    const evalNow = evalEvery > 0 && epoch % evalEvery === 0;
    const ve = evalNow && opts.validation ? await evaluate(model, opts.validation, { yieldEvery }) : undefined;
    const te = evalNow && opts.test ? await evaluate(model, opts.test, { yieldEvery }) : undefined;
    const entry: HistoryEntry = {
      epoch,
      loss: tr.loss,
      accuracy: tr.accuracy,
      ...(opts.validation ? { val_loss: ve?.loss ?? Number.NaN, val_accuracy: ve?.accuracy ?? Number.NaN } : {}),
      ...(opts.test ? { test_loss: te?.loss ?? Number.NaN, test_accuracy: te?.accuracy ?? Number.NaN } : {}),
      lr,
      seconds: tr.seconds,
      imgPerSec: tr.imgPerSec,
      ...(!evalNow && (opts.validation || opts.test) ? { evaluated: false as const } : {}),
      ...(epoch === epochs && plan.lastEpochBatches !== undefined ? { batches: tr.batches } : {}),
    };
    history.push(entry);
    log(formatEpochLine(entry, epochs));
    lastLogs = entryLogs(entry);
    await callbacks.onEpochEnd(epoch, lastLogs);
  }
  await callbacks.onTrainEnd(lastLogs);
  return history;
}
