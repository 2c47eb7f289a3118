import { ExplainError } from '../errors.js';
import { confusionMatrix } from './confusion-matrix.js';
import { type LabelArray, validateLabels } from './validate-labels.js';

/** Precision, recall, F1 and support of one class. */
export interface ClassMetrics {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Number of samples whose true class is this one. */
  support: number;
}

/** Macro or weighted average over classes; `support` is the total number of samples. */
export interface AverageMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** Result of {@link classificationReport}. */
export interface ClassificationReport {
  classes: ClassMetrics[];
  /** Fraction of samples predicted correctly. */
  accuracy: number;
  /** Unweighted mean over all `numClasses` classes (absent classes included). */
  macroAvg: AverageMetrics;
  /** Mean weighted by support. */
  weightedAvg: AverageMetrics;
}

/** Options of {@link classificationReport}. */
export interface ClassificationReportOptions {
  /** Number of classes; default `classNames.length`, else `max(label) + 1`. */
  numClasses?: number;
  /** One name per class; default `class0`, `class1`, …. */
  classNames?: readonly string[];
  /**
   * Value of precision (no predictions of the class) or recall (no samples of the class) when its denominator is
   * zero: `0` (default, scikit-learn's `'warn'` without the warning) or `1`.
   */
  zeroDivision?: 0 | 1;
}

/**
 * Per-class precision, recall, F1 and support with accuracy and macro/weighted averages — the numbers of
 * scikit-learn's `classification_report(y_true, y_pred, labels=range(numClasses), output_dict=True)`
 * (version 1.2; F1 = 2PR / (P + R), 0 when P + R = 0).
 *
 * @param yTrue `[n]` true class indices.
 * @param yPred `[n]` predicted class indices.
 * @throws ExplainError when the lengths differ, a label is outside `[0, numClasses)`, `classNames` has the
 *   wrong length or `zeroDivision` is not 0 or 1.
 */
export function classificationReport(yTrue: LabelArray, yPred: LabelArray, options: ClassificationReportOptions = {}): ClassificationReport {
  const zeroDivision = options.zeroDivision ?? 0;
  if (zeroDivision !== 0 && zeroDivision !== 1) {
    throw new ExplainError(`classificationReport: zeroDivision must be 0 or 1. Received: zeroDivision=${zeroDivision}`);
  }
  let numClasses = options.numClasses ?? options.classNames?.length;
  if (numClasses === undefined) {
    let max = -1;
    for (const arr of [yTrue, yPred]) {
      validateLabels('classificationReport', arr === yTrue ? 'yTrue' : 'yPred', arr, Number.MAX_SAFE_INTEGER);
      for (let i = 0; i < arr.length; i++) max = Math.max(max, arr[i]);
    }
    numClasses = Math.max(1, max + 1);
  }
  const names = options.classNames ?? Array.from({ length: numClasses }, (_, i) => `class${i}`);
  if (names.length !== numClasses) {
    throw new ExplainError(`classificationReport: classNames has ${names.length} entries but numClasses=${numClasses}`);
  }
  const cm = confusionMatrix(yTrue, yPred, numClasses);
  const n = yTrue.length;
  const classes: ClassMetrics[] = [];
  let correct = 0;
  for (let c = 0; c < numClasses; c++) {
    const tp = cm[c][c];
    correct += tp;
    let predicted = 0;
    for (let r = 0; r < numClasses; r++) predicted += cm[r][c];
    const support = cm[c].reduce((a, b) => a + b, 0);
    const precision = predicted === 0 ? zeroDivision : tp / predicted;
    const recall = support === 0 ? zeroDivision : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    classes.push({ name: names[c], precision, recall, f1, support });
  }
  const mean = (pick: (m: ClassMetrics) => number, weighted: boolean): number => {
    if (weighted) {
      return n === 0 ? zeroDivision : classes.reduce((s, m) => s + pick(m) * m.support, 0) / n;
    }
    return classes.reduce((s, m) => s + pick(m), 0) / numClasses;
  };
  const average = (weighted: boolean): AverageMetrics => ({
    precision: mean((m) => m.precision, weighted),
    recall: mean((m) => m.recall, weighted),
    f1: mean((m) => m.f1, weighted),
    support: n,
  });
  return {
    classes,
    accuracy: n === 0 ? 0 : correct / n,
    macroAvg: average(false),
    weightedAvg: average(true),
  };
}

/** One entry of scikit-learn's `output_dict`. */
export interface SklearnMetricsEntry {
  precision: number;
  recall: number;
  'f1-score': number;
  support: number;
}

/**
 * The report in scikit-learn's `classification_report(..., output_dict=True)` shape: class names, then
 * `accuracy`, `macro avg`, `weighted avg`.
 */
export function reportToSklearnDict(report: ClassificationReport): Record<string, SklearnMetricsEntry | number> {
  const entry = (m: AverageMetrics): SklearnMetricsEntry => ({
    precision: m.precision,
    recall: m.recall,
    'f1-score': m.f1,
    support: m.support,
  });
  const out: Record<string, SklearnMetricsEntry | number> = {};
  for (const c of report.classes) out[c.name] = entry(c);
  out.accuracy = report.accuracy;
  out['macro avg'] = entry(report.macroAvg);
  out['weighted avg'] = entry(report.weightedAvg);
  return out;
}
