/**
 * The error class of `@cnn/data`.
 *
 * @packageDocumentation
 */
import { CnnError } from '@cnn/core';

/**
 * Error thrown by `@cnn/data` for a bad dataset, split, loader option or data file. Its `code` (Node's `ERR_…`
 * convention) is stable: `ERR_CNN_INVALID_SPLIT` (randomSplit), `ERR_CNN_INVALID_DATASET` (a dataset whose
 * fields disagree), `ERR_CNN_INVALID_OPTION` (a loader or subset option out of range), `ERR_CNN_DATA_FORMAT`
 * (a file that is not what it claims), `ERR_CNN_DATA_NOT_FOUND` (files missing), `ERR_CNN_DOWNLOAD` (a failed or
 * incomplete download), `ERR_CNN_CHECKSUM_MISMATCH` (a download whose checksum differs). Check with `DataError.isInstance(e)` (works across package copies).
 */
export class DataError extends CnnError {
  /**
   * @param message - What went wrong, naming the dataset, file or option and what was expected.
   * @param options - `code`: the stable code (default `ERR_CNN_DATA`); `cause`: the underlying error.
   */
  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, { code: options?.code ?? 'ERR_CNN_DATA', cause: options?.cause });
  }
}
