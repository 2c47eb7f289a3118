import { describe, expect, it } from 'vitest';
import { benchmark, formatBenchTable, percentile } from './bench.js';

describe('bench helpers', () => {
  it('percentile interpolates like numpy', () => {
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8, 12);
    expect(() => percentile([], 0.5)).toThrow(/no values/);
  });

  it('benchmark counts warm-up and timed calls; table shows ratios vs ONNX Runtime', async () => {
    let calls = 0;
    const r = await benchmark(
      'x',
      'm',
      8,
      () => {
        calls++;
      },
      { warmup: 2, iterations: 5 },
    );
    expect(calls).toBe(7);
    expect(r.iterations).toBe(5);
    const table = formatBenchTable([
      { runtime: 'onednn', model: 'm', batch: 1, iterations: 5, p50Ms: 1, p95Ms: 2, imgPerSec: 1000 },
      { runtime: 'onnxruntime', model: 'm', batch: 1, iterations: 5, p50Ms: 2, p95Ms: 2, imgPerSec: 500 },
    ]);
    expect(table.split('\n')[2]).toBe('| m | onednn | 1 | 1.00 | 2.00 | 1,000 | 2.00× |');
  });
});
