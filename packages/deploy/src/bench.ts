import { DeployError } from './errors.js';

/** Options of {@link benchmark}. */
export interface BenchOptions {
  /** Untimed calls first. Default `3`. */
  warmup?: number;
  /** Timed calls. Default `20`. */
  iterations?: number;
  /** Stop timing after this many seconds (at least 3 timed calls run). Default `Infinity`. */
  maxSeconds?: number;
}

/** One benchmark row. */
export interface BenchResult {
  /** What ran, e.g. `onednn`, `onnxruntime`. */
  runtime: string;
  /** Model name. */
  model: string;
  /** Images per call. */
  batch: number;
  /** Timed calls. */
  iterations: number;
  /** Median latency of one call, milliseconds. */
  p50Ms: number;
  /** 95th-percentile latency, milliseconds. */
  p95Ms: number;
  /** `batch / median seconds`, images per second. */
  imgPerSec: number;
}

/** The `q`-quantile (0–1) of `values` by linear interpolation between order statistics (numpy's default). */
export function percentile(values: readonly number[], q: number): number {
  if (!values.length) throw new DeployError('percentile: no values');
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/**
 * Times `run` (one inference call on a batch of `batch` images, awaited; it must synchronise, e.g. read
 * the output) after `warmup` untimed calls, and reports p50/p95 latency (ms) and throughput (img/s at
 * the median).
 */
export async function benchmark(
  runtime: string,
  model: string,
  batch: number,
  run: () => unknown | Promise<unknown>,
  opts: BenchOptions = {},
): Promise<BenchResult> {
  const warmup = opts.warmup ?? 3;
  const iterations = opts.iterations ?? 20;
  const maxSeconds = opts.maxSeconds ?? Infinity;
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
    if (times.length >= 3 && (performance.now() - start) / 1000 > maxSeconds) break;
  }
  const p50 = percentile(times, 0.5);
  return { runtime, model, batch, iterations: times.length, p50Ms: p50, p95Ms: percentile(times, 0.95), imgPerSec: batch / (p50 / 1000) };
}

/** A Markdown table of benchmark rows, with `ours / ONNX Runtime` throughput ratios per model and batch. */
export function formatBenchTable(rows: readonly BenchResult[], reference = 'onnxruntime'): string {
  const ref = new Map(rows.filter((r) => r.runtime === reference).map((r) => [`${r.model}|${r.batch}`, r.imgPerSec]));
  const lines = ['| model | runtime | batch | p50 ms | p95 ms | img/s | vs ORT |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const base = ref.get(`${r.model}|${r.batch}`);
    const ratio = base && r.runtime !== reference ? `${(r.imgPerSec / base).toFixed(r.imgPerSec / base < 0.1 ? 3 : 2)}×` : '';
    lines.push(
      `| ${r.model} | ${r.runtime} | ${r.batch} | ${r.p50Ms.toFixed(2)} | ${r.p95Ms.toFixed(2)} | ${Math.round(r.imgPerSec).toLocaleString('en-US')} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}
