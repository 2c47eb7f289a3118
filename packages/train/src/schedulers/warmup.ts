/**
 * `LinearWarmup`: linear warmup composed with any scheduler (`ChainedScheduler([LinearLR, inner])`).
 *
 * @packageDocumentation
 */
import { TrainError } from '../errors.js';
import { checkPositiveInt, fail, LRScheduler, type SchedulerState } from './base.js';

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
 * @throws TrainError when `warmupSteps` is not a positive integer or `startFactor` is out of range.
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
    if (!(inner instanceof LRScheduler))
      throw new TrainError('LinearWarmup: inner must be an LRScheduler (e.g. new CosineAnnealingLR(opt, {tMax: 10}))', { code: 'ERR_CNN_INVALID_OPTION' });
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
    if (!extra || typeof extra.inner !== 'object')
      throw new TrainError('LinearWarmup.setState: extra.inner (the inner scheduler state) is missing', { code: 'ERR_CNN_BAD_STATE' });
    this.inner.setState(extra.inner as SchedulerState);
  }
}
