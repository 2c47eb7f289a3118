/**
 * The error class of `@cnn/models`.
 *
 * @packageDocumentation
 */
import { CnnError } from '@cnn/core';

/**
 * Error thrown by `@cnn/models` for a bad architecture option, an unknown model name, a weights file that does not
 * fit, or a model source that cannot be read. Its `code` (Node's `ERR_…` convention) is stable:
 * `ERR_CNN_MODEL_OPTION` (an option or input out of range: widths, rates, shapes, seeds), `ERR_CNN_UNKNOWN_MODEL`
 * (a name the registry does not have), `ERR_CNN_WEIGHTS_FORMAT` (a safetensors / PyTorch weights file that is
 * malformed or does not match the model), `ERR_CNN_MODEL_SOURCE` (a file or URL that cannot be read). Check with
 * `ModelError.isInstance(e)` (works across package copies).
 */
export class ModelError extends CnnError {
  /**
   * @param message - What went wrong, naming the layer, option or file and what was expected.
   * @param options - `code`: the stable code (default `ERR_CNN_MODEL_OPTION`); `cause`: the underlying error.
   */
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, { code: options?.code ?? 'ERR_CNN_MODEL_OPTION', cause: options?.cause });
  }
}
