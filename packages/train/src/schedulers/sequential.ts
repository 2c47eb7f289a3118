/**
 * `SequentialLR` (`torch.optim.lr_scheduler.SequentialLR`): schedulers taking over at milestones.
 *
 * @packageDocumentation
 */
import type { Optimizer } from '../optimizers/optimizer.js';
import { TrainError } from '../errors.js';
import { fail, LRScheduler, type SchedulerState } from './base.js';
import { LinearWarmup } from './warmup.js';

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
 * @throws TrainError when `schedulers` is empty, holds a scheduler of another optimizer or of an unsupported
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
      for (const sch of this.schedulers) sch.rebase(this.baseLr);
      this.optimizer.lr = this.baseLr;
      return this.schedulers[0].initialStep();
    }
    let i = 0;
    while (i < this.milestones.length && this.milestones[i] <= t) i++;
    const sch = this.schedulers[i];
    return i > 0 && this.milestones[i - 1] === t ? sch.restart() : sch.step();
  }

  protected override getExtraState(): Record<string, unknown> {
    return { schedulers: this.schedulers.map((sch) => sch.getState()) };
  }

  protected override setExtraState(extra: Record<string, unknown> | undefined): void {
    const states = extra?.schedulers;
    if (!Array.isArray(states) || states.length !== this.schedulers.length) {
      throw new TrainError(`SequentialLR.setState: extra.schedulers must hold ${this.schedulers.length} scheduler states`, { code: 'ERR_CNN_BAD_STATE' });
    }
    this.schedulers.forEach((sch, i) => sch.setState(states[i] as SchedulerState));
  }
}
