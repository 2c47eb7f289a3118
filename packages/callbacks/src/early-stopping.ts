import { readModelWeights, setModelWeights, type Logs, type NamedWeight } from '@cnn/train';
import { MonitorCallback, refuseTestMonitor, type MonitorOptions } from './base.js';
import { CallbackError } from './errors.js';

/** Options of {@link EarlyStopping}; defaults as Keras. */
export interface EarlyStoppingOptions extends MonitorOptions {
  /** Epochs without improvement after which training stops (integer >= 0). Default `0`. */
  patience?: number;
  /** A value the monitor must beat for `wait` to reset (improvements over `best` still count). Default: none. */
  baseline?: number;
  /**
   * Restore the weights (all, including batch-norm statistics) of the best epoch when training ends,
   * whether it ends by patience or by the epoch limit. Default `false`.
   */
  restoreBestWeights?: boolean;
  /** Line sink for the stop / restore messages. Default `console.log`. */
  log?: (line: string) => void;
}

interface EarlyStoppingState {
  wait: number;
  stoppedEpoch: number;
  best: number;
  bestEpoch: number;
  bestWeights: NamedWeight[] | null;
}

/**
 * Stops training when the monitored value has stopped improving, with Keras 3's
 * `keras.callbacks.EarlyStopping` semantics: each epoch `wait += 1`; an improvement over `best` (by
 * more than `minDelta`) records it and resets `wait` (only when it also beats `baseline`, if given);
 * training stops when `wait >= patience`. With `restoreBestWeights`, the best epoch's weights are put
 * back at the end of training however it ends (Keras restores only when stopping early in some
 * versions; we always do, and log the 1-based best epoch).
 *
 * @example `new EarlyStopping({monitor: 'val_loss', patience: 3, restoreBestWeights: true})`
 */
export class EarlyStopping extends MonitorCallback {
  /** Patience in epochs. */
  readonly patience: number;
  /** Baseline, if any. */
  readonly baseline?: number;
  /** Whether best weights are restored at the end. */
  readonly restoreBestWeights: boolean;
  private readonly log: (line: string) => void;
  private s: EarlyStoppingState = EarlyStopping.fresh(Infinity);

  /**
   * @throws CallbackError (code `ERR_CNN_INVALID_OPTION`) on a negative/non-integer `patience` or a non-finite
   *   `baseline` ("Received: …"); (code `ERR_CNN_SELECT_ON_TEST`) for a `test_*` monitor.
   */
  constructor(opts: EarlyStoppingOptions = {}) {
    super('EarlyStopping', opts);
    refuseTestMonitor('EarlyStopping', this.monitor);
    this.patience = opts.patience ?? 0;
    if (!(Number.isInteger(this.patience) && this.patience >= 0))
      throw new CallbackError(`EarlyStopping: patience must be an integer >= 0. Received: patience=${opts.patience}`, { code: 'ERR_CNN_INVALID_OPTION' });
    if (opts.baseline !== undefined && !Number.isFinite(opts.baseline))
      throw new CallbackError(`EarlyStopping: baseline must be a finite number. Received: baseline=${opts.baseline}`, { code: 'ERR_CNN_INVALID_OPTION' });
    this.baseline = opts.baseline;
    this.restoreBestWeights = opts.restoreBestWeights ?? false;
    this.log = opts.log ?? console.log;
    this.s = EarlyStopping.fresh(this.worst());
  }

  private static fresh(best: number): EarlyStoppingState {
    return { wait: 0, stoppedEpoch: 0, best, bestEpoch: 0, bestWeights: null };
  }

  /** Best monitored value so far. */
  get best(): number {
    return this.s.best;
  }

  /** 1-based epoch of the best value (0 before the first epoch). */
  get bestEpoch(): number {
    return this.s.bestEpoch;
  }

  /** 1-based epoch at which training was stopped (0 when not stopped). */
  get stoppedEpoch(): number {
    return this.s.stoppedEpoch;
  }

  /** Epochs since the last improvement. */
  get wait(): number {
    return this.s.wait;
  }

  override onTrainBegin(): void {
    this.s = EarlyStopping.fresh(this.worst());
  }

  /**
   * Keras' epoch-end rule (see the class). Synchronous unless `restoreBestWeights`, which copies the weights with
   * asynchronous reads (`readModelWeights`; backends without synchronous reads work).
   * @throws CallbackError (code `ERR_CNN_MISSING_METRIC`) when the monitored metric is missing from an evaluated
   *   epoch's logs.
   */
  override onEpochEnd(epoch: number, logs: Logs): void | Promise<void> {
    const current = this.monitorValue(logs);
    if (current === undefined) return; // an epoch fit({evalEvery}) did not evaluate
    if (!this.restoreBestWeights) {
      this.record(epoch, current);
      return;
    }
    return (async () => {
      const weights = await readModelWeights(this.context.model); // the weights at the end of this epoch
      if (this.s.bestWeights === null) this.s.bestWeights = weights;
      if (this.record(epoch, current)) this.s.bestWeights = weights;
    })();
  }

  /** One epoch's `wait` / `best` / stop bookkeeping. @returns whether `current` improved on the best. */
  private record(epoch: number, current: number): boolean {
    this.s.wait += 1;
    if (this.isImprovement(current, this.s.best)) {
      this.s.best = current;
      this.s.bestEpoch = epoch;
      if (this.baseline === undefined || this.isImprovement(current, this.baseline)) this.s.wait = 0;
      return true;
    }
    if (this.s.wait >= this.patience) {
      this.s.stoppedEpoch = epoch;
      this.context.stopTraining = true;
    }
    return false;
  }

  override onTrainEnd(): void {
    if (this.s.stoppedEpoch > 0) this.log(`Epoch ${this.s.stoppedEpoch}: early stopping (best ${this.monitor} ${this.s.best} at epoch ${this.s.bestEpoch})`);
    if (this.restoreBestWeights && this.s.bestWeights) {
      this.log(`Restoring model weights from the end of the best epoch: ${this.s.bestEpoch}`);
      setModelWeights(this.context.model, this.s.bestWeights);
    }
  }

  override getState(): EarlyStoppingState {
    return { ...this.s };
  }

  override setState(state: unknown): void {
    const st = state as EarlyStoppingState;
    if (!st || typeof st.wait !== 'number' || typeof st.best !== 'number')
      throw new CallbackError('EarlyStopping.setState: malformed state (needs wait, best, bestEpoch, stoppedEpoch, bestWeights)', {
        code: 'ERR_CNN_BAD_STATE',
      });
    this.s = { ...st };
  }
}
