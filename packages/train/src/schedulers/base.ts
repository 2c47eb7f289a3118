/**
 * The scheduler protocol: {@link LRScheduler} (the base of the step-indexed schedulers), its checkpoint state and
 * the option checks the schedulers share.
 *
 * @packageDocumentation
 */
import type { Optimizer } from '../optimizers/optimizer.js';
import { TrainError } from '../errors.js';

/** Serializable scheduler state (plain JSON) for checkpoints. */
export interface SchedulerState {
  /** Scheduler class, e.g. `'MultiStepLR'`. */
  type: string;
  /** Number of `step()` calls so far (PyTorch's `last_epoch`). */
  lastEpoch: number;
  /** Rate after the last step (PyTorch's `get_last_lr()[0]`). */
  lastLr: number;
  /**
   * The rate the schedule is computed from (PyTorch's `initial_lr`): the optimizer's rate when the scheduler was
   * created unless the constructor was given one, and reset by `SequentialLR` when it hands over to this scheduler.
   */
  baseLr: number;
  /** Scheduler-specific fields (e.g. `T_cur` of warm restarts, the inner state of a warmup). */
  extra?: Record<string, unknown>;
}

export function fail(cls: string, msg: string): never {
  throw new TrainError(`${cls}: ${msg}`, { code: 'ERR_CNN_INVALID_OPTION' });
}

export function checkPositive(cls: string, name: string, v: number | undefined): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) fail(cls, `${name} must be a finite number > 0. Received: ${name}=${v}`);
  return v;
}

export function checkPositiveInt(cls: string, name: string, v: number | undefined): number {
  if (!(Number.isInteger(v) && (v as number) > 0)) fail(cls, `${name} must be an integer > 0. Received: ${name}=${v}`);
  return v as number;
}

export function checkNonNegative(cls: string, name: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 0)) fail(cls, `${name} must be a finite number >= 0. Received: ${name}=${v}`);
  return v;
}

/**
 * Base class of the epoch/step-indexed schedulers. Subclasses implement {@link LRScheduler.computeLr}
 * (PyTorch's `get_lr`) and call `this.start()` at the end of their constructor.
 */
export abstract class LRScheduler {
  /** Class name stored in {@link SchedulerState.type}. */
  abstract readonly type: string;
  /** The optimizer whose `lr` this scheduler writes. */
  readonly optimizer: Optimizer;
  private baseLr_: number;
  private lastEpoch_ = 0;
  private lr_: number;

  /**
   * @param baseLr the rate of step 0's computation (PyTorch's `initial_lr`). Default: `optimizer.lr` now.
   */
  protected constructor(optimizer: Optimizer, baseLr?: number) {
    if (!optimizer || typeof optimizer.step !== 'function')
      throw new TrainError('LRScheduler: optimizer must be an Optimizer (e.g. new SGD({lr: 0.1}))', { code: 'ERR_CNN_INVALID_OPTION' });
    this.optimizer = optimizer;
    this.baseLr_ = baseLr ?? optimizer.lr;
    this.lr_ = this.baseLr_;
  }

  /** Computes and applies the rate of step 0 (PyTorch's constructor `step()`). */
  protected start(): void {
    this.lastEpoch_ = 0;
    this.lr_ = this.computeLr(0, this.baseLr_);
    this.optimizer.lr = this.lr_;
  }

  /** The optimizer's rate when the scheduler was created (PyTorch's `initial_lr` / `base_lrs[0]`). */
  get baseLr(): number {
    return this.baseLr_;
  }

  /** Number of {@link LRScheduler.step} calls made (PyTorch's `last_epoch`). */
  get lastEpoch(): number {
    return this.lastEpoch_;
  }

  /** The rate this scheduler computed last (PyTorch's `get_last_lr()[0]`). */
  get lastLr(): number {
    return this.lr_;
  }

  /**
   * The rate for step `t` given the previous rate `prevLr` (the chainable form PyTorch uses).
   * @param t the new `lastEpoch`, `>= 0`.
   */
  protected abstract computeLr(t: number, prevLr: number): number;

