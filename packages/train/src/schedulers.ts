import type { Optimizer } from './optimizers/optimizer';
import { TrainError } from './errors';

/**
 * Learning-rate schedulers with the semantics and names of `torch.optim.lr_scheduler` (PyTorch 1.13).
 *
 * Protocol (as PyTorch): constructing a scheduler sets `optimizer.lr` to the value for step 0; every
 * {@link LRScheduler.step} advances `lastEpoch` by one and writes the new rate to `optimizer.lr`. Step
 * once per epoch (after the epoch) or once per batch (after `optimizer.step()`); the callbacks wrapper
 * in `@cnn/callbacks` does either. Each scheduler keeps its own running rate (PyTorch's chainable
 * `group['lr']`), so a {@link LinearWarmup} around it composes multiplicatively like
 * `torch.optim.lr_scheduler.ChainedScheduler([LinearLR(...), inner])`.
 *
 * @packageDocumentation
 */

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

/**
 * Module-private access {@link SequentialLR} needs to its children (PyTorch's SequentialLR sets their
 * `last_epoch` and calls `_initial_step()` / `step(0)`); assigned in {@link LRScheduler}'s static block.
 */
let childAccess: {
  /** Forget the current step; `baseLr` becomes PyTorch's `initial_lr`. */
  rebase(s: LRScheduler, baseLr: number): void;
  /** PyTorch's `_initial_step()`: apply step 0. @returns the rate. */
  initialStep(s: LRScheduler): number;
  /** PyTorch's `step(0)` at a milestone. @returns the rate. */
  restart(s: LRScheduler): number;
};

function fail(cls: string, msg: string): never {
  throw new TrainError(`${cls}: ${msg}`);
}

function checkPositive(cls: string, name: string, v: number | undefined): number {
  if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) fail(cls, `${name} must be a finite number > 0. Received: ${name}=${v}`);
  return v;
}

function checkPositiveInt(cls: string, name: string, v: number | undefined): number {
  if (!(Number.isInteger(v) && (v as number) > 0)) fail(cls, `${name} must be an integer > 0. Received: ${name}=${v}`);
  return v as number;
}

function checkNonNegative(cls: string, name: string, v: number): number {
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
    if (!optimizer || typeof optimizer.step !== 'function') throw new TrainError('LRScheduler: optimizer must be an Optimizer (e.g. new SGD({lr: 0.1}))');
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
   * {@link SequentialLR} at a milestone: PyTorch's `step(0)` — `lastEpoch ← 0` and the closed-form rate of
   * step 0 ({@link LRScheduler.closedFormLr}), or without one `get_lr()` from the optimizer's current rate;
   * written to `optimizer.lr`. @returns the new rate.
   */
  protected restart(): number {
    this.lastEpoch_ = 0;
    this.lr_ = this.closedFormLr(0) ?? this.computeLr(0, this.optimizer.lr);
    this.optimizer.lr = this.lr_;
    return this.lr_;
  }

  static {
    childAccess = {
      rebase(s, baseLr) {
        s.baseLr_ = baseLr;
        s.lastEpoch_ = 0;
        s.lr_ = baseLr;
      },
      initialStep(s) {
        s.start();
        return s.lr_;
      },
      restart: (s) => s.restart(),
    };
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
   * @throws Error when the state is for another scheduler type or malformed.
   */
  setState(state: SchedulerState): void {
    if (!state || state.type !== this.type) throw new TrainError(`${this.type}.setState: state is for '${state?.type}', expected '${this.type}'`);
    if (!Number.isInteger(state.lastEpoch) || state.lastEpoch < 0) {
      throw new TrainError(`${this.type}.setState: lastEpoch must be an integer >= 0. Received: lastEpoch=${state.lastEpoch}`);
    }
    if (!(Number.isFinite(state.lastLr) && state.lastLr >= 0) || !(Number.isFinite(state.baseLr) && state.baseLr >= 0)) {
      throw new TrainError(`${this.type}.setState: lastLr and baseLr must be finite numbers >= 0`);
    }
    this.setExtraState(state.extra);
    this.lastEpoch_ = state.lastEpoch;
    this.lr_ = state.lastLr;
    this.baseLr_ = state.baseLr;
    this.optimizer.lr = this.lr_;
  }
}

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Period of decay in steps (integer > 0). */
  stepSize: number;
  /** Multiplicative factor (> 0). Default `0.1`. */
  gamma?: number;
}

