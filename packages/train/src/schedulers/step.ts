/**
 * Step-indexed decays: `StepLR`, `MultiStepLR`, `ExponentialLR`, `LinearLR` (`torch.optim.lr_scheduler`).
 *
 * @packageDocumentation
 */
import type { Optimizer } from '../optimizers/optimizer.js';
import { checkPositive, checkPositiveInt, fail, LRScheduler } from './base.js';

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Period of decay in steps (integer > 0). */
  stepSize: number;
  /** Multiplicative factor (> 0). Default `0.1`. */
  gamma?: number;
}

/**
 * `torch.optim.lr_scheduler.StepLR`: `lr_t = baseLr · gamma^⌊t / stepSize⌋`.
 * @throws TrainError when `stepSize` is not a positive integer or `gamma <= 0` ("Received: gamma=…").
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
 * @throws TrainError when milestones are not strictly increasing positive integers, or `gamma <= 0`.
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

/** `torch.optim.lr_scheduler.ExponentialLR`: `lr_t = baseLr · gamma^t`. @throws TrainError when `gamma <= 0`. */
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
 * @throws TrainError when a factor is out of range or `totalIters` is not a positive integer.
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
