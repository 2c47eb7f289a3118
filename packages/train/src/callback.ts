import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { History } from './history';
import type { Optimizer } from './optimizers/optimizer';

/**
 * Metrics passed to callbacks, Keras-style names: `loss`, `acc`, `val_loss`, `val_acc`, `lr`, plus
 * `seconds` and `imgPerSec` at epoch end; `batch`, `size`, `loss`, `acc`, `lr`, `stepped` (and
 * `gradNorm` with `clipNorm`) at batch end.
 */
export type Logs = Record<string, number | undefined>;

/** What {@link Callback.onGradients} receives, once per optimizer step, before clipping and the update. */
export interface GradientsInfo {
  /** 1-based epoch. */
  epoch: number;
  /** 1-based batch (the last micro-batch of an accumulation group). */
  batch: number;
  /** The last micro-batch's `[batch, height, width, channels]` float32 input (valid during the call only). */
  x: tf.Tensor;
  /** Its `[batch]` int32 labels (valid during the call only). */
  y: tf.Tensor;
  /** Loss of that batch (mean over the accumulation group). */
  loss: number;
  /** Gradients keyed by variable name (`conv1/kernel`), unclipped; valid during the call only. */
  grads: Record<string, tf.Tensor>;
  /** The trainable variables by the same names. */
  vars: Record<string, tf.Variable>;
}

/** Run-wide parameters in {@link TrainingContext.params}. */
export interface TrainingParams {
  /** Last epoch (1-based) of the run (`ceil` of a fractional `fit({epochs})`). */
  epochs: number;
  /** Epochs already done before this call (resumed or `initialEpoch`). */
  initialEpoch: number;
  /** Batches per epoch when the loader knows its `length`. */
  steps?: number;
  /**
   * Training batches of the whole run (from epoch 1, resumed epochs included) when the loader knows its
   * `length`: `steps · epochs`, or `ceil(steps · epochs)` for a fractional `fit({epochs})` — the length of a
   * per-batch schedule (with `accumulateSteps` 1, the optimizer steps).
   */
  totalSteps?: number;
}

/**
 * Shared state of one {@link fit} call, given to every callback with {@link Callback.setContext}
 * (Keras' `callback.model` / `callback.params` / `model.stop_training`).
 */
export interface TrainingContext {
  /** The model being trained. */
  model: tfl.LayersModel;
  /** Its optimizer; callbacks may read and write `optimizer.lr`. */
  optimizer: Optimizer;
  /** Run parameters. */
  params: TrainingParams;
  /** History so far (restored entries first when resuming). */
  history: History;
  /** All callbacks of the run, in order. */
  callbacks: Callback[];
  /** State keys of `callbacks` (unique), used in checkpoints. */
  callbackKeys: string[];
  /** Set to `true` to stop: after the current batch (the rest of the epoch is skipped) or epoch. */
  stopTraining: boolean;
  /** The current (or last finished) 1-based epoch. */
  epoch: number;
  /** The training batch source (for `epoch` / `setEpoch` of a resumable loader). */
  train: unknown;
}

/**
 * The callback protocol of {@link fit} (Keras' `keras.callbacks.Callback`, camelCase). Every hook is
 * optional and may be async (except {@link Callback.onGradients}). Epoch and batch numbers are 1-based.
 * Order per epoch: `onEpochBegin` → (`onBatchBegin` → `onGradients` → `onBatchEnd`)* → evaluation →
 * `onEpochEnd` of every callback → `afterEpoch` of every callback (for whole-state snapshots such as
 * `ModelCheckpoint`, so they see the other callbacks' end-of-epoch state).
 */
export interface Callback {
  /** Key of this callback's state in checkpoints. Default: the class name (deduplicated `Name#2`). */
  readonly stateKey?: string;
  /** Receives the run context before `onTrainBegin`. */
  setContext?(ctx: TrainingContext): void;
  /** Start of `fit` (reset per-run state here so an instance can be reused). */
  onTrainBegin?(logs: Logs): void | Promise<void>;
  /** End of `fit` (however it ended: epoch limit, `stopTraining`). */
  onTrainEnd?(logs: Logs): void | Promise<void>;
  /** Start of an epoch; `logs.lr` is the rate it starts with. */
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  /** End of an epoch, after evaluation: `loss`, `acc`, `val_loss`, `val_acc`, `lr`, `seconds`, `imgPerSec`. */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** After every callback's `onEpochEnd` of this epoch. */
  afterEpoch?(epoch: number, logs: Logs): void | Promise<void>;
  /** Before a training batch. */
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  /** After a training batch: `batch`, `size`, `loss`, `acc`, `lr`, `stepped` (1 when the optimizer stepped). */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  /**
   * Gradients of a step before clipping and the update (synchronous). Setting `ctx.stopTraining` here
   * skips this update.
   */
  onGradients?(info: GradientsInfo): void;
  /** Plain-data state for checkpoints (typed arrays allowed); restored with `setState` on resume. */
  getState?(): unknown;
  /** Restores `getState()`'s value (called after `onTrainBegin` when resuming). */
  setState?(state: unknown): void;
}

/** Unique state keys for `callbacks`: `stateKey` or the class name, `#2`, `#3`… for repeats. */
export function callbackKeys(callbacks: Callback[]): string[] {
  const seen = new Map<string, number>();
  return callbacks.map((cb) => {
    const base = cb.stateKey ?? (cb as object).constructor?.name ?? 'Callback';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}
