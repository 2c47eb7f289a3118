import { Callback, type Logs } from './callback.js';
import { Lookahead, ModelEma, type AveragedWeightsState, type ModelEmaState } from './weight-averaging.js';
import { TrainError } from './errors.js';

/** Options of {@link LookaheadCallback}. */
export interface LookaheadCallbackOptions {
  /** Synchronise every `k` optimizer steps (integer >= 1). Default `5`. */
  k?: number;
  /**
   * α: a number in `[0, 1]` or a function `(step, totalSteps) => α` of the 1-based optimizer step, e.g.
   * {@link airbenchLookaheadAlpha}. Default `0.5`.
   */
  alpha?: number | ((step: number, totalSteps: number) => number);
  /**
   * Optimizer steps of the whole run, for the α schedule and {@link LookaheadCallbackOptions.finalize}.
   * Default: fit's `params.totalSteps` (the run's batches, which are its optimizer steps unless
   * `accumulateSteps > 1`; give it explicitly then).
   */
  totalSteps?: number;
  /**
   * Let the model take the slow weights at the end: right after optimizer step `totalSteps` (so the last
   * epoch is evaluated with them, as airbench), or at `onTrainEnd` if the run ends before that. Default `true`.
   */
  finalize?: boolean;
  /** Allow the backend's `EMA_UPDATE_KERNEL`. Default `true`. */
  fused?: boolean;
}

/** Checkpoint state of {@link LookaheadCallback}. */
export interface LookaheadCallbackState {
  /** Optimizer steps counted so far in the run. */
  step: number;
  /** Whether the model has taken the slow weights for good. */
  finalized: boolean;
  /** The slow weights. */
  slow: AveragedWeightsState;
}

/**
 * {@link Lookahead} from `fit`: the slow weights start as the model's at `onTrainBegin`; after every batch
 * whose optimizer step ran (`logs.stepped === 1`) the step counter advances and every `k`-th step
 * synchronises (`φ ← lerp(φ, θ, α)`, `θ ← φ`); with `finalize` the model takes φ after step `totalSteps`.
 * Its state (step counter and slow weights) goes into fit's checkpoints, so `fit({resume})` continues exactly.
 *
 * airbench94's use: `new LookaheadCallback({ k: 5, alpha: airbenchLookaheadAlpha })` with
 * `fit({epochs: 9.9, …})`.
 */
export class LookaheadCallback extends Callback {
  /** Checkpoint key. */
  override readonly stateKey: string = 'Lookahead';
  /** Options as given. */
  readonly options: Readonly<LookaheadCallbackOptions>;
  private lookahead_?: Lookahead;
  private total?: number;
  private step = 0;
  private finalized = false;

