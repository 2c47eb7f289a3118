import { CnnError } from '@cnn/core';

/**
 * Base class of the errors thrown by `@cnn/train`: bad options and inputs (the message names the field,
 * "Received: x=…"), unreadable checkpoints and model folders. Use {@link TrainError.isInstance} rather than
 * `instanceof` when several copies of the package may be loaded (ESM + CJS); `CnnError.isInstance` (from
 * `@cnn/core`) recognises the errors of every `@cnn` package.
 */
export class TrainError extends CnnError {}

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
    super(
      `Non-finite training loss ${loss} at epoch ${epoch}, batch ${batch}: training diverged ` +
        '(lower the learning rate or check the input data for NaN/Inf)',
    );
    this.epoch = epoch;
    this.batch = batch;
    this.loss = loss;
  }
}
