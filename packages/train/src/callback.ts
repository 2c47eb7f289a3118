import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { History } from './history.js';
import type { Optimizer } from './optimizers/optimizer.js';
import { TrainError } from './errors.js';

/**
 * Metrics passed to callbacks, with Keras' names — the one metric vocabulary of the toolkit (history, logs,
 * `@cnn/tune`, reports): at epoch end `loss`, `accuracy` (training, 0–1), `val_loss`, `val_accuracy`
 * (evaluation after the epoch), `lr`, plus `seconds` and `imgPerSec`; at batch end `batch`, `size`, `loss`,
 * `accuracy`, `lr`, `stepped` (1 when the optimizer stepped; and `gradNorm` with `clipNorm`).
 */
export type Logs = Record<string, number | undefined>;

/**
 * Former metric names and the ones that replaced them (`acc` → `accuracy`, `val_acc` → `val_accuracy`).
 * `MonitorCallback`s accept the old names with a warning.
 */
export const RENAMED_METRICS: Readonly<Record<string, string>> = { acc: 'accuracy', val_acc: 'val_accuracy' };

/** What `Callback.onGradients` receives, once per optimizer step, before clipping and the update. */
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
  /** All callbacks of the run, in the order they are called ({@link callbackOrder}). */
  callbacks: Callback[];
  /** State keys of `callbacks` (unique), used in checkpoints. */
  callbackKeys: string[];
  /** The one way to stop: set to `true` — after the current batch (the rest of the epoch is skipped) or epoch. */
  stopTraining: boolean;
  /** The current (or last finished) 1-based epoch. */
  epoch: number;
  /** The training batch source (for `epoch` / `setEpoch` of a resumable loader). */
  train: unknown;
}

/** The hooks of a {@link Callback} (all optional); what {@link LambdaCallback} takes. */
export interface CallbackHooks {
  /** Start of `fit` (reset per-run state here so an instance can be reused). */
  onTrainBegin?(logs: Logs): void | Promise<void>;
  /** End of `fit` (however it ended: epoch limit, `stopTraining`). */
  onTrainEnd?(logs: Logs): void | Promise<void>;
  /** Start of an epoch; `logs.lr` is the rate it starts with. */
  onEpochBegin?(epoch: number, logs: Logs): void | Promise<void>;
  /** End of an epoch, after evaluation: `loss`, `accuracy`, `val_loss`, `val_accuracy`, `lr`, `seconds`, `imgPerSec`. */
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
  /** Before a training batch. */
  onBatchBegin?(batch: number, logs: Logs): void | Promise<void>;
  /** After a training batch: `batch`, `size`, `loss`, `accuracy`, `lr`, `stepped` (1 when the optimizer stepped). */
  onBatchEnd?(batch: number, logs: Logs): void | Promise<void>;
  /**
   * Gradients of a step before clipping and the update (awaited; the tensors of `info` are valid until it
   * settles). Setting `context.stopTraining` here skips this update.
   */
  onGradients?(info: GradientsInfo): void | Promise<void>;
}

/**
 * The one callback concept of {@link fit} (Keras' `keras.callbacks.Callback`, camelCase): subclass it and
 * override the hooks you need; every hook is optional and may be async (except `onGradients`). Epoch and
 * batch numbers are 1-based. Order per epoch: `onEpochBegin` → (`onBatchBegin` → `onGradients` →
 * `onBatchEnd`)* → evaluation → `onEpochEnd`. Callbacks run in the order given, except that those with
 * {@link Callback.runsLast} (checkpoints, history files) run after all the others — as PyTorch Lightning
 * moves its checkpoint callbacks last — so they save the state the other callbacks left at the end of the
 * epoch. The one way to stop training: set `this.context.stopTraining = true` (after the current batch — the
 * rest of that epoch is skipped and not recorded — or at epoch end).
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the hooks are optional members typed by the interface below
export abstract class Callback {
  /** Key of this callback's state in checkpoints. Default: the class name (deduplicated `Name#2`). */
  readonly stateKey?: string;
  /** Run this callback's hooks after those of the callbacks without it (checkpoints, loggers). Default `false`. */
  readonly runsLast?: boolean;
  #ctx?: TrainingContext;

  /** Called by `fit` before `onTrainBegin`. */
  setContext(ctx: TrainingContext): void {
    this.#ctx = ctx;
  }

  /**
   * The run context (model, optimizer, params, history, `stopTraining`).
   * @throws TrainError when used outside `fit`.
   */
  get context(): TrainingContext {
    if (!this.#ctx)
      throw new TrainError(`${this.constructor.name}: no training context; pass the callback to fit({callbacks: [...]})`, { code: 'ERR_CNN_INVALID_OPTION' });
    return this.#ctx;
  }

  /** True once `fit` has given this callback a context. */
  get hasContext(): boolean {
    return this.#ctx !== undefined;
  }
}

// The optional hooks, merged into the class type (declaration merging), so subclasses define them without
// `override` and plain `Callback` objects have them typed.
export interface Callback extends CallbackHooks {
  /**
   * Plain-data state for checkpoints (typed arrays allowed), or a promise of it (awaited: read tensors with
   * `await t.data()`, as backends without synchronous reads require); restored with `setState` on resume.
   */
  getState?(): unknown;
  /** Restores `getState()`'s value (called after `onTrainBegin` when resuming). */
  setState?(state: unknown): void;
}

/**
 * A callback from plain functions (Keras' `LambdaCallback`); each hook receives `this` = the callback, so
 * `this.context.stopTraining = true` stops the run.
 *
 * @example `new LambdaCallback({ onEpochEnd: (epoch, logs) => console.log(epoch, logs.val_accuracy) })`
 */
export class LambdaCallback extends Callback {
  /**
   * @param hooks - Any of the {@link CallbackHooks}.
   * @param options - `stateKey` (default `'LambdaCallback'`), `runsLast` (default `false`).
   */
  constructor(hooks: CallbackHooks & ThisType<LambdaCallback>, options: { stateKey?: string; runsLast?: boolean } = {}) {
    super();
    for (const [name, fn] of Object.entries(hooks)) {
      if (typeof fn !== 'function')
        throw new TrainError(`LambdaCallback: hook ${name} must be a function. Received: ${typeof fn}`, { code: 'ERR_CNN_INVALID_OPTION' });
      (this as unknown as Record<string, unknown>)[name] = fn.bind(this);
    }
    Object.defineProperty(this, 'stateKey', { value: options.stateKey ?? 'LambdaCallback' });
    Object.defineProperty(this, 'runsLast', { value: options.runsLast ?? false });
  }
}

/** The order in which {@link fit} calls `callbacks`: as given, then those with `runsLast` (stable). */
export function callbackOrder(callbacks: readonly Callback[]): Callback[] {
  return [...callbacks.filter((c) => !c.runsLast), ...callbacks.filter((c) => c.runsLast)];
}

/** Unique state keys for `callbacks`: `stateKey` or the class name, `#2`, `#3`… for repeats. */
export function callbackKeys(callbacks: readonly Callback[]): string[] {
  const seen = new Map<string, number>();
  return callbacks.map((cb) => {
    const base = cb.stateKey ?? (cb as object).constructor?.name ?? 'Callback';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}