  /**
   * PyTorch's `_get_closed_form_lr()`: the rate at step `t` from `baseLr` alone, for the schedulers that have
   * one (StepLR, MultiStepLR, ExponentialLR, LinearLR, CosineAnnealingLR); `undefined` for the others. Used
   * when {@link SequentialLR} restarts a scheduler at its milestone (PyTorch's `scheduler.step(0)`).
   */
  protected closedFormLr(_t: number): number | undefined {
    return undefined;
  }

  /**
   * {@link SequentialLR} at a milestone (public for it): PyTorch's `step(0)` — `lastEpoch ← 0` and the closed-form rate of
   * step 0 ({@link LRScheduler.closedFormLr}), or without one `get_lr()` from the optimizer's current rate;
   * written to `optimizer.lr`. @returns the new rate.
   */
  restart(): number {
    this.lastEpoch_ = 0;
    this.lr_ = this.closedFormLr(0) ?? this.computeLr(0, this.optimizer.lr);
    this.optimizer.lr = this.lr_;
    return this.lr_;
  }

  /**
   * Forgets the steps taken: `lastEpoch ← 0` and `baseLr` (PyTorch's `initial_lr`) and the running rate become
   * `baseLr`; `optimizer.lr` is not written. {@link SequentialLR} rebases its children on its own base rate when it
   * starts (PyTorch's SequentialLR resets every child's `initial_lr` and `last_epoch`).
   */
  rebase(baseLr: number): void {
    this.baseLr_ = baseLr;
    this.lastEpoch_ = 0;
    this.lr_ = baseLr;
  }

  /**
   * PyTorch's `_initial_step()`: computes and applies the rate of step 0 from `baseLr` (what the constructor does).
   * @returns the new rate.
   */
  initialStep(): number {
    this.start();
    return this.lr_;
  }

  /** Advances one step and writes the new rate to `optimizer.lr`. @returns the new rate. */
  step(): number {
    this.lastEpoch_ += 1;
    this.lr_ = this.computeLr(this.lastEpoch_, this.lr_);
    this.optimizer.lr = this.lr_;
    return this.lr_;
  }

  /** Scheduler-specific state, merged into {@link SchedulerState.extra}. */
  protected getExtraState(): Record<string, unknown> | undefined {
    return undefined;
  }

  /** Restores {@link LRScheduler.getExtraState}'s fields. */
  protected setExtraState(_extra: Record<string, unknown> | undefined): void {}

  /** The state as plain JSON. */
  getState(): SchedulerState {
    const extra = this.getExtraState();
    return { type: this.type, lastEpoch: this.lastEpoch_, lastLr: this.lr_, baseLr: this.baseLr_, ...(extra ? { extra } : {}) };
  }

  /**
   * Restores a state from {@link LRScheduler.getState} and writes `lastLr` to `optimizer.lr`.
   * @throws TrainError when the state is for another scheduler type or malformed.
   */
  setState(state: SchedulerState): void {
    if (!state || state.type !== this.type)
      throw new TrainError(`${this.type}.setState: state is for '${state?.type}', expected '${this.type}'`, { code: 'ERR_CNN_BAD_STATE' });
    if (!Number.isInteger(state.lastEpoch) || state.lastEpoch < 0) {
      throw new TrainError(`${this.type}.setState: lastEpoch must be an integer >= 0. Received: lastEpoch=${state.lastEpoch}`, { code: 'ERR_CNN_BAD_STATE' });
    }
    if (!(Number.isFinite(state.lastLr) && state.lastLr >= 0) || !(Number.isFinite(state.baseLr) && state.baseLr >= 0)) {
      throw new TrainError(`${this.type}.setState: lastLr and baseLr must be finite numbers >= 0`, { code: 'ERR_CNN_BAD_STATE' });
    }
    this.setExtraState(state.extra);
    this.lastEpoch_ = state.lastEpoch;
    this.lr_ = state.lastLr;
    this.baseLr_ = state.baseLr;
    this.optimizer.lr = this.lr_;
  }
}
