const MARKER = Symbol.for('@cnn/train.TrainError');

/**
 * Base class of the errors thrown by `@cnn/train`. Use {@link TrainError.isInstance} rather than
 * `instanceof` when several copies of the package may be loaded (ESM + CJS).
 */
export class TrainError extends Error {
  private readonly [MARKER] = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainError';
  }

  /** True when `error` is a {@link TrainError} from any copy of this package. */
  static isInstance(error: unknown): error is TrainError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

/**
 * Thrown when a training batch yields a NaN or infinite loss (diverged training, bad input data, or a
 * learning rate that is too large). The message names the 1-based epoch and batch and the loss value.
 */
export class NonFiniteLossError extends TrainError {
  /** 1-based epoch. */
  readonly epoch: number;
  /** 1-based batch within the epoch. */
  readonly batch: number;
  /** The offending loss (`NaN`, `Infinity` or `-Infinity`). */
  readonly loss: number;

  constructor(epoch: number, batch: number, loss: number) {
    super(`Non-finite training loss ${loss} at epoch ${epoch}, batch ${batch}: training diverged ` +
      '(lower the learning rate or check the input data for NaN/Inf)');
    this.name = 'NonFiniteLossError';
    this.epoch = epoch;
    this.batch = batch;
    this.loss = loss;
  }

  /** True when `error` is a {@link NonFiniteLossError} from any copy of this package. */
  static override isInstance(error: unknown): error is NonFiniteLossError {
    return TrainError.isInstance(error) && (error as Error).name === 'NonFiniteLossError';
  }
}
