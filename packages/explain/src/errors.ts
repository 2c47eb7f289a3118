import { CnnError } from '@cnn/core';

/**
 * Base error of `@cnn/explain`: every bad input (mismatched lengths, out-of-range labels, unknown layer names,
 * incomplete run directories) throws one of these with a message naming the field and what was expected.
 *
 * Use {@link ExplainError.isInstance} rather than `instanceof` when the error may cross package copies
 * (ESM and CJS builds loaded side by side); `CnnError.isInstance` recognises the errors of every `@cnn` package.
 */
export class ExplainError extends CnnError {}
