/**
 * `OneCycleLR` (`torch.optim.lr_scheduler.OneCycleLR`, Smith & Topin 2019).
 *
 * @packageDocumentation
 */
import type { Optimizer } from '../optimizers/optimizer.js';
import { checkPositive, checkPositiveInt, fail, LRScheduler } from './base.js';

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
 * @throws TrainError on out-of-range options, or (from `step`) when stepped more than `totalSteps` times.
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