/**
 * `torch.optim.lr_scheduler.StepLR`: `lr_t = baseLr · gamma^⌊t / stepSize⌋`.
 * @throws Error when `stepSize` is not a positive integer or `gamma <= 0` ("Received: gamma=…").
 */
export class StepLR extends LRScheduler {
  readonly type = 'StepLR';
  /** Decay period. */
  readonly stepSize: number;
  /** Decay factor. */
  readonly gamma: number;

  constructor(optimizer: Optimizer, opts: StepLROptions) {
    super(optimizer);
    this.stepSize = checkPositiveInt('StepLR', 'stepSize', opts?.stepSize);
    this.gamma = checkPositive('StepLR', 'gamma', opts.gamma ?? 0.1);
    this.start();
  }

  protected computeLr(t: number, prev: number): number {
    return t === 0 || t % this.stepSize !== 0 ? prev : prev * this.gamma;
  }

  protected override closedFormLr(t: number): number {
    return this.baseLr * this.gamma ** Math.floor(t / this.stepSize);
  }
}

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** Strictly increasing positive integer steps at which the rate is multiplied by `gamma`. */
  milestones: number[];
  /** Multiplicative factor (> 0). Default `0.1`. */
  gamma?: number;
}

/**
 * `torch.optim.lr_scheduler.MultiStepLR`: `lr_t = baseLr · gamma^(number of milestones <= t)`.
 * @throws Error when milestones are not strictly increasing positive integers, or `gamma <= 0`.
 */
export class MultiStepLR extends LRScheduler {
  readonly type = 'MultiStepLR';
  /** Milestones (sorted). */
  readonly milestones: readonly number[];
  /** Decay factor. */
  readonly gamma: number;

  constructor(optimizer: Optimizer, opts: MultiStepLROptions) {
    super(optimizer);
    const ms = opts?.milestones;
    if (!Array.isArray(ms) || ms.length === 0 || !ms.every((m, i) => Number.isInteger(m) && m > 0 && (i === 0 || m > ms[i - 1]))) {
      fail('MultiStepLR', `milestones must be a non-empty, strictly increasing list of positive integers. Received: milestones=${JSON.stringify(ms)}`);
    }
    this.milestones = [...ms];
    this.gamma = checkPositive('MultiStepLR', 'gamma', opts.gamma ?? 0.1);
    this.start();
  }

  protected computeLr(t: number, prev: number): number {
    return this.milestones.includes(t) ? prev * this.gamma : prev;
  }

  protected override closedFormLr(t: number): number {
    return this.baseLr * this.gamma ** this.milestones.filter((m) => m <= t).length;
  }
}

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Multiplicative factor per step (> 0). */
  gamma: number;
}

/** `torch.optim.lr_scheduler.ExponentialLR`: `lr_t = baseLr · gamma^t`. @throws Error when `gamma <= 0`. */
export class ExponentialLR extends LRScheduler {
  readonly type = 'ExponentialLR';
  /** Decay factor. */
  readonly gamma: number;

  constructor(optimizer: Optimizer, opts: ExponentialLROptions) {
    super(optimizer);
    this.gamma = checkPositive('ExponentialLR', 'gamma', opts?.gamma);
    this.start();
  }

  protected computeLr(t: number, prev: number): number {
    return t === 0 ? prev : prev * this.gamma;
  }

  protected override closedFormLr(t: number): number {
    return this.baseLr * this.gamma ** t;
  }
}

/** Options of {@link LinearLR}. */
export interface LinearLROptions {
  /** Factor at step 0, in `(0, 1]`. Default `1/3`. */
  startFactor?: number;
  /** Factor from step `totalIters` on, in `[0, 1]`. Default `1`. */
  endFactor?: number;
  /** Steps of the linear ramp (integer > 0). Default `5`. */
  totalIters?: number;
}

/**
 * `torch.optim.lr_scheduler.LinearLR`: the factor goes linearly from `startFactor` to `endFactor` over
 * `totalIters` steps, `lr_t = baseLr · (s + (e - s)·min(t, T)/T)`.
 * @throws Error when a factor is out of range or `totalIters` is not a positive integer.
 */
export class LinearLR extends LRScheduler {
  readonly type = 'LinearLR';
  /** Start factor. */
  readonly startFactor: number;
  /** End factor. */
  readonly endFactor: number;
  /** Ramp length. */
  readonly totalIters: number;

