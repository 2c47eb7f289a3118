import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { GradientsInfo } from '@cnn/train';
import { Callback } from './base';
import { writeVegaLitePlot, type VegaLiteSpec } from './plot';

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

/** Computes {@link TensorStats} of `t` (NaN/Inf elements are excluded from mean/std/maxAbs). */
export function tensorStats(name: string, t: tf.Tensor): TensorStats {
  const v = t.dataSync() as Float32Array;
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
 * Per-variable gradient mean/std/max-abs with vanishing (`maxAbs < vanishing`) and exploding
 * (`maxAbs > exploding`) flags, as the chapter's `ModelDebugger.check_gradients`.
 */
export function gradientStats(grads: Record<string, tf.Tensor>, thresholds: { vanishing?: number; exploding?: number } = {}): GradientStats[] {
  const lo = thresholds.vanishing ?? 1e-6;
  const hi = thresholds.exploding ?? 100;
  return Object.entries(grads).map(([name, g]) => {
    const s = tensorStats(name, g);
    return { ...s, vanishing: s.maxAbs < lo, exploding: s.maxAbs > hi };
  });
}

/** Statistics of every weight of `model` (trainable and not), in model order. */
export function weightStats(model: tfl.LayersModel): TensorStats[] {
  return model.weights.map((w) => tensorStats(w.originalName, w.read()));
}

/** Names of the model weights holding NaN or ±Infinity, in model order (the chapter's `check_nan_inf`). */
export function findNonFiniteWeights(model: tfl.LayersModel): string[] {
  return weightStats(model).filter((s) => s.nan + s.inf > 0).map((s) => s.name);
}

/** A histogram of one layer's activations. */
export interface ActivationHistogram {
  /** Layer name. */
  layer: string;
  /** Layer class (`Conv2D`, `Dense`). */
  className: string;
  /** `bins + 1` edges. */
  edges: number[];
  /** Counts per bin. */
  counts: number[];
  /** Non-finite activations (not binned). */
  nonFinite: number;
}

/**
 * Histograms of the outputs of every Conv2D and Dense layer of `model` for the batch `x`
 * `[batch, height, width, channels]`, in inference mode (the chapter's forward-hook visualisation).
 * @param bins number of equal-width bins (integer >= 1). Default `50`.
 */
export function activationHistograms(model: tfl.LayersModel, x: tf.Tensor, bins = 50): ActivationHistogram[] {
  if (!(Number.isInteger(bins) && bins >= 1)) throw new Error(`activationHistograms: bins must be an integer >= 1. Received: bins=${bins}`);
  const layers = model.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName()));
  if (layers.length === 0) return [];
  const probe = tfl.model({ inputs: model.inputs, outputs: layers.map((l) => l.output as tfl.SymbolicTensor) });
  const outs = tf.tidy(() => {
    const r = probe.apply(x, { training: false });
    return Array.isArray(r) ? (r as tf.Tensor[]) : [r as tf.Tensor];
  });
  try {
    return layers.map((l, i) => {
      const v = outs[i].dataSync() as Float32Array;
      let lo = Infinity;
      let hi = -Infinity;
      let nonFinite = 0;
      for (const a of v) {
        if (!Number.isFinite(a)) { nonFinite += 1; continue; }
        if (a < lo) lo = a;
        if (a > hi) hi = a;
      }
      if (!(lo <= hi)) { lo = 0; hi = 0; }
      const width = hi > lo ? (hi - lo) / bins : 1;
      const counts = new Array<number>(bins).fill(0);
      for (const a of v) if (Number.isFinite(a)) counts[Math.min(bins - 1, Math.floor((a - lo) / width))] += 1;
      const edges = Array.from({ length: bins + 1 }, (_, k) => lo + k * width);
      return { layer: l.name, className: l.getClassName(), edges, counts, nonFinite };
    });
  } finally {
    tf.dispose(outs);
  }
}

