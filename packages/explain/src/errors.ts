import { CnnError } from '@cnn/core';

/**
 * Base error of `@cnn/explain`: every bad input (mismatched lengths, out-of-range labels, unknown layer names,
 * incomplete run directories) throws one of these with a message naming the field and what was expected, and the
 * stable code `ERR_CNN_EXPLAIN`.
 *
 * Use {@link ExplainError.isInstance} rather than `instanceof` when the error may cross package copies
 * (ESM and CJS builds loaded side by side); `CnnError.isInstance` recognises the errors of every `@cnn` package.
 */
export class ExplainError extends CnnError {
  /**
   * @param message - What went wrong, naming the field and what was expected.
   * @param options - `code`: the stable code (Node's `ERR_…` convention; default `ERR_CNN_EXPLAIN`); `cause`: the
   *   underlying error.
   */
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, { code: options?.code ?? 'ERR_CNN_EXPLAIN', cause: options?.cause });
  }
}
