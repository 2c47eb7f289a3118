import { describe, expect, it } from 'vitest';
// biome-ignore lint/correctness/useImportExtensions: a JSON fixture keeps its own extension
import fixtures from '../__fixtures__/classification-report.json';
import { ExplainError } from '../errors.js';
import { classificationReport, reportToSklearnDict, type SklearnMetricsEntry } from './classification-report.js';
import { confusionMatrix } from './confusion-matrix.js';
import { perClassAccuracy, topKAccuracy } from './top-k-accuracy.js';

interface ReportCase {
  name: string;
  yTrue: number[];
  yPred: number[];
  numClasses: number;
  classNames: string[];
  zeroDivision: 0 | 1;
  report: Record<string, SklearnMetricsEntry | number>;
  confusion: number[][];
  confusionNormalized: number[][];
}

const cases = fixtures.cases as unknown as ReportCase[];

describe('classificationReport vs scikit-learn', () => {
  it('has at least 5 fixture cases, including a class absent from predictions and one absent from labels', () => {
    expect(cases.length).toBeGreaterThanOrEqual(5);
    const absentFromPred = cases.some((c) => c.classNames.some((_, k) => c.yTrue.includes(k) && !c.yPred.includes(k)));
    const absentFromTrue = cases.some((c) => c.classNames.some((_, k) => !c.yTrue.includes(k) && c.yPred.includes(k)));
    expect(absentFromPred && absentFromTrue).toBe(true);
  });

  for (const c of cases) {
    it(`matches ${c.name} to 4 decimals`, () => {
      const report = classificationReport(c.yTrue, c.yPred, {
        numClasses: c.numClasses,
        classNames: c.classNames,
        zeroDivision: c.zeroDivision,
      });
      const ours = reportToSklearnDict(report);
      for (const name of [...c.classNames, 'macro avg', 'weighted avg']) {
        const expected = c.report[name] as SklearnMetricsEntry;
        const actual = ours[name] as SklearnMetricsEntry;
        for (const key of ['precision', 'recall', 'f1-score', 'support'] as const) {
          expect(actual[key], `${name}.${key}`).toBeCloseTo(expected[key], 4);
        }
      }
      // scikit-learn prints "micro avg" instead of "accuracy" when a listed class is absent; both equal accuracy.
      const accuracy = (c.report.accuracy as number | undefined) ?? (c.report['micro avg'] as SklearnMetricsEntry).precision;
      expect(report.accuracy).toBeCloseTo(accuracy, 4);
    });
  }
});

describe('confusionMatrix', () => {
  for (const c of cases) {
    it(`matches scikit-learn counts and row-normalised values on ${c.name}`, () => {
      expect(confusionMatrix(c.yTrue, c.yPred, c.numClasses)).toEqual(c.confusion);
      const normalized = confusionMatrix(c.yTrue, c.yPred, c.numClasses, { normalize: 'true' });
      normalized.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(c.confusionNormalized[i][j], 10)));
    });
  }

  it('is numClasses × numClasses even when classes never occur', () => {
    expect(confusionMatrix(new Uint8Array([1, 1]), new Uint8Array([1, 0]), 4)).toEqual([
      [0, 0, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
  });

  it('rejects mismatched lengths and out-of-range labels with clear errors', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(/same length.*yTrue.length=2.*yPred.length=1/);
    expect(() => confusionMatrix([0, 2], [0, 1], 2)).toThrow(/yTrue\[1\]=2 is not a class index in \[0, 2\)/);
    expect(() => classificationReport([0, 1], [0, 5], { numClasses: 3 })).toThrow(ExplainError);
    expect(() => classificationReport([0, 1], [0, 1], { classNames: ['a', 'b', 'c'], numClasses: 2 })).toThrow(/classNames has 3/);
  });
});

describe('topKAccuracy', () => {
  for (const c of fixtures.topK) {
    it(`matches scikit-learn top_k_accuracy_score (${c.name})`, () => {
      expect(topKAccuracy(c.scores, c.yTrue, c.k)).toBeCloseTo(c.accuracy, 10);
    });
  }

  it('is 1 when k >= numClasses and checks its arguments', () => {
    expect(topKAccuracy([0.1, 0.9, 0.8, 0.2], [0, 1], 2)).toBe(1);
    expect(topKAccuracy([0.1, 0.9, 0.8, 0.2], [0, 1], 1)).toBe(0);
    expect(() => topKAccuracy([0.1, 0.9, 0.8], [0, 1], 1)).toThrow(/\[n, numClasses\]/);
    expect(() => topKAccuracy([0.1, 0.9], [0], 0)).toThrow(/k must be a positive integer/);
  });
});

describe('perClassAccuracy', () => {
  it('gives recall per class and null for a class without samples', () => {
    expect(perClassAccuracy([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], ['a', 'b', 'c'])).toEqual([
      { name: 'a', accuracy: 0.5, support: 2 },
      { name: 'b', accuracy: 2 / 3, support: 3 },
      { name: 'c', accuracy: null, support: 0 },
    ]);
  });
});