  constructor(optimizer: Optimizer, opts: LinearLROptions = {}) {
    super(optimizer);
    this.startFactor = opts.startFactor ?? 1 / 3;
    this.endFactor = opts.endFactor ?? 1;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) fail('LinearLR', `startFactor must be in (0, 1]. Received: startFactor=${opts.startFactor}`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) fail('LinearLR', `endFactor must be in [0, 1]. Received: endFactor=${opts.endFactor}`);
    this.totalIters = checkPositiveInt('LinearLR', 'totalIters', opts.totalIters ?? 5);
    this.start();
  }

  protected computeLr(t: number, prev: number): number {
    const { startFactor: s, endFactor: e, totalIters: n } = this;
    if (t === 0) return prev * s;
    if (t > n) return prev;
    return prev * (1 + (e - s) / (n * s + (t - 1) * (e - s)));
  }

  protected override closedFormLr(t: number): number {
    return this.baseLr * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(this.totalIters, t)) / this.totalIters);
  }
}

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Half period in steps (integer > 0). */
  tMax: number;
  /** Minimum rate (>= 0). Default `0`. */
  etaMin?: number;
}

/**
 * `torch.optim.lr_scheduler.CosineAnnealingLR` (SGDR without restarts, Loshchilov & Hutter 2017):
 * `lr_t = etaMin + (baseLr - etaMin)·(1 + cos(π t / tMax))/2`, computed with PyTorch's recursive form
 * (so past `tMax` the rate rises again, as PyTorch's does).
 * @throws Error when `tMax` is not a positive integer or `etaMin < 0`.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly type = 'CosineAnnealingLR';
  /** Half period. */
  readonly tMax: number;
  /** Minimum rate. */
  readonly etaMin: number;

  constructor(optimizer: Optimizer, opts: CosineAnnealingLROptions) {
    super(optimizer);
    this.tMax = checkPositiveInt('CosineAnnealingLR', 'tMax', opts?.tMax);
    this.etaMin = checkNonNegative('CosineAnnealingLR', 'etaMin', opts.etaMin ?? 0);
    this.start();
  }

  protected computeLr(t: number, prev: number): number {
    const { tMax: T, etaMin } = this;
    if (t === 0) return prev;
    const r = (((t - 1 - T) % (2 * T)) + 2 * T) % (2 * T);
    if (r === 0) return prev + ((this.baseLr - etaMin) * (1 - Math.cos(Math.PI / T))) / 2;
    return ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (prev - etaMin) + etaMin;
  }

  protected override closedFormLr(t: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

/** Options of {@link CosineAnnealingWarmRestarts}. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Steps until the first restart (integer > 0). */
  t0: number;
  /** Period multiplier after each restart (integer >= 1). Default `1`. */
  tMult?: number;
  /** Minimum rate (>= 0). Default `0`. */
  etaMin?: number;
}

