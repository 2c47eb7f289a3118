// Test helper (not exported from the package entry): element-wise closeness with the failing index named.
import { expect } from 'vitest';

/** Expects `actual` to have `expected`'s length and every element within `tol` (absolute) of it. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThan(tol);
  }
}
