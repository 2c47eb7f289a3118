import { CnnError } from '@cnn/core';

/**
 * Base class of the errors thrown by `@cnn/train`: bad options and inputs (the message names the field,
 * "Received: x=…"), unreadable checkpoints and model folders. Its `code` (Node's `ERR_…` convention) is stable:
 * `ERR_CNN_INVALID_OPTION` (an option or argument out of range), `ERR_CNN_INVALID_BATCH` (a batch that is not
 * `{x: [b, h, w, c], y}`), `ERR_CNN_SHAPE_MISMATCH` (logits / labels / gradients of the wrong shape),
 * `ERR_CNN_NO_BATCHES` (a loader that yielded nothing), `ERR_CNN_BAD_STATE` (a malformed `setState` value or a call
 * out of order), `ERR_CNN_CHECKPOINT` (a checkpoint that cannot be read, written or applied), `ERR_CNN_MODEL_FILES`
 * (a model folder or IO handler problem), `ERR_CNN_NON_FINITE_LOSS` ({@link NonFiniteLossError}). Use {@link TrainError.isInstance} rather than
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
      { code: 'ERR_CNN_NON_FINITE_LOSS' },
    );
    this.epoch = epoch;
    this.batch = batch;
    this.loss = loss;
  }
}