/**
 * `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts` (SGDR, Loshchilov & Hutter 2017):
 * `lr = etaMin + (baseLr - etaMin)·(1 + cos(π T_cur / T_i))/2`, with `T_cur` reset to 0 and
 * `T_i ← T_i · tMult` at each restart. {@link CosineAnnealingWarmRestarts.step} also accepts a
 * fractional epoch (PyTorch's `step(epoch + i / iters)` for per-batch use).
 * @throws Error when `t0` is not a positive integer, `tMult` not an integer >= 1, or `etaMin < 0`.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly type = 'CosineAnnealingWarmRestarts';
  /** First period. */
  readonly t0: number;
  /** Period multiplier. */
  readonly tMult: number;
  /** Minimum rate. */
  readonly etaMin: number;
  private tI: number;
  private tCur = 0;

  constructor(optimizer: Optimizer, opts: CosineAnnealingWarmRestartsOptions) {
    super(optimizer);
    this.t0 = checkPositiveInt('CosineAnnealingWarmRestarts', 't0', opts?.t0);
    const tMult = opts.tMult ?? 1;
    if (!(Number.isInteger(tMult) && tMult >= 1)) fail('CosineAnnealingWarmRestarts', `tMult must be an integer >= 1. Received: tMult=${opts.tMult}`);
    this.tMult = tMult;
    this.etaMin = checkNonNegative('CosineAnnealingWarmRestarts', 'etaMin', opts.etaMin ?? 0);
    this.tI = this.t0;
    this.start();
  }

  protected computeLr(): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2;
  }

  /**
   * Advances one step, or jumps to the (possibly fractional) `epoch` as PyTorch's `step(epoch)`.
   * @throws Error when `epoch < 0`.
   */
  override step(epoch?: number): number {
    if (epoch === undefined) {
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
      return super.step();
    }
    if (!(Number.isFinite(epoch) && epoch >= 0)) fail('CosineAnnealingWarmRestarts', `epoch must be a finite number >= 0. Received: epoch=${epoch}`);
    if (epoch >= this.t0) {
      if (this.tMult === 1) {
        this.tCur = epoch % this.t0;
      } else {
        const n = Math.floor(Math.log((epoch / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult));
        this.tCur = epoch - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
        this.tI = this.t0 * this.tMult ** n;
      }
    } else {
      this.tI = this.t0;
      this.tCur = epoch;
    }
    const lr = this.computeLr();
    this.setState({ ...this.getState(), lastEpoch: Math.floor(epoch), lastLr: lr });
    return lr;
  }

  /** {@link SequentialLR} at a milestone: PyTorch calls this scheduler's own `step(0)` (restart of the first cycle). */
  protected override restart(): number {
    return this.step(0);
  }

  protected override getExtraState(): Record<string, unknown> {
    return { tI: this.tI, tCur: this.tCur };
  }

  protected override setExtraState(extra: Record<string, unknown> | undefined): void {
    if (!extra || typeof extra.tI !== 'number' || typeof extra.tCur !== 'number') {
      throw new TrainError('CosineAnnealingWarmRestarts.setState: extra.tI and extra.tCur must be numbers');
    }
    this.tI = extra.tI;
    this.tCur = extra.tCur;
  }
}

/** Options of {@link OneCycleLR}. Give `totalSteps`, or `epochs` and `stepsPerEpoch`. */
export interface OneCycleLROptions {
  /** Peak rate (> 0). */
  maxLr: number;
  /** Total number of steps in the cycle. */
  totalSteps?: number;
  /** Epochs (with `stepsPerEpoch`, when `totalSteps` is not given). */
  epochs?: number;
  /** Steps per epoch. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the rate, in `(0, 1)`. Default `0.3`. */
  pctStart?: number;
  /** `'cos'` (default) or `'linear'` annealing. */
  annealStrategy?: 'cos' | 'linear';
  /** Initial rate is `maxLr / divFactor`. Default `25`. */
  divFactor?: number;
  /** Final rate is `initialLr / finalDivFactor`. Default `1e4`. */
  finalDivFactor?: number;
  /** Three phases (up, back down to the initial rate, then annihilation) as fastai. Default `false`. */
  threePhase?: boolean;
}

/**
 * `torch.optim.lr_scheduler.OneCycleLR` (Smith & Topin, "Super-Convergence", 2018), the learning-rate
 * part (momentum is not cycled). Meant to be stepped once per batch. Phases (two-phase): `initialLr →
 * maxLr` over steps `[0, pctStart·T - 1]`, then `maxLr → minLr` until `T - 1`; with `threePhase`:
 * up, down to `initialLr` until `2·pctStart·T - 2`, then to `minLr`.
 * @throws Error on out-of-range options, or (from `step`) when stepped more than `totalSteps` times.
 */
export class OneCycleLR extends LRScheduler {
  readonly type = 'OneCycleLR';
  /** Total steps. */
  readonly totalSteps: number;
  /** Peak rate. */
  readonly maxLr: number;
  /** `maxLr / divFactor`. */
  readonly initialLr: number;
  /** `initialLr / finalDivFactor`. */
  readonly minLr: number;
  /** Annealing function. */
  readonly annealStrategy: 'cos' | 'linear';
  private readonly phases: Array<{ endStep: number; start: number; end: number }>;

