/**
 * `ReduceLROnPlateau` (`torch.optim.lr_scheduler.ReduceLROnPlateau`): metric-driven reductions.
 *
 * @packageDocumentation
 */
import type { Optimizer } from '../optimizers/optimizer.js';
import { TrainError } from '../errors.js';
import { checkNonNegative, fail, type SchedulerState } from './base.js';

/** Options of {@link ReduceLROnPlateau}; defaults as PyTorch. */
export interface ReduceLROnPlateauOptions {
  /** `'min'` (default): lower is better; `'max'`: higher is better. */
  mode?: 'min' | 'max';
  /** Multiplier of the rate on reduction, in `(0, 1)`. Default `0.1`. */
  factor?: number;
  /** Bad steps tolerated; the rate drops on the `patience + 1`-th consecutive bad step. Default `10`. */
  patience?: number;
  /** Significance threshold. Default `1e-4`. */
  threshold?: number;
  /** `'rel'` (default): better than `best·(1 ∓ threshold)`; `'abs'`: than `best ∓ threshold`. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting bad steps again. Default `0`. */
  cooldown?: number;
  /** Lower bound of the rate. Default `0`. */
  minLr?: number;
  /** Reductions smaller than this are skipped. Default `1e-8`. */
  eps?: number;
}

/**
 * `torch.optim.lr_scheduler.ReduceLROnPlateau`: multiplies the rate by `factor` when the metric passed
 * to {@link ReduceLROnPlateau.step} has not improved for more than `patience` steps (counted as
 * PyTorch counts: `numBadEpochs > patience`), then waits `cooldown` steps. Reads the optimizer's
 * current rate on reduction, so it composes with other schedulers.
 * @throws TrainError on out-of-range options (`factor >= 1`, negative patience, …).
 */
export class ReduceLROnPlateau {
  readonly type = 'ReduceLROnPlateau';
  /** The optimizer whose `lr` is reduced. */
  readonly optimizer: Optimizer;
  /** Mode. */
  readonly mode: 'min' | 'max';
  /** Reduction factor. */
  readonly factor: number;
  /** Patience. */
  readonly patience: number;
  /** Threshold. */
  readonly threshold: number;
  /** Threshold mode. */
  readonly thresholdMode: 'rel' | 'abs';
  /** Cooldown steps. */
  readonly cooldown: number;
  /** Minimum rate. */
  readonly minLr: number;
  /** Minimal reduction. */
  readonly eps: number;
  /** Best metric so far. */
  best: number;
  /** Consecutive non-improving steps. */
  numBadEpochs = 0;
  /** Remaining cooldown steps. */
  cooldownCounter = 0;
  /** Steps so far. */
  lastEpoch = 0;

  constructor(optimizer: Optimizer, opts: ReduceLROnPlateauOptions = {}) {
    const C = 'ReduceLROnPlateau';
    if (!optimizer || typeof optimizer.step !== 'function') fail(C, 'optimizer must be an Optimizer');
    this.optimizer = optimizer;
    this.mode = opts.mode ?? 'min';
    if (this.mode !== 'min' && this.mode !== 'max') fail(C, `mode must be 'min' or 'max'. Received: mode=${String(opts.mode)}`);
    this.factor = opts.factor ?? 0.1;
    if (!(this.factor > 0 && this.factor < 1)) fail(C, `factor must be in (0, 1). Received: factor=${opts.factor}`);
    this.patience = opts.patience ?? 10;
    if (!(Number.isInteger(this.patience) && this.patience >= 0)) fail(C, `patience must be an integer >= 0. Received: patience=${opts.patience}`);
    this.threshold = checkNonNegative(C, 'threshold', opts.threshold ?? 1e-4);
    this.thresholdMode = opts.thresholdMode ?? 'rel';
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      fail(C, `thresholdMode must be 'rel' or 'abs'. Received: thresholdMode=${String(opts.thresholdMode)}`);
    }
    this.cooldown = opts.cooldown ?? 0;
    if (!(Number.isInteger(this.cooldown) && this.cooldown >= 0)) fail(C, `cooldown must be an integer >= 0. Received: cooldown=${opts.cooldown}`);
    this.minLr = checkNonNegative(C, 'minLr', opts.minLr ?? 0);
    this.eps = checkNonNegative(C, 'eps', opts.eps ?? 1e-8);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** The current rate of the optimizer. */
  get lastLr(): number {
    return this.optimizer.lr;
  }

  /** True when `a` is significantly better than `best` (PyTorch's `is_better`). */
  isBetter(a: number, best: number): boolean {
    const { threshold: th } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? a < best * (1 - th) : a < best - th;
    return this.thresholdMode === 'rel' ? a > best * (th + 1) : a > best + th;
  }

  /**
   * Records `metric` for one step and reduces the rate when it has plateaued.
   * @returns the rate after this step.
   * @throws TrainError when `metric` is not a number (NaN counts as a bad step, as in PyTorch).
   */
  step(metric: number): number {
    if (typeof metric !== 'number') fail('ReduceLROnPlateau', `step: metric must be a number. Received: ${String(metric)}`);
    this.lastEpoch += 1;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      const old = this.optimizer.lr;
      const next = Math.max(old * this.factor, this.minLr);
      if (old - next > this.eps) this.optimizer.lr = next;
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    return this.optimizer.lr;
  }

  /** The state as plain JSON (`best` may be ±Infinity; stored as a string then). */
  getState(): SchedulerState {
    return {
      type: this.type,
      lastEpoch: this.lastEpoch,
      lastLr: this.optimizer.lr,
      baseLr: this.optimizer.lr,
      extra: { best: Number.isFinite(this.best) ? this.best : String(this.best), numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter },
    };
  }

  /** Restores {@link ReduceLROnPlateau.getState}. @throws TrainError on a state of another type. */
  setState(state: SchedulerState): void {
    if (!state || state.type !== this.type || !state.extra)
      throw new TrainError(`ReduceLROnPlateau.setState: state is for '${state?.type}', expected 'ReduceLROnPlateau'`, { code: 'ERR_CNN_BAD_STATE' });
    const e = state.extra as { best: number | string; numBadEpochs: number; cooldownCounter: number };
    this.best = typeof e.best === 'string' ? Number(e.best) : e.best;
    this.numBadEpochs = e.numBadEpochs;
    this.cooldownCounter = e.cooldownCounter;
    this.lastEpoch = state.lastEpoch;
    this.optimizer.lr = state.lastLr;
  }
}
