import { describe, expect, it } from 'vitest';
import { interleavedRatio, ratio, spread } from './bench.js';

describe('bench statistics', () => {
  it('spread: median of odd and even counts, min, max', () => {
    expect(spread([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(spread([4, 1, 2, 3])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(spread([1.234])).toEqual({ median: 1.23, min: 1.23, max: 1.23 });
  });

  it('spread rejects empty and non-finite input', () => {
    expect(() => spread([])).toThrow(/non-empty list of finite numbers/);
    expect(() => spread([1, NaN])).toThrow(/Received: \[1, NaN\]/);
  });

  it('interleavedRatio alternates ours and the reference and divides round by round', async () => {
    const calls: string[] = [];
    const res = await interleavedRatio(
      3,
      (r) => {
        calls.push(`ours${r}`);
        return [10, 30, 20][r]!;
      },
      (r) => {
        calls.push(`ref${r}`);
        return [5, 10, 4][r];
      },
    );
    expect(calls).toEqual(['ours0', 'ref0', 'ours1', 'ref1', 'ours2', 'ref2']);
    expect(res).toEqual({ ratios: [2, 3, 5], spread: { median: 3, min: 2, max: 5 } });
  });

  it('interleavedRatio gives undefined when the reference is unavailable', async () => {
    expect(
      await interleavedRatio(
        2,
        () => 1,
        () => undefined,
      ),
    ).toBeUndefined();
  });

  it('ratio rounds to 2 decimals', () => {
    expect(ratio(2, 3)).toBe(0.67);
  });
});