  constructor(optimizer: Optimizer, opts: OneCycleLROptions) {
    super(optimizer);
    const C = 'OneCycleLR';
    this.maxLr = checkPositive(C, 'maxLr', opts?.maxLr);
    if (opts.totalSteps !== undefined) this.totalSteps = checkPositiveInt(C, 'totalSteps', opts.totalSteps);
    else if (opts.epochs !== undefined || opts.stepsPerEpoch !== undefined) {
      this.totalSteps = checkPositiveInt(C, 'epochs', opts.epochs) * checkPositiveInt(C, 'stepsPerEpoch', opts.stepsPerEpoch);
    } else fail(C, 'give totalSteps, or epochs and stepsPerEpoch');
    const pct = opts.pctStart ?? 0.3;
    if (!(pct > 0 && pct < 1)) fail(C, `pctStart must be in (0, 1). Received: pctStart=${opts.pctStart}`);
    const anneal = opts.annealStrategy ?? 'cos';
    if (anneal !== 'cos' && anneal !== 'linear') fail(C, `annealStrategy must be 'cos' or 'linear'. Received: annealStrategy=${String(opts.annealStrategy)}`);
    this.annealStrategy = anneal;
    this.initialLr = this.maxLr / checkPositive(C, 'divFactor', opts.divFactor ?? 25);
    this.minLr = this.initialLr / checkPositive(C, 'finalDivFactor', opts.finalDivFactor ?? 1e4);
    const T = this.totalSteps;
    this.phases = opts.threePhase
      ? [
          { endStep: pct * T - 1, start: this.initialLr, end: this.maxLr },
          { endStep: 2 * pct * T - 2, start: this.maxLr, end: this.initialLr },
          { endStep: T - 1, start: this.initialLr, end: this.minLr },
        ]
      : [
          { endStep: pct * T - 1, start: this.initialLr, end: this.maxLr },
          { endStep: T - 1, start: this.maxLr, end: this.minLr },
        ];
    this.start();
  }

  protected computeLr(t: number): number {
    if (t > this.totalSteps) {
      fail('OneCycleLR', `tried to step ${t} times; the specified number of total steps is ${this.totalSteps}`);
    }
    let startStep = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const p = this.phases[i];
      if (t <= p.endStep || i === this.phases.length - 1) {
        const pct = (t - startStep) / (p.endStep - startStep);
        return this.annealStrategy === 'cos' ? p.end + ((p.start - p.end) / 2) * (Math.cos(Math.PI * pct) + 1) : (p.end - p.start) * pct + p.start;
      }
      startStep = p.endStep;
    }
    /* c8 ignore next */
    return this.minLr;
  }
}

/** Options of {@link LinearWarmup}. */
export interface LinearWarmupOptions {
  /** Steps of warmup (integer > 0). */
  warmupSteps: number;
  /** Factor at step 0, in `(0, 1]`. Default `0.01`. */
  startFactor?: number;
}

/**
 * Linear warmup composed with any other scheduler: `lr_t = inner_t · f_t`, `f_t = s + (1 - s)·min(t,
 * W)/W`, equal to PyTorch's `ChainedScheduler([LinearLR(opt, s, 1, W), inner])`. Build `inner` on the
 * same optimizer first, then wrap it; step only the warmup (it steps `inner`).
 * @throws Error when `warmupSteps` is not a positive integer or `startFactor` is out of range.
 */
export class LinearWarmup extends LRScheduler {
  readonly type = 'LinearWarmup';
  /** The wrapped scheduler. */
  readonly inner: LRScheduler;
  /** Warmup length. */
  readonly warmupSteps: number;
  /** Factor at step 0. */
  readonly startFactor: number;

  constructor(inner: LRScheduler, opts: LinearWarmupOptions) {
    if (!(inner instanceof LRScheduler)) throw new TrainError('LinearWarmup: inner must be an LRScheduler (e.g. new CosineAnnealingLR(opt, {tMax: 10}))');
    super(inner.optimizer);
    this.inner = inner;
    this.warmupSteps = checkPositiveInt('LinearWarmup', 'warmupSteps', opts?.warmupSteps);
    this.startFactor = opts.startFactor ?? 0.01;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) fail('LinearWarmup', `startFactor must be in (0, 1]. Received: startFactor=${opts.startFactor}`);
    this.start();
  }

  /** The warmup factor `f_t`. */
  factor(t: number): number {
    return this.startFactor + ((1 - this.startFactor) * Math.min(t, this.warmupSteps)) / this.warmupSteps;
  }

  protected computeLr(t: number): number {
    if (t > 0) this.inner.step();
    return this.inner.lastLr * this.factor(t);
  }

  protected override getExtraState(): Record<string, unknown> {
    return { inner: this.inner.getState() };
  }

  protected override setExtraState(extra: Record<string, unknown> | undefined): void {
    if (!extra || typeof extra.inner !== 'object') throw new TrainError('LinearWarmup.setState: extra.inner (the inner scheduler state) is missing');
    this.inner.setState(extra.inner as SchedulerState);
  }
}