/** Vega-Lite spec: one bar histogram per layer, stacked vertically. */
export function activationHistogramSpec(hists: ActivationHistogram[], title = 'Activation distributions'): VegaLiteSpec {
  const values = hists.flatMap((h) => h.counts.map((c, k) => ({ layer: `${h.layer} (${h.className})`, x0: h.edges[k], x1: h.edges[k + 1], count: c })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title, background: 'white', data: { values },
    facet: { row: { field: 'layer', type: 'nominal', title: null, sort: hists.map((h) => `${h.layer} (${h.className})`) } },
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 420, height: 110,
      mark: { type: 'rect', color: '#4c78a8', opacity: 0.8 },
      encoding: {
        x: { field: 'x0', type: 'quantitative', title: 'activation value' }, x2: { field: 'x1' },
        y: { field: 'count', type: 'quantitative', title: 'frequency' }, y2: { datum: 0 },
      },
    },
  };
}

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
  /** Activation histograms (when `plotDir` is set). */
  activations?: ActivationHistogram[];
  /** PNG written for this report. */
  png?: string;
}

/** Options of {@link ModelDebugger}. */
export interface ModelDebuggerOptions {
  /** Report every N optimizer steps (batches), integer >= 1. Default `100`. */
  every?: number;
  /** Folder for activation-histogram PNGs (`activations-e<epoch>-b<batch>.png` + `.vl.json`). Default: none (no histograms). */
  plotDir?: string;
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
 * (with `plotDir`) writes activation histograms of every Conv2D/Dense layer for the batch as PNG.
 * Reports are kept in {@link ModelDebugger.reports}.
 */
export class ModelDebugger extends Callback {
  /** Period in batches. */
  readonly every: number;
  /** PNG folder. */
  readonly plotDir?: string;
  /** Reports of the current run. */
  reports: DebugReport[] = [];
  private readonly opts: ModelDebuggerOptions;
  private readonly log: (line: string) => void;
  private pending?: DebugReport;
  private count = 0;

  /** @throws Error on a bad `every` or thresholds. */
  constructor(opts: ModelDebuggerOptions = {}) {
    super();
    this.every = opts.every ?? 100;
    if (!(Number.isInteger(this.every) && this.every >= 1)) throw new Error(`ModelDebugger: every must be an integer >= 1. Received: every=${opts.every}`);
    if (opts.vanishing !== undefined && !(opts.vanishing >= 0)) throw new Error(`ModelDebugger: vanishing must be >= 0. Received: vanishing=${opts.vanishing}`);
    if (opts.exploding !== undefined && !(opts.exploding > 0)) throw new Error(`ModelDebugger: exploding must be > 0. Received: exploding=${opts.exploding}`);
    this.plotDir = opts.plotDir;
    this.opts = opts;
    this.log = opts.log ?? console.log;
  }

  onTrainBegin(): void {
    this.reports = [];
    this.count = 0;
    this.pending = undefined;
  }

  onGradients(info: GradientsInfo): void {
    this.count += 1;
    if (this.count % this.every !== 0) return;
    const model = this.context.model;
    const gradients = gradientStats(info.grads, { vanishing: this.opts.vanishing, exploding: this.opts.exploding });
    const weights = weightStats(model);
    const report: DebugReport = {
      epoch: info.epoch, batch: info.batch, gradients, weights,
      nonFiniteWeights: weights.filter((s) => s.nan + s.inf > 0).map((s) => s.name),
      nonFiniteGradients: gradients.filter((s) => s.nan + s.inf > 0).map((s) => s.name),
      ...(this.plotDir ? { activations: activationHistograms(model, info.x, this.opts.bins ?? 50) } : {}),
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

  async onBatchEnd(): Promise<void> {
    const r = this.pending;
    this.pending = undefined;
    if (!r || !this.plotDir || !r.activations?.length) return;
    const png = `${this.plotDir}/activations-e${r.epoch}-b${r.batch}.png`;
    await writeVegaLitePlot(activationHistogramSpec(r.activations, `Activations, epoch ${r.epoch} batch ${r.batch}`), png);
    r.png = png;
  }
}
