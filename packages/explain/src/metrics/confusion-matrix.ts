import { type LabelArray, validateLabelPairs } from './validate-labels.js';

/** Options of {@link confusionMatrix}. */
export interface ConfusionMatrixOptions {
  /**
   * `'true'` divides every row by its sum (recall per class on the diagonal; a class absent from `yTrue` gives a
   * row of zeros, never NaN), like scikit-learn's `normalize='true'`. Default `'none'` (integer counts).
   */
  normalize?: 'none' | 'true';
}

/**
 * Confusion matrix `C` with `C[i][j]` = number of samples whose true class is `i` and predicted class is `j`
 * (scikit-learn's `confusion_matrix(y_true, y_pred, labels=range(numClasses))` convention: rows true, columns
 * predicted). Always `[numClasses, numClasses]`, also when a class never occurs.
 *
 * @param yTrue `[n]` true class indices (integers in `[0, numClasses)`).
 * @param yPred `[n]` predicted class indices.
 * @param numClasses number of classes (> 0).
 * @returns `numClasses` rows of `numClasses` counts (or row fractions with `normalize: 'true'`).
 * @throws ExplainError when the lengths differ or a label is outside `[0, numClasses)`.
 */
export function confusionMatrix(yTrue: LabelArray, yPred: LabelArray, numClasses: number, options: ConfusionMatrixOptions = {}): number[][] {
  validateLabelPairs('confusionMatrix', yTrue, yPred, numClasses);
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) matrix[yTrue[i]][yPred[i]] += 1;
  if ((options.normalize ?? 'none') === 'true') {
    for (const row of matrix) {
      const total = row.reduce((a, b) => a + b, 0);
      for (let j = 0; j < row.length; j++) row[j] = total === 0 ? 0 : row[j] / total;
    }
  }
  return matrix;
}