/** Options of {@link SequentialLR}. */
export interface SequentialLROptions {
  /**
   * The schedulers, in the order they take over, all built on the SequentialLR's optimizer (fresh: not yet
   * stepped). Not `LinearWarmup`, `SequentialLR` (PyTorch cannot restart those either) or
   * `ReduceLROnPlateau`.
   */
  schedulers: LRScheduler[];
  /** Steps at which the next scheduler takes over: `schedulers.length - 1` strictly increasing integers > 0. */
  milestones: number[];
}

/**
 * `torch.optim.lr_scheduler.SequentialLR` (PyTorch 1.13 semantics): scheduler `i` drives the rate from
 * milestone `i-1` (0 for the first) until milestone `i`.
 *
 * - Construction resets the optimizer to the first scheduler's base rate (PyTorch's `initial_lr`, which
 *   every child shares as its base) and applies step 0 of the first scheduler only.
 * - `step()` at step `t`: `i = bisect_right(milestones, t)`; exactly at a milestone the new scheduler
 *   restarts with PyTorch's `step(0)` — its closed-form rate of step 0 from the shared base (StepLR,
 *   MultiStepLR, ExponentialLR, LinearLR, CosineAnnealingLR; CosineAnnealingWarmRestarts restarts its
 *   first cycle; others compute step 0 from the current rate) — otherwise it steps normally (chainable).
 *
 * Warm-up then linear decay, stepped once per batch (`LRSchedulerCallback` with `interval: 'batch'`):
 *
 * ```ts
 * new SequentialLR(opt, {
 *   schedulers: [new LinearLR(opt, { startFactor: 0.2, endFactor: 1, totalIters: W }),
 *                new LinearLR(opt, { startFactor: 1, endFactor: 0.07, totalIters: total - W })],
 *   milestones: [W],
 * });
 * ```
 *
 * The state ({@link LRScheduler.getState}) holds every child's state in `extra.schedulers`.
 * @throws Error when `schedulers` is empty, holds a scheduler of another optimizer or of an unsupported
 *   kind, or `milestones` does not have `schedulers.length - 1` strictly increasing positive integers.
 */
export class SequentialLR extends LRScheduler {
  readonly type = 'SequentialLR';
  /** The schedulers in order. */
  readonly schedulers: readonly LRScheduler[];
  /** The milestones. */
  readonly milestones: readonly number[];

  constructor(optimizer: Optimizer, opts: SequentialLROptions) {
    const C = 'SequentialLR';
    const list = opts?.schedulers;
    if (!Array.isArray(list) || list.length === 0) fail(C, 'schedulers must be a non-empty array of schedulers');
    list.forEach((sch, i) => {
      if (!(sch instanceof LRScheduler)) fail(C, `schedulers[${i}] must be an LRScheduler (ReduceLROnPlateau cannot be sequenced)`);
      if (sch instanceof LinearWarmup || sch instanceof SequentialLR) {
        fail(C, `schedulers[${i}] is a ${sch.type}, which cannot be restarted at a milestone; put the SequentialLR inside it instead`);
      }
      if (sch.optimizer !== optimizer) fail(C, `schedulers[${i}] belongs to another optimizer than the one passed to SequentialLR`);
    });
    const ms = opts.milestones;
    if (!Array.isArray(ms) || ms.length !== list.length - 1 || !ms.every((m, i) => Number.isInteger(m) && m > 0 && (i === 0 || m > ms[i - 1]))) {
      fail(
        C,
        `milestones must be ${list.length - 1} strictly increasing positive integers (one fewer than schedulers). Received: milestones=${JSON.stringify(ms)}`,
      );
    }
    super(optimizer, list[0].baseLr);
    this.schedulers = [...list];
    this.milestones = [...ms];
    this.start();
  }

  protected computeLr(t: number): number {
    if (t === 0) {
      for (const sch of this.schedulers) childAccess.rebase(sch, this.baseLr);
      this.optimizer.lr = this.baseLr;
      return childAccess.initialStep(this.schedulers[0]);
    }
    let i = 0;
    while (i < this.milestones.length && this.milestones[i] <= t) i++;
    const sch = this.schedulers[i];
    return i > 0 && this.milestones[i - 1] === t ? childAccess.restart(sch) : sch.step();
  }

