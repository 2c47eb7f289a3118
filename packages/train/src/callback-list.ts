/**
 * {@link CallbackList}: the callbacks of one `fit` behind one object (Keras' `keras.callbacks.CallbackList`).
 *
 * @packageDocumentation
 */
import { callbackKeys, callbackOrder, type Callback, type GradientsInfo, type Logs, type TrainingContext } from './callback.js';
import { TrainError } from './errors.js';

/**
 * The callbacks of a run in call order (as given, those with `runsLast` after the others — {@link callbackOrder}),
 * with their unique checkpoint keys ({@link callbackKeys}); each hook method calls that hook of every callback
 * that has it, in order, awaiting each (Keras' `CallbackList`, without its batch-timing checks). `fit` drives one.
 *
 * @example
 * ```ts
 * const list = new CallbackList([new EarlyStopping(), new ModelCheckpoint('ckpt')]);
 * list.setContext(ctx);
 * await list.onTrainBegin({ lr: 0.1 });
 * ```
 */
export class CallbackList {
  /** The callbacks in call order. */
  readonly callbacks: readonly Callback[];
  /** Their unique state keys, same order (`Name`, `Name#2`, …). */
  readonly keys: readonly string[];

  /**
   * @param callbacks - The run's callbacks (any order; `runsLast` ones are moved last, stable).
   * @throws TrainError (code `ERR_CNN_INVALID_OPTION`) when `callbacks` is not an array of objects.
   */
  constructor(callbacks: readonly Callback[] = []) {
    if (!Array.isArray(callbacks) || callbacks.some((c) => !c || typeof c !== 'object')) {
      throw new TrainError('fit: callbacks must be an array of Callback objects', { code: 'ERR_CNN_INVALID_OPTION' });
    }
    this.callbacks = callbackOrder(callbacks);
    this.keys = callbackKeys(this.callbacks);
  }

  /** Number of callbacks. */
  get length(): number {
    return this.callbacks.length;
  }

  /** True when some callback has the hook `name` (the loop skips the work of building its arguments otherwise). */
  has(name: 'onBatchBegin' | 'onBatchEnd' | 'onGradients'): boolean {
    return this.callbacks.some((c) => typeof c[name] === 'function');
  }

  /** Gives every callback the run context (`Callback.setContext`). */
  setContext(ctx: TrainingContext): void {
    for (const cb of this.callbacks) cb.setContext?.(ctx);
  }

  /** `onTrainBegin` of every callback. */
  async onTrainBegin(logs: Logs): Promise<void> {
    for (const cb of this.callbacks) await cb.onTrainBegin?.(logs);
  }

  /** `onTrainEnd` of every callback, each with its own copy of `logs`. */
  async onTrainEnd(logs: Logs): Promise<void> {
    for (const cb of this.callbacks) await cb.onTrainEnd?.({ ...logs });
  }

  /** `onEpochBegin` of every callback. */
  async onEpochBegin(epoch: number, logs: Logs): Promise<void> {
    for (const cb of this.callbacks) await cb.onEpochBegin?.(epoch, logs);
  }

  /** `onEpochEnd` of every callback, each with its own copy of `logs`. */
  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    for (const cb of this.callbacks) await cb.onEpochEnd?.(epoch, { ...logs });
  }

  /**
   * `onBatchBegin` of every callback. `logs` may be a function: it is then called for each callback, so each sees
   * values read at its turn (`fit` passes `() => ({ batch, lr: optimizer.lr })`: a rate set by an earlier
   * callback's `onBatchBegin` is what the next one sees).
   */
  async onBatchBegin(batch: number, logs: Logs | (() => Logs)): Promise<void> {
    for (const cb of this.callbacks) await cb.onBatchBegin?.(batch, typeof logs === 'function' ? logs() : logs);
  }

  /** `onBatchEnd` of every callback (the same `logs` object, as before). */
  async onBatchEnd(batch: number, logs: Logs): Promise<void> {
    for (const cb of this.callbacks) await cb.onBatchEnd?.(batch, logs);
  }

  /** `onGradients` of every callback, awaiting each (the gradients are valid until the last one settles). */
  async onGradients(info: GradientsInfo): Promise<void> {
    for (const cb of this.callbacks) await cb.onGradients?.(info);
  }

  /**
   * The plain-data states of the callbacks that have `getState`, keyed by {@link CallbackList.keys} (a state
   * returned as a promise is awaited).
   */
  async getStates(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const [i, cb] of this.callbacks.entries()) {
      if (typeof cb.getState === 'function') out[this.keys[i]] = await cb.getState();
    }
    return out;
  }

  /** Restores the states saved under the callbacks' keys (`setState`; keys without a callback are ignored). */
  setStates(states: Readonly<Record<string, unknown>>): void {
    this.callbacks.forEach((cb, i) => {
      const key = this.keys[i];
      if (typeof cb.setState === 'function' && key in states) cb.setState(states[key]);
    });
  }
}
