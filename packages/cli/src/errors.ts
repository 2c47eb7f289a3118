import { CnnError } from '@cnn/core';

/**
 * A bad command line or option value (unknown flag, value out of range, a path that holds no model): the `cnn`
 * command prints `error: MESSAGE` and exits with status 2. Code `ERR_CNN_USAGE`.
 */
export class UsageError extends CnnError {
  /** @param message - Names the flag or path and what was expected, e.g. `--valid-pct must be in (0, 1), got "1.5"`. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: 'ERR_CNN_USAGE' });
  }
}

/** Exit status of the `cnn` command for `error`: 2 for a {@link UsageError} (bad command line), 1 for any other failure. */
export function exitCodeOf(error: unknown): 1 | 2 {
  return UsageError.isInstance(error) ? 2 : 1;
}