  protected override getExtraState(): Record<string, unknown> {
    return { schedulers: this.schedulers.map((sch) => sch.getState()) };
  }

  protected override setExtraState(extra: Record<string, unknown> | undefined): void {
    const states = extra?.schedulers;
    if (!Array.isArray(states) || states.length !== this.schedulers.length) {
      throw new TrainError(`SequentialLR.setState: extra.schedulers must hold ${this.schedulers.length} scheduler states`);
    }
    this.schedulers.forEach((sch, i) => sch.setState(states[i] as SchedulerState));
  }
}

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
 * @throws Error on out-of-range options (`factor >= 1`, negative patience, …).
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
   * @throws Error when `metric` is not a number (NaN counts as a bad step, as in PyTorch).
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

  /** Restores {@link ReduceLROnPlateau.getState}. @throws Error on a state of another type. */
  setState(state: SchedulerState): void {
    if (!state || state.type !== this.type || !state.extra)
      throw new TrainError(`ReduceLROnPlateau.setState: state is for '${state?.type}', expected 'ReduceLROnPlateau'`);
    const e = state.extra as { best: number | string; numBadEpochs: number; cooldownCounter: number };
    this.best = typeof e.best === 'string' ? Number(e.best) : e.best;
    this.numBadEpochs = e.numBadEpochs;
    this.cooldownCounter = e.cooldownCounter;
    this.lastEpoch = state.lastEpoch;
    this.optimizer.lr = state.lastLr;
  }
}

/** Any scheduler of this module. */
export type Scheduler = LRScheduler | ReduceLROnPlateau;

/** A scheduler description: PyTorch class name and its options (as in the fixtures and `--scheduler`). */
export interface SchedulerSpec {
  /** Class name, e.g. `'MultiStepLR'`, `'OneCycleLR'`, `'LinearWarmup'`, `'SequentialLR'`. */
  scheduler: string;
  /**
   * Constructor options; for `LinearWarmup` also `inner: SchedulerSpec`; for `SequentialLR`
   * `{schedulers: SchedulerSpec[], milestones: number[]}`.
   */
  options: Record<string, unknown>;
}

/** The scheduler class names {@link createScheduler} accepts. */
export const SCHEDULER_NAMES = [
  'StepLR',
  'MultiStepLR',
  'ExponentialLR',
  'LinearLR',
  'CosineAnnealingLR',
  'CosineAnnealingWarmRestarts',
  'OneCycleLR',
  'ReduceLROnPlateau',
  'LinearWarmup',
  'SequentialLR',
] as const;

/**
 * Builds a scheduler from a {@link SchedulerSpec} on `optimizer`.
 * @throws Error on an unknown name (listing the known ones) or invalid options.
 */
export function createScheduler(optimizer: Optimizer, spec: SchedulerSpec): Scheduler {
  const o = (spec?.options ?? {}) as never;
  switch (spec?.scheduler) {
    case 'StepLR':
      return new StepLR(optimizer, o);
    case 'MultiStepLR':
      return new MultiStepLR(optimizer, o);
    case 'ExponentialLR':
      return new ExponentialLR(optimizer, o);
    case 'LinearLR':
      return new LinearLR(optimizer, o);
    case 'CosineAnnealingLR':
      return new CosineAnnealingLR(optimizer, o);
    case 'CosineAnnealingWarmRestarts':
      return new CosineAnnealingWarmRestarts(optimizer, o);
    case 'OneCycleLR':
      return new OneCycleLR(optimizer, o);
    case 'ReduceLROnPlateau':
      return new ReduceLROnPlateau(optimizer, o);
    case 'LinearWarmup': {
      const { inner, ...rest } = spec.options as unknown as { inner?: SchedulerSpec } & LinearWarmupOptions;
      if (!inner) throw new TrainError('createScheduler: LinearWarmup needs options.inner (a scheduler spec)');
      const built = createScheduler(optimizer, inner);
      if (!(built instanceof LRScheduler)) throw new TrainError('createScheduler: LinearWarmup cannot wrap ReduceLROnPlateau');
      return new LinearWarmup(built, rest);
    }
    case 'SequentialLR': {
      const { schedulers, milestones } = spec.options as { schedulers?: SchedulerSpec[]; milestones?: number[] };
      if (!Array.isArray(schedulers) || schedulers.length === 0)
        throw new TrainError('createScheduler: SequentialLR needs options.schedulers (a non-empty list of scheduler specs)');
      const built = schedulers.map((child, i) => {
        const b = createScheduler(optimizer, child);
        if (!(b instanceof LRScheduler)) throw new TrainError(`createScheduler: SequentialLR cannot sequence ReduceLROnPlateau (schedulers[${i}])`);
        return b;
      });
      return new SequentialLR(optimizer, { schedulers: built, milestones: milestones as number[] });
    }
    default:
      throw new TrainError(`createScheduler: unknown scheduler '${String(spec?.scheduler)}'. Known: ${SCHEDULER_NAMES.join(', ')}`);
  }
}

