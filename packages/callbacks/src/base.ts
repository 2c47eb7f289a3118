import { Callback, RENAMED_METRICS, type Logs } from '@cnn/train';
import { CallbackError } from './errors.js';

export { Callback } from '@cnn/train';

/** Direction of improvement of a monitored value. `'auto'`: `'max'` for accuracy-like names, else `'min'`. */
export type MonitorMode = 'min' | 'max' | 'auto';

/** Options shared by the monitoring callbacks. */
export interface MonitorOptions {
  /**
   * Key of the epoch logs to watch: `val_loss` (default), `val_accuracy`, `loss`, `accuracy`, … The former names
   * `val_acc` / `acc` are accepted and mapped to the new ones (with a warning). `val_*` needs `fit({ validation })`;
   * the selecting callbacks refuse `test_*` (`ERR_CNN_SELECT_ON_TEST`).
   */
  monitor?: string;
  /** `'min'`, `'max'` or `'auto'` (default: `'max'` when the name contains `acc` or `auc`, else `'min'`). */
  mode?: MonitorMode;
  /** Smallest change that counts as an improvement (>= 0). Default `0`. */
  minDelta?: number;
}

/**
 * Shared monitoring logic of `EarlyStopping` and `ModelCheckpoint` (as Keras 3's `MonitorCallback`): resolves
 * the mode, reads the monitored value from the logs and decides improvement with `minDelta`, written once.
 * (`@cnn/train`'s `ReduceLROnPlateau`, driven by `LRSchedulerCallback`, keeps PyTorch's own `threshold` /
 * `threshold_mode` rules instead.)
 */
export abstract class MonitorCallback extends Callback {
  /** Monitored log key. */
  readonly monitor: string;
  /** Resolved mode. */
  readonly mode: 'min' | 'max';
  /** Minimum improvement. */
  readonly minDelta: number;

  /** @throws CallbackError (code `ERR_CNN_INVALID_OPTION`) on an empty `monitor`, an unknown `mode` or a negative/non-finite `minDelta` ("Received: …"). */
  protected constructor(name: string, opts: MonitorOptions = {}) {
    super();
    const monitor = opts.monitor ?? 'val_loss';
    if (typeof monitor !== 'string' || monitor === '')
      throw new CallbackError(`${name}: monitor must be a non-empty string. Received: monitor=${String(opts.monitor)}`, { code: 'ERR_CNN_INVALID_OPTION' });
    const renamed = RENAMED_METRICS[monitor];
    if (renamed !== undefined) console.warn(`${name}: monitor '${monitor}' is now called '${renamed}'; using '${renamed}'`);
    this.monitor = renamed ?? monitor;
    const mode = opts.mode ?? 'auto';
    if (mode !== 'min' && mode !== 'max' && mode !== 'auto')
      throw new CallbackError(`${name}: mode must be 'min', 'max' or 'auto'. Received: mode=${String(opts.mode)}`, { code: 'ERR_CNN_INVALID_OPTION' });
    this.mode = mode === 'auto' ? (/acc|auc/i.test(this.monitor) ? 'max' : 'min') : mode;
    this.minDelta = opts.minDelta ?? 0;
    if (!(Number.isFinite(this.minDelta) && this.minDelta >= 0))
      throw new CallbackError(`${name}: minDelta must be a finite number >= 0. Received: minDelta=${opts.minDelta}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }

  /** The worst possible value (`+Infinity` for `'min'`, `-Infinity` for `'max'`). */
  protected worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  /** True when `value` improves on `reference` by more than `minDelta`. NaN never improves. */
  isImprovement(value: number, reference: number): boolean {
    return this.mode === 'min' ? value + this.minDelta < reference : value - this.minDelta > reference;
  }

  /**
   * The monitored value of `logs`, or `undefined` on an epoch `fit({evalEvery})` did not evaluate (the last
   * history entry has `evaluated: false`) when the monitor is a `val_*` / `test_*` metric — the caller then
   * skips the epoch, as Keras does with `validation_freq`.
   * @throws CallbackError (code `ERR_CNN_MISSING_METRIC`) listing the available keys when `monitor` is not in
   *   the logs of an evaluated epoch; for a `val_*` monitor the message says to pass `fit({ validation })`.
   */
  protected monitorValue(logs: Logs): number | undefined {
    const v = logs[this.monitor];
    if (typeof v === 'number') return v;
    const evalMetric = /^(val|test)_/.test(this.monitor);
    if (evalMetric && this.hasContext && this.context.history?.at(-1)?.evaluated === false) return undefined;
    throw missingMetric(this.constructor.name, this.monitor, logs);
  }
}

/**
 * The error of a monitored metric missing from the epoch logs (code `ERR_CNN_MISSING_METRIC`); for `val_*` it
 * says to pass a validation set.
 */
export function missingMetric(name: string, monitor: string, logs: Logs): CallbackError {
  const keys = Object.keys(logs).filter((k) => typeof logs[k] === 'number');
  const hint = monitor.startsWith('val_')
    ? ' — fit computes val_* only from a validation set: pass fit({ validation }) (e.g. randomSplit of the training data from @cnn/data)'
    : '';
  return new CallbackError(`${name}: monitor '${monitor}' is not in the epoch logs${hint}. Available keys: ${keys.join(', ')}`, {
    code: 'ERR_CNN_MISSING_METRIC',
  });
}

/**
 * Refuses to select on a test metric: model selection (early stopping, the best checkpoint, LR on plateau) on
 * the test set makes the reported test accuracy optimistic.
 * @throws CallbackError (code `ERR_CNN_SELECT_ON_TEST`) when `monitor` starts with `test_`.
 */
export function refuseTestMonitor(name: string, monitor: string): void {
  if (monitor.startsWith('test_')) {
    const val = `val_${monitor.slice('test_'.length)}`;
    throw new CallbackError(
      `${name}: refusing to select on the test metric '${monitor}' (it would make the reported test score optimistic); ` +
        `pass a validation set (fit({ validation }), e.g. randomSplit from @cnn/data) and monitor '${val}'`,
      { code: 'ERR_CNN_SELECT_ON_TEST' },
    );
  }
}
