import { CnnError } from '@cnn/core';
import { describe, expect, it } from 'vitest';
import { ExplainError } from './errors.js';
import { topKAccuracy } from './metrics/top-k-accuracy.js';

describe('ExplainError', () => {
  it('a bad k: ExplainError with code ERR_CNN_EXPLAIN', () => {
    const err = (() => {
      try {
        topKAccuracy([0.1, 0.9], [1], 0);
      } catch (e) {
        return e;
      }
    })();
    expect(ExplainError.isInstance(err)).toBe(true);
    expect(CnnError.isInstance(err)).toBe(true);
    expect((err as ExplainError).code).toBe('ERR_CNN_EXPLAIN');
    expect((err as Error).message).toBe('topKAccuracy: k must be a positive integer. Received: k=0');
  });
});
