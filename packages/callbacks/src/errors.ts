/**
 * The error class of `@cnn/callbacks`.
 *
 * @packageDocumentation
 */
import { CnnError } from '@cnn/core';

/**
 * Error thrown by `@cnn/callbacks`. Its `code` (Node's `ERR_…` convention) is stable:
 * - `ERR_CNN_INVALID_OPTION`: a constructor or `lrFind` option out of range ("Received: …").
 * - `ERR_CNN_SELECT_ON_TEST`: a selecting callback (EarlyStopping, ModelCheckpoint(saveBestOnly),
 *   ReduceLROnPlateau via LRSchedulerCallback) was asked to monitor a `test_*` metric; model selection must use
 *   a validation set (`fit({ validation })`).
 * - `ERR_CNN_MISSING_METRIC`: the monitored metric is not in the epoch logs of an epoch that was evaluated
 *   (for `val_*`: `fit` got no `validation`).
 * - `ERR_CNN_BAD_STATE`: a malformed checkpoint state, or a hook used out of order.
 * - `ERR_CNN_NO_BATCHES`: a loader yielded no batches.
 *
 * Check with `CallbackError.isInstance(e)` (works across package copies).
 */
export class CallbackError extends CnnError {
  /**
   * @param message - What went wrong, naming the callback and the option or metric.
   * @param options - `code`: the stable code (default `ERR_CNN_CALLBACK`); `cause`: the underlying error.
   */
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, { code: options?.code ?? 'ERR_CNN_CALLBACK', cause: options?.cause });
  }
}
