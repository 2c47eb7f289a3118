import { ExplainError } from '../errors.js';

/** Integer label sequence accepted by the metrics: `number[]`, `Uint8Array`, `Int32Array`, … */
export type LabelArray = ArrayLike<number>;

/**
 * Checks that `yTrue` and `yPred` have the same length and hold integers in `[0, numClasses)`.
 * @throws ExplainError naming the function, the array and the first bad index.
 */
export function validateLabelPairs(fn: string, yTrue: LabelArray, yPred: LabelArray, numClasses: number): void {
  validateNumClasses(fn, numClasses);
  if (yTrue.length !== yPred.length) {
    throw new ExplainError(`${fn}: yTrue and yPred must have the same length, got yTrue.length=${yTrue.length} and yPred.length=${yPred.length}`);
  }
  validateLabels(fn, 'yTrue', yTrue, numClasses);
  validateLabels(fn, 'yPred', yPred, numClasses);
}

/** @throws ExplainError when `numClasses` is not a positive integer. */
export function validateNumClasses(fn: string, numClasses: number): void {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new ExplainError(`${fn}: numClasses must be a positive integer. Received: numClasses=${numClasses}`);
  }
}

/** @throws ExplainError when an entry of `labels` is not an integer in `[0, numClasses)`. */
export function validateLabels(fn: string, field: string, labels: LabelArray, numClasses: number): void {
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new ExplainError(`${fn}: ${field}[${i}]=${v} is not a class index in [0, ${numClasses}) (numClasses=${numClasses})`);
    }
  }
}
