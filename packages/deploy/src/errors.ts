import { CnnError } from '@cnn/core';

export { UnsupportedLayerError } from '@cnn/core';

/**
 * Base class of the errors `@cnn/deploy` defines; `DeployError.isInstance(e)` works across module copies.
 * A layer an exporter cannot translate throws `@cnn/core`'s `UnsupportedLayerError` (re-exported here), shared
 * with the graph walker; `CnnError.isInstance` recognises both.
 */
export class DeployError extends CnnError {
  /**
   * @param message - What went wrong, naming the model, option or file and what was expected.
   * @param options - `code`: the stable code (Node's `ERR_…` convention; default `ERR_CNN_DEPLOY`: an option or
   *   input out of range, a graph the optimiser or server cannot handle); `cause`: the underlying error.
   */
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, { code: options?.code ?? 'ERR_CNN_DEPLOY', cause: options?.cause });
  }
}

/**
 * A model folder / URL whose `model.json` or weight files are malformed, unsafe or inconsistent. Code
 * `ERR_CNN_MODEL_FILE`.
 */
export class ModelFileError extends DeployError {
  /** @param options - `code` (default `ERR_CNN_MODEL_FILE`), `cause`. */
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, { code: options?.code ?? 'ERR_CNN_MODEL_FILE', cause: options?.cause });
  }
}
