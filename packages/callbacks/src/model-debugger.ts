import { activationHistograms, histogramsSpec, type Histogram, type VegaLiteSpec } from '@cnn/core';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Callback, type GradientsInfo } from '@cnn/train';
import { CallbackError } from './errors.js';

/** Statistics of one tensor. */
export interface TensorStats {
  /** Variable name (`conv1/kernel`). */
  name: string;
  /** Mean. */
  mean: number;
  /** Standard deviation (unbiased, as `torch.Tensor.std`; 0 for one element). */
  std: number;
  /** Largest absolute value. */
  maxAbs: number;
  /** Count of NaN elements. */
  nan: number;
  /** Count of ±Infinity elements. */
  inf: number;
}

/** Gradient statistics with the chapter's warnings. */
export interface GradientStats extends TensorStats {
  /** `maxAbs < vanishingThreshold` (default `1e-6`). */
  vanishing: boolean;
  /** `maxAbs > explodingThreshold` (default `100`). */
  exploding: boolean;
}

/** Mean/std/max-abs/NaN/Inf counts of `v` (NaN/Inf elements excluded from mean/std/maxAbs). */
function statsOf(name: string, v: ArrayLike<number>): TensorStats {
  let n = 0;
  let sum = 0;
  let maxAbs = 0;
  let nan = 0;
  let inf = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (Number.isNaN(x)) nan += 1;
    else if (!Number.isFinite(x)) inf += 1;
    else {
      n += 1;
      sum += x;
      if (Math.abs(x) > maxAbs) maxAbs = Math.abs(x);
    }
  }
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) ss += (v[i] - mean) ** 2;
  return { name, mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, maxAbs, nan, inf };
}

/**
 * Computes {@link TensorStats} of `t` (any shape; NaN/Inf elements are excluded from mean/std/maxAbs). Reads
 * `t` with `await t.data()`, so it works on backends without synchronous reads (webgpu in Node); `t` is not
 * disposed.
 */
export async function tensorStats(name: string, t: tf.Tensor): Promise<TensorStats> {
  return statsOf(name, (await t.data()) as Float32Array);
}

/**
 * Per-variable gradient mean/std/max-abs with vanishing (`maxAbs < vanishing`, default `1e-6`) and exploding
 * (`maxAbs > exploding`, default `100`) flags, as the chapter's `ModelDebugger.check_gradients`. Reads
 * asynchronously (see {@link tensorStats}).
 */
export async function gradientStats(grads: Record<string, tf.Tensor>, thresholds: { vanishing?: number; exploding?: number } = {}): Promise<GradientStats[]> {
  const lo = thresholds.vanishing ?? 1e-6;
  const hi = thresholds.exploding ?? 100;
  return Promise.all(
    Object.entries(grads).map(async ([name, g]) => {
      const s = await tensorStats(name, g);
      return { ...s, vanishing: s.maxAbs < lo, exploding: s.maxAbs > hi };
    }),
  );
}

/** Statistics of every weight of `model` (trainable and not), in model order; reads asynchronously. */
export async function weightStats(model: tfl.LayersModel): Promise<TensorStats[]> {
  return Promise.all(model.weights.map((w) => tensorStats(w.originalName, w.read())));
}

/** Names of the model weights holding NaN or ±Infinity, in model order (the chapter's `check_nan_inf`); reads asynchronously. */
export async function findNonFiniteWeights(model: tfl.LayersModel): Promise<string[]> {
  return (await weightStats(model)).filter((s) => s.nan + s.inf > 0).map((s) => s.name);
}

/**
 * Where {@link ModelDebugger} sends its activation charts: receives a Vega-Lite spec and a file-safe name
 * (`activations-e<epoch>-b<batch>`), returns where it went (a path, a URL) or nothing. `@cnn/core/node`'s
 * `chartFolder(dir)` writes `<dir>/<name>.png` + `.vl.json`; in a page, render with `renderChartSvg`.
 */
export type ChartSink = (spec: VegaLiteSpec, name: string) => Promise<string | undefined | void>;

/** One debugger report. */
export interface DebugReport {
  /** 1-based epoch. */
  epoch: number;
  /** 1-based batch. */
  batch: number;
  /** Gradient statistics. */
  gradients: GradientStats[];
  /** Weight statistics. */
  weights: TensorStats[];
  /** Weights with NaN/Inf. */
  nonFiniteWeights: string[];
  /** Gradients with NaN/Inf. */
  nonFiniteGradients: string[];
  /** Activation histograms of the Conv2D and Dense layers (when `charts` is set). */
  activations?: Histogram[];
  /** Where `charts` put this report's chart. */
  chart?: string;
}

/** Options of {@link ModelDebugger}. */
export interface ModelDebuggerOptions {
  /** Report every N optimizer steps (batches), integer >= 1. Default `100`. */
  every?: number;
  /**
   * Where activation-histogram charts go (see {@link ChartSink}; in Node `chartFolder(dir)` from
   * `@cnn/core/node`). Default: none (no histograms).
   */
  charts?: ChartSink;
  /** Vanishing threshold on max-abs gradient. Default `1e-6`. */
  vanishing?: number;
  /** Exploding threshold on max-abs gradient. Default `100`. */
  exploding?: number;
  /** Line sink. Default `console.log`. */
  log?: (line: string) => void;
  /** Histogram bins. Default `50`. */
  bins?: number;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toExponential(3).padStart(11) : String(x).padStart(11);
}