  /** @throws TrainError on a bad `k`, constant `alpha` or `totalSteps` ("Received: …"). */
  constructor(opts: LookaheadCallbackOptions = {}) {
    super();
    const k = opts.k ?? 5;
    if (!(Number.isInteger(k) && k >= 1))
      throw new TrainError(`LookaheadCallback: k must be an integer >= 1. Received: k=${opts.k}`, { code: 'ERR_CNN_INVALID_OPTION' });
    const a = opts.alpha ?? 0.5;
    if (typeof a === 'number' ? !(a >= 0 && a <= 1) : typeof a !== 'function') {
      throw new TrainError(`LookaheadCallback: alpha must be a number in [0, 1] or a function (step, totalSteps) => alpha. Received: alpha=${String(a)}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    }
    if (opts.totalSteps !== undefined && !(Number.isInteger(opts.totalSteps) && opts.totalSteps >= 1)) {
      throw new TrainError(`LookaheadCallback: totalSteps must be an integer >= 1. Received: totalSteps=${opts.totalSteps}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    }
    this.options = { ...opts };
  }

  /** The Lookahead of the current run (created at `onTrainBegin`). */
  get lookahead(): Lookahead | undefined {
    return this.lookahead_;
  }

  /** Optimizer steps counted so far in the run. */
  get steps(): number {
    return this.step;
  }

  override onTrainBegin(): void {
    const ctx = this.context;
    const total = this.options.totalSteps ?? ctx.params.totalSteps;
    const a = this.options.alpha ?? 0.5;
    if (typeof a === 'function' && total === undefined) {
      throw new TrainError('LookaheadCallback: an alpha schedule needs totalSteps (give it, or use a training loader with a length)', {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    }
    this.total = total;
    this.step = 0;
    this.finalized = false;
    this.lookahead_?.dispose();
    this.lookahead_ = new Lookahead(ctx.model, {
      k: this.options.k,
      fused: this.options.fused,
      alpha: typeof a === 'number' ? a : (step) => a(step, total as number),
    });
  }

  override onBatchEnd(_batch: number, logs: Logs): void {
    if (logs.stepped !== 1 || !this.lookahead_ || this.finalized) return;
    const model = this.context.model;
    this.step += 1;
    this.lookahead_.update(model, this.step);
    if ((this.options.finalize ?? true) && this.total !== undefined && this.step >= this.total) {
      this.lookahead_.finalize(model);
      this.finalized = true;
    }
  }

  override onTrainEnd(): void {
    if ((this.options.finalize ?? true) && !this.finalized && this.lookahead_ && this.hasContext) {
      this.lookahead_.finalize(this.context.model);
      this.finalized = true;
    }
  }

  /** The step counter and the slow weights (read asynchronously: `Lookahead.readState`), for checkpoints. */
  override async getState(): Promise<LookaheadCallbackState | undefined> {
    if (!this.lookahead_) return undefined;
    const { step, finalized } = this;
    return { step, finalized, slow: await this.lookahead_.readState() };
  }

  /** Restores {@link LookaheadCallback.getState} (after `onTrainBegin`). @throws TrainError on a malformed state. */
  override setState(state: unknown): void {
    const s = state as Partial<LookaheadCallbackState> | undefined;
    if (!this.lookahead_)
      throw new TrainError('LookaheadCallback.setState: no Lookahead yet (setState must follow onTrainBegin)', { code: 'ERR_CNN_BAD_STATE' });
    if (!s || !Number.isInteger(s.step) || (s.step as number) < 0 || typeof s.finalized !== 'boolean' || !s.slow) {
      throw new TrainError('LookaheadCallback.setState: malformed state (needs step, finalized, slow)', { code: 'ERR_CNN_BAD_STATE' });
    }
    this.lookahead_.setState(s.slow);
    this.step = s.step as number;
    this.finalized = s.finalized;
  }

  /** Frees the slow weights (call when done with the callback). */
  dispose(): void {
    this.lookahead_?.dispose();
    this.lookahead_ = undefined;
  }
}

/** Options of {@link ModelEmaCallback}. */
export interface ModelEmaCallbackOptions {
  /**
   * Decay in `[0, 1]`, or a function of the 1-based optimizer step (e.g. timm's warm-up
   * `(t) => Math.min(0.999, (1 + t) / (10 + t))`). Default `0.9999`.
   */
  decay?: number | ((step: number) => number);
  /** Update every this many optimizer steps (integer >= 1). Default `1`. */
  every?: number;
  /** Write the average into the model at `onTrainEnd`. Default `false` (the model keeps its weights). */
  copyAtEnd?: boolean;
  /** Allow the backend's `EMA_UPDATE_KERNEL`. Default `true`. */
  fused?: boolean;
}

/** Checkpoint state of {@link ModelEmaCallback}. */
export interface ModelEmaCallbackState {
  /** Optimizer steps counted so far in the run. */
  step: number;
  /** The average. */
  ema: ModelEmaState;
}

/**
 * {@link ModelEma} from `fit`: the average starts as the model's weights at `onTrainBegin` and is updated after
 * every `every`-th optimizer step; its state goes into fit's checkpoints (exact resume). Read it through
 * {@link ModelEmaCallback.ema} (`copyTo` a clone for evaluation, or `swap`), or let `copyAtEnd` put it into the
 * model when training ends.
 */
export class ModelEmaCallback extends Callback {
  /** Checkpoint key. */
  override readonly stateKey: string = 'ModelEma';
  /** Options as given. */
  readonly options: Readonly<ModelEmaCallbackOptions>;
  private ema_?: ModelEma;
  private step = 0;

  /** @throws TrainError on a bad constant `decay` or `every` ("Received: …"). */
  constructor(opts: ModelEmaCallbackOptions = {}) {
    super();
    const d = opts.decay ?? 0.9999;
    if (typeof d === 'number' ? !(d >= 0 && d <= 1) : typeof d !== 'function') {
      throw new TrainError(`ModelEmaCallback: decay must be a number in [0, 1] or a function of the step. Received: decay=${String(d)}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    }
    const every = opts.every ?? 1;
    if (!(Number.isInteger(every) && every >= 1))
      throw new TrainError(`ModelEmaCallback: every must be an integer >= 1. Received: every=${opts.every}`, { code: 'ERR_CNN_INVALID_OPTION' });
    this.options = { ...opts };
  }

  /** The average of the current run (created at `onTrainBegin`). */
  get ema(): ModelEma | undefined {
    return this.ema_;
  }

  override onTrainBegin(): void {
    const ctx = this.context;
    const d = this.options.decay ?? 0.9999;
    this.ema_?.dispose();
    this.ema_ = new ModelEma(ctx.model, { decay: typeof d === 'number' ? d : 0.9999, fused: this.options.fused });
    this.step = 0;
  }

  override onBatchEnd(_batch: number, logs: Logs): void {
    if (logs.stepped !== 1 || !this.ema_) return;
    this.step += 1;
    if (this.step % (this.options.every ?? 1) !== 0) return;
    const d = this.options.decay ?? 0.9999;
    this.ema_.update(this.context.model, typeof d === 'number' ? d : d(this.step));
  }

  override onTrainEnd(): void {
    if (this.options.copyAtEnd && this.ema_ && this.hasContext) this.ema_.copyTo(this.context.model);
  }

  /** The step counter and the average (read asynchronously: `ModelEma.readState`), for checkpoints. */
  override async getState(): Promise<ModelEmaCallbackState | undefined> {
    if (!this.ema_) return undefined;
    const step = this.step;
    return { step, ema: await this.ema_.readState() };
  }

  /** Restores {@link ModelEmaCallback.getState} (after `onTrainBegin`). @throws TrainError on a malformed state. */
  override setState(state: unknown): void {
    const s = state as Partial<ModelEmaCallbackState> | undefined;
    if (!this.ema_) throw new TrainError('ModelEmaCallback.setState: no ModelEma yet (setState must follow onTrainBegin)', { code: 'ERR_CNN_BAD_STATE' });
    if (!s || !Number.isInteger(s.step) || (s.step as number) < 0 || !s.ema)
      throw new TrainError('ModelEmaCallback.setState: malformed state (needs step, ema)', { code: 'ERR_CNN_BAD_STATE' });
    this.ema_.setState(s.ema);
    this.step = s.step as number;
  }

  /** Frees the average (call when done with it). */
  dispose(): void {
    this.ema_?.dispose();
    this.ema_ = undefined;
  }
}