const ALIASES: Record<string, string> = {
  step: 'StepLR',
  multistep: 'MultiStepLR',
  exponential: 'ExponentialLR',
  exp: 'ExponentialLR',
  linear: 'LinearLR',
  cosine: 'CosineAnnealingLR',
  'cosine-restarts': 'CosineAnnealingWarmRestarts',
  onecycle: 'OneCycleLR',
  plateau: 'ReduceLROnPlateau',
  sequential: 'SequentialLR',
};

/**
 * Parses a command-line scheduler description: `name[:key=value[,key=value…]]`, where `name` is a
 * class name or alias (`step`, `multistep`, `exponential`, `linear`, `cosine`, `cosine-restarts`,
 * `onecycle`, `plateau`), list values are `|`-separated numbers, and an optional `warmup=N` (with
 * `warmupStart=s`) wraps the result in {@link LinearWarmup}. Examples: `multistep:milestones=5|8,gamma=0.1`,
 * `cosine:tMax=10,warmup=2`, `onecycle:maxLr=0.01`, `plateau:patience=2,factor=0.5`.
 *
 * `SequentialLR` (alias `sequential`) lists its schedulers after its own options, separated by `;`:
 * `sequential:milestones=20;linear:startFactor=0.2,totalIters=20;linear:startFactor=1,endFactor=0.07,totalIters=77`
 * (warm-up then linear decay).
 * @throws Error on an unknown name, a malformed `key=value`, or `;` after another scheduler than SequentialLR.
 */
export function parseSchedulerSpec(text: string): SchedulerSpec {
  const parts = String(text).split(';');
  if (parts.length > 1) {
    const head = parseSchedulerSpec(parts[0]);
    if (head.scheduler !== 'SequentialLR')
      throw new TrainError(`parseSchedulerSpec: ';' separates the schedulers of a SequentialLR ('sequential:milestones=…;…'), got '${parts[0]}' before it`);
    return { scheduler: 'SequentialLR', options: { ...head.options, schedulers: parts.slice(1).map((p) => parseSchedulerSpec(p.trim())) } };
  }
  const [rawName, rest = ''] = String(text).split(/:(.*)/s, 2);
  const name = ALIASES[rawName.trim().toLowerCase()] ?? rawName.trim();
  if (!(SCHEDULER_NAMES as readonly string[]).includes(name)) {
    throw new TrainError(
      `parseSchedulerSpec: unknown scheduler '${rawName}'. Known: ${Object.keys(ALIASES).join(', ')} (or class names ${SCHEDULER_NAMES.join(', ')})`,
    );
  }
  const options: Record<string, unknown> = {};
  for (const part of rest
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^([A-Za-z][A-Za-z0-9]*)=(.+)$/.exec(part);
    if (!m) throw new TrainError(`parseSchedulerSpec: expected key=value, got '${part}' in '${text}'`);
    const [, key, value] = m;
    const num = (v: string): number | string => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v);
    options[key] = value.includes('|') || key === 'milestones' ? value.split('|').map(num) : value === 'true' ? true : value === 'false' ? false : num(value);
  }
  const { warmup, warmupStart, ...innerOptions } = options;
  const spec: SchedulerSpec = { scheduler: name, options: innerOptions };
  if (warmup === undefined) return spec;
  return { scheduler: 'LinearWarmup', options: { warmupSteps: warmup, ...(warmupStart !== undefined ? { startFactor: warmupStart } : {}), inner: spec } };
}
