/**
 * Cosine schedules: `CosineAnnealingLR`, `CosineAnnealingWarmRestarts` (`torch.optim.lr_scheduler`).
 *
 * @packageDocumentation
 */
import type { Optimizer } from '../optimizers/optimizer.js';
import { TrainError } from '../errors.js';
import { checkNonNegative, checkPositiveInt, fail, LRScheduler } from './base.js';

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
 * @throws TrainError when `tMax` is not a positive integer or `etaMin < 0`.
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
 * @throws TrainError when `t0` is not a positive integer, `tMult` not an integer >= 1, or `etaMin < 0`.
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
   * @throws TrainError when `epoch < 0`.
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
  override restart(): number {
    return this.step(0);
  }

  protected override getExtraState(): Record<string, unknown> {
    return { tI: this.tI, tCur: this.tCur };
  }

  protected override setExtraState(extra: Record<string, unknown> | undefined): void {
    if (!extra || typeof extra.tI !== 'number' || typeof extra.tCur !== 'number') {
      throw new TrainError('CosineAnnealingWarmRestarts.setState: extra.tI and extra.tCur must be numbers', { code: 'ERR_CNN_BAD_STATE' });
    }
    this.tI = extra.tI;
    this.tCur = extra.tCur;
  }
}
