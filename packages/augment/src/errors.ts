/**
 * The error class of `@cnn/augment`.
 *
 * @packageDocumentation
 */
import { CnnError } from '@cnn/core';

/**
 * Error thrown by `@cnn/augment` for a transform parameter out of range (probabilities, magnitudes, sizes), an
 * input of the wrong shape or dtype (transforms take NHWC `[n, h, w, c]` float32 batches), or a bad preview
 * request. Its `code` is stable: `ERR_CNN_AUGMENT_OPTION` (a parameter out of range), `ERR_CNN_AUGMENT_INPUT` (an
 * input tensor of the wrong rank, shape or dtype). Check with `AugmentError.isInstance(e)` (works across package
 * copies).
 */
export class AugmentError extends CnnError {
  /**
   * @param message - What went wrong, naming the transform and parameter and what was expected.
   * @param options - `code`: the stable code (default `ERR_CNN_AUGMENT_OPTION`); `cause`: the underlying error.
   */
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, { code: options?.code ?? 'ERR_CNN_AUGMENT_OPTION', cause: options?.cause });
  }
}