/**
 * The chapter's `ModelDebugger` as a callback: every `every` batches, on that batch's gradients
 * (before clipping and the update) it logs per-variable gradient mean/std/max-abs with vanishing
 * (`< 1e-6`) and exploding (`> 100`) warnings, weight statistics, the variables holding NaN/Inf, and
 * (with `charts`) sends activation histograms of every Conv2D/Dense layer for the batch as a chart.
 * Reports are kept in {@link ModelDebugger.reports}. Every read is asynchronous (`await t.data()`), so it runs on
 * backends without synchronous reads (webgpu in Node).
 */
export class ModelDebugger extends Callback {
  /** Period in batches. */
  readonly every: number;
  /** Chart sink. */
  readonly charts?: ChartSink;
  /** Reports of the current run. */
  reports: DebugReport[] = [];
  private readonly opts: ModelDebuggerOptions;
  private readonly log: (line: string) => void;
  private pending?: DebugReport;
  private count = 0;

  /** @throws CallbackError (code `ERR_CNN_INVALID_OPTION`) on a bad `every` or thresholds. */
  constructor(opts: ModelDebuggerOptions = {}) {
    super();
    this.every = opts.every ?? 100;
    if (!(Number.isInteger(this.every) && this.every >= 1))
      throw new CallbackError(`ModelDebugger: every must be an integer >= 1. Received: every=${opts.every}`, { code: 'ERR_CNN_INVALID_OPTION' });
    if (opts.vanishing !== undefined && !(opts.vanishing >= 0))
      throw new CallbackError(`ModelDebugger: vanishing must be >= 0. Received: vanishing=${opts.vanishing}`, { code: 'ERR_CNN_INVALID_OPTION' });
    if (opts.exploding !== undefined && !(opts.exploding > 0))
      throw new CallbackError(`ModelDebugger: exploding must be > 0. Received: exploding=${opts.exploding}`, { code: 'ERR_CNN_INVALID_OPTION' });
    this.charts = opts.charts;
    this.opts = opts;
    this.log = opts.log ?? console.log;
  }

  override onTrainBegin(): void {
    this.reports = [];
    this.count = 0;
    this.pending = undefined;
  }

  override async onGradients(info: GradientsInfo): Promise<void> {
    this.count += 1;
    if (this.count % this.every !== 0) return;
    const model = this.context.model;
    const gradients = await gradientStats(info.grads, { vanishing: this.opts.vanishing, exploding: this.opts.exploding });
    const weights = await weightStats(model);
    const report: DebugReport = {
      epoch: info.epoch,
      batch: info.batch,
      gradients,
      weights,
      nonFiniteWeights: weights.filter((s) => s.nan + s.inf > 0).map((s) => s.name),
      nonFiniteGradients: gradients.filter((s) => s.nan + s.inf > 0).map((s) => s.name),
      ...(this.charts
        ? {
            activations: await activationHistograms(model, info.x, {
              bins: this.opts.bins ?? 50,
              filter: (n) => n.className === 'Conv2D' || n.className === 'Dense',
            }),
          }
        : {}),
    };
    const lines = [`=== ModelDebugger: epoch ${info.epoch}, batch ${info.batch} ===`, '--- gradients (mean, std, max|g|) ---'];
    for (const g of gradients) {
      lines.push(`${g.name.padEnd(30)} ${fmt(g.mean)} ${fmt(g.std)} ${fmt(g.maxAbs)}`);
      if (g.vanishing) lines.push(`  WARNING: vanishing gradient in ${g.name} (max |g| ${g.maxAbs} < ${this.opts.vanishing ?? 1e-6})`);
      if (g.exploding) lines.push(`  WARNING: exploding gradient in ${g.name} (max |g| ${g.maxAbs} > ${this.opts.exploding ?? 100})`);
    }
    lines.push('--- weights (mean, std) ---');
    for (const w of weights) lines.push(`${w.name.padEnd(30)} ${fmt(w.mean)} ${fmt(w.std)}`);
    const bad = [...report.nonFiniteGradients.map((n) => `gradient ${n}`), ...report.nonFiniteWeights.map((n) => `weight ${n}`)];
    lines.push(bad.length ? `NaN/Inf detected in: ${bad.join(', ')}` : 'No NaN/Inf detected');
    for (const l of lines) this.log(l);
    this.reports.push(report);
    this.pending = report;
  }

  override async onBatchEnd(): Promise<void> {
    const r = this.pending;
    this.pending = undefined;
    if (!r || !this.charts || !r.activations?.length) return;
    const where = await this.charts(histogramsSpec(`Activations, epoch ${r.epoch} batch ${r.batch}`, r.activations), `activations-e${r.epoch}-b${r.batch}`);
    if (typeof where === 'string') r.chart = where;
  }
}
