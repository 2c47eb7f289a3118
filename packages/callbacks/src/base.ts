import { Callback, RENAMED_METRICS, type Logs } from '@cnn/train';

export { Callback } from '@cnn/train';

/** Direction of improvement of a monitored value. `'auto'`: `'max'` for accuracy-like names, else `'min'`. */
export type MonitorMode = 'min' | 'max' | 'auto';

/** Options shared by the monitoring callbacks. */
export interface MonitorOptions {
  /**
   * Key of the epoch logs to watch: `val_loss` (default), `val_accuracy`, `loss`, `accuracy`, … The former names
   * `val_acc` / `acc` are accepted and mapped to the new ones (with a warning).
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

  /** @throws Error on an unknown `mode` or a negative/non-finite `minDelta` ("Received: …"). */
  protected constructor(name: string, opts: MonitorOptions = {}) {
    super();
    const monitor = opts.monitor ?? 'val_loss';
    if (typeof monitor !== 'string' || monitor === '')
      throw new Error(`${name}: monitor must be a non-empty string. Received: monitor=${String(opts.monitor)}`);
    const renamed = RENAMED_METRICS[monitor];
    if (renamed !== undefined) console.warn(`${name}: monitor '${monitor}' is now called '${renamed}'; using '${renamed}'`);
    this.monitor = renamed ?? monitor;
    const mode = opts.mode ?? 'auto';
    if (mode !== 'min' && mode !== 'max' && mode !== 'auto')
      throw new Error(`${name}: mode must be 'min', 'max' or 'auto'. Received: mode=${String(opts.mode)}`);
    this.mode = mode === 'auto' ? (/acc|auc/i.test(this.monitor) ? 'max' : 'min') : mode;
    this.minDelta = opts.minDelta ?? 0;
    if (!(Number.isFinite(this.minDelta) && this.minDelta >= 0))
      throw new Error(`${name}: minDelta must be a finite number >= 0. Received: minDelta=${opts.minDelta}`);
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
   * The monitored value of `logs`.
   * @throws Error listing the available keys when `monitor` is not among them.
   */
  protected monitorValue(logs: Logs): number {
    const v = logs[this.monitor];
    if (typeof v !== 'number') {
      const keys = Object.keys(logs).filter((k) => typeof logs[k] === 'number');
      throw new Error(`${this.constructor.name}: monitor '${this.monitor}' is not in the logs. Available keys: ${keys.join(', ')}`);
    }
    return v;
  }
}
