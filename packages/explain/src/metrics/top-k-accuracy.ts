import { ExplainError } from '../errors.js';
import { type LabelArray, validateLabels } from './validate-labels.js';

/**
 * Top-k accuracy: the fraction of samples whose true class is among the `k` highest scores (scikit-learn's
 * `top_k_accuracy_score`). A tie with the true class's score counts in its favour.
 *
 * @param scores `[n, numClasses]` row-major scores (probabilities or logits), float.
 * @param yTrue `[n]` true class indices.
 * @param k number of top classes considered, `1 <= k`; `k >= numClasses` gives 1.
 * @throws ExplainError when `scores.length` is not a multiple of `yTrue.length`, a label is out of range or `k`
 *   is not a positive integer.
 */
export function topKAccuracy(scores: ArrayLike<number>, yTrue: LabelArray, k: number): number {
  const n = yTrue.length;
  if (!Number.isInteger(k) || k < 1) throw new ExplainError(`topKAccuracy: k must be a positive integer. Received: k=${k}`);
  if (n === 0) throw new ExplainError('topKAccuracy: yTrue is empty');
  if (scores.length % n !== 0 || scores.length === 0) {
    throw new ExplainError(`topKAccuracy: scores must be [n, numClasses] with n=yTrue.length=${n}, got ${scores.length} values`);
  }
  const numClasses = scores.length / n;
  validateLabels('topKAccuracy', 'yTrue', yTrue, numClasses);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const row = i * numClasses;
    const target = scores[row + yTrue[i]];
    let above = 0;
    for (let c = 0; c < numClasses; c++) if (scores[row + c] > target) above++;
    if (above < k) hits++;
  }
  return hits / n;
}

/** Accuracy of one class (its recall) and its number of samples; `accuracy` is `null` when `support` is 0. */
export interface PerClassAccuracy {
  name: string;
  accuracy: number | null;
  support: number;
}

/**
 * Accuracy per true class: correct predictions of class `c` divided by the samples of class `c`.
 * @param classNames one name per class; `numClasses = classNames.length`.
 * @throws ExplainError on mismatched lengths or out-of-range labels.
 */
export function perClassAccuracy(yTrue: LabelArray, yPred: LabelArray, classNames: readonly string[]): PerClassAccuracy[] {
  const numClasses = classNames.length;
  if (yTrue.length !== yPred.length) {
    throw new ExplainError(`perClassAccuracy: yTrue and yPred must have the same length, got ${yTrue.length} and ${yPred.length}`);
  }
  validateLabels('perClassAccuracy', 'yTrue', yTrue, numClasses);
  validateLabels('perClassAccuracy', 'yPred', yPred, numClasses);
  const correct = new Array<number>(numClasses).fill(0);
  const support = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < yTrue.length; i++) {
    support[yTrue[i]]++;
    if (yTrue[i] === yPred[i]) correct[yTrue[i]]++;
  }
  return classNames.map((name, c) => ({
    name,
    accuracy: support[c] === 0 ? null : correct[c] / support[c],
    support: support[c],
  }));
}
