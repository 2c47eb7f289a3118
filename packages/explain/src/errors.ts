const MARKER = Symbol.for('@cnn/explain.ExplainError');

/**
 * Base error of `@cnn/explain`: every bad input (mismatched lengths, out-of-range labels, unknown layer names,
 * incomplete run directories) throws one of these with a message naming the field and what was expected.
 *
 * Use {@link ExplainError.isInstance} rather than `instanceof` when the error may cross package copies
 * (ESM and CJS builds loaded side by side).
 */
export class ExplainError extends Error {
  private readonly [MARKER] = true;

  constructor(message: string) {
    super(message);
    this.name = 'ExplainError';
  }

  /** `true` when `error` is an {@link ExplainError} from any copy of this package. */
  static isInstance(error: unknown): error is ExplainError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
