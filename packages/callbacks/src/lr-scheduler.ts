import {
  LRScheduler,
  ReduceLROnPlateau,
  createScheduler,
  parseSchedulerSpec,
  type Logs,
  type Optimizer,
  type Scheduler,
  type SchedulerSpec,
  type SchedulerState,
  type TrainingParams,
} from '@cnn/train';
import { Callback, missingMetric, refuseTestMonitor } from './base.js';
import { CallbackError } from './errors.js';

/** Builds a scheduler once the optimizer and run parameters are known (at `onTrainBegin`). */
export type SchedulerFactory = (optimizer: Optimizer, params: TrainingParams) => Scheduler;

/** Options of {@link LRSchedulerCallback}. */
export interface LRSchedulerCallbackOptions {
  /**
   * When to call `step()`: `'epoch'` (after each epoch, PyTorch's usual place) or `'batch'` (after each
   * optimizer step, e.g. OneCycleLR). Default `'epoch'`.
   */
  interval?: 'epoch' | 'batch';
  /** Metric fed to `ReduceLROnPlateau.step` (epoch logs key). Default `'val_loss'`. */
  monitor?: string;
}

/**
 * Drives a `@cnn/train` scheduler (StepLR, MultiStepLR, …, ReduceLROnPlateau) from `fit`, per epoch or
 * per batch; its state is saved by `ModelCheckpoint` and restored on resume. Give a factory (a fresh
 * scheduler per run, so the callback is reusable and can use `params.epochs` / `params.steps`) or a
 * ready scheduler.
 *
 * @example `new LRSchedulerCallback((opt) => new MultiStepLR(opt, {milestones: [5, 8], gamma: 0.1}))`
 */
export class LRSchedulerCallback extends Callback {
  override readonly stateKey = 'LRScheduler';
  /** Step interval. */
  readonly interval: 'epoch' | 'batch';
  /** Metric of ReduceLROnPlateau. */
  readonly monitor: string;
  private readonly factory?: SchedulerFactory;
  private sched?: Scheduler;

  /**
   * @throws CallbackError (code `ERR_CNN_INVALID_OPTION`) on a bad `interval`, or ReduceLROnPlateau with
   *   `interval: 'batch'`; (code `ERR_CNN_SELECT_ON_TEST`) for a `test_*` monitor.
   */
  constructor(scheduler: Scheduler | SchedulerFactory, opts: LRSchedulerCallbackOptions = {}) {
    super();
    this.interval = opts.interval ?? 'epoch';
    if (this.interval !== 'epoch' && this.interval !== 'batch')
      throw new CallbackError(`LRSchedulerCallback: interval must be 'epoch' or 'batch'. Received: interval=${String(opts.interval)}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    this.monitor = opts.monitor ?? 'val_loss';
    refuseTestMonitor('LRSchedulerCallback', this.monitor);
    if (typeof scheduler === 'function') this.factory = scheduler;
    else if (scheduler instanceof LRScheduler || scheduler instanceof ReduceLROnPlateau) this.sched = scheduler;
    else
      throw new CallbackError('LRSchedulerCallback: expected a scheduler (e.g. new StepLR(opt, {stepSize: 5})) or a factory (opt, params) => scheduler', {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    if (this.sched instanceof ReduceLROnPlateau && this.interval === 'batch')
      throw new CallbackError("LRSchedulerCallback: ReduceLROnPlateau steps per epoch; use interval 'epoch'", { code: 'ERR_CNN_INVALID_OPTION' });
  }

  /**
   * A callback from a {@link SchedulerSpec} or a command-line string (`parseSchedulerSpec` syntax, e.g.
   * `'multistep:milestones=5|8'`, `'onecycle:maxLr=0.01'`). OneCycleLR without `totalSteps` gets the run's
   * `totalSteps` (`epochs · steps`) at every `onTrainBegin`, so a reused callback fits each run, and steps per
   * batch; the others step per epoch (override with `opts`). `spec` is copied, never modified.
   * @throws TrainError (from `parseSchedulerSpec`) on an unparsable spec.
   */
  static fromSpec(spec: string | SchedulerSpec, opts: LRSchedulerCallbackOptions = {}): LRSchedulerCallback {
    // A private deep copy: the caller's spec is never written, and every run derives its own totalSteps.
    const frozen: SchedulerSpec = typeof spec === 'string' ? parseSchedulerSpec(spec) : structuredClone(spec);
    const innerOf = (s: SchedulerSpec): SchedulerSpec | undefined => (s.scheduler === 'LinearWarmup' ? (s.options.inner as SchedulerSpec | undefined) : s);
    const oneCycle = innerOf(frozen)?.scheduler === 'OneCycleLR';
    return new LRSchedulerCallback(
      (opt, params) => {
        const s = structuredClone(frozen);
        const inner = innerOf(s);
        if (oneCycle && inner && inner.options.totalSteps === undefined && inner.options.epochs === undefined) {
          const total = params.totalSteps ?? (params.steps ? params.epochs * params.steps : undefined);
          if (!total)
            throw new CallbackError('LRSchedulerCallback: OneCycleLR needs totalSteps when the loader has no length', { code: 'ERR_CNN_INVALID_OPTION' });
          inner.options = { ...inner.options, totalSteps: total };
        }
        return createScheduler(opt, s);
      },
      { interval: opts.interval ?? (oneCycle ? 'batch' : 'epoch'), monitor: opts.monitor },
    );
  }

  /** The scheduler in use (created at `onTrainBegin` when a factory was given). */
  get scheduler(): Scheduler | undefined {
    return this.sched;
  }

  override onTrainBegin(): void {
    if (this.factory) this.sched = this.factory(this.context.optimizer, this.context.params);
    if (!this.sched) throw new CallbackError('LRSchedulerCallback: no scheduler', { code: 'ERR_CNN_BAD_STATE' });
    if (this.sched.optimizer !== this.context.optimizer)
      throw new CallbackError('LRSchedulerCallback: the scheduler was built on another optimizer than the one passed to fit', { code: 'ERR_CNN_BAD_STATE' });
  }

  override onBatchEnd(_batch: number, logs: Logs): void {
    if (this.interval === 'batch' && logs.stepped === 1 && this.sched instanceof LRScheduler) this.sched.step();
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    if (this.interval !== 'epoch' || !this.sched) return;
    if (this.sched instanceof ReduceLROnPlateau) {
      const v = logs[this.monitor];
      if (typeof v !== 'number') {
        // an epoch fit({evalEvery}) did not evaluate: the plateau counter waits for the next evaluation
        if (/^(val|test)_/.test(this.monitor) && this.context.history?.at(-1)?.evaluated === false) return;
        throw missingMetric('LRSchedulerCallback', this.monitor, logs);
      }
      this.sched.step(v);
    } else {
      this.sched.step();
    }
  }

  override getState(): SchedulerState | undefined {
    return this.sched?.getState();
  }

  override setState(state: unknown): void {
    if (!this.sched) throw new CallbackError('LRSchedulerCallback.setState: no scheduler (setState must follow onTrainBegin)', { code: 'ERR_CNN_BAD_STATE' });
    this.sched.setState(state as SchedulerState);
  }
}
