import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  applyGradients,
  computeGradients,
  CrossEntropyLoss,
  readModelWeights,
  resolveYieldEvery,
  setModelWeights,
  yieldToEventLoop,
  type Batch,
  type BatchSource,
  type Optimizer,
} from '@cnn/train';
import { rngLayers } from '@cnn/models';
import type { VegaLiteSpec } from '@cnn/core';
import { CallbackError } from './errors.js';

/** Options of {@link lrFind}. */
export interface LRFinderOptions {
  /** First learning rate (> 0). Default `1e-7`. */
  startLr?: number;
  /** Last learning rate (> `startLr`). Default `10`. */
  endLr?: number;
  /** Number of batches / rates (integer >= 2); the first uses `startLr`, the last exactly `endLr`. Default `100`. */
  numIter?: number;
  /** Rate spacing: `'exp'` (geometric, default) or `'linear'`. */
  mode?: 'exp' | 'linear';
  /** Exponential smoothing factor β of the loss in `[0, 1)` (bias-corrected). Default `0.98`. */
  smoothing?: number;
  /** Stop when the smoothed loss exceeds `divergeThreshold ×` its minimum (or a loss is NaN/Inf). Default `5`. */
  divergeThreshold?: number;
  /** The loss (label smoothing, reduction), as `fit`'s. Default `new CrossEntropyLoss()`. */
  loss?: CrossEntropyLoss;
  /**
   * Yield to the event loop (`setTimeout(0)`) after every `yieldEvery` batches (a browser page stays responsive);
   * `0` never. Default: `1` where `globalThis.window` exists, else `0` (as `fit`).
   */
  yieldEvery?: number;
}

/** Suggested learning rates of a range test. */
export interface LRSuggestion {
  /** Rate at the steepest descent of the smoothed loss (most negative finite difference), skipping the ends. */
  steepest?: number;
  /** Index of `steepest` in `lrs`. */
  steepestIndex?: number;
  /** Rate at the minimum smoothed loss, divided by 10 (fastai's rule of thumb). */
  minLossDiv10?: number;
  /** Index of the minimum smoothed loss. */
  minIndex?: number;
}

/** Result of {@link lrFind}. */
export interface LRFinderResult {
  /** Rates tried, in order. */
  lrs: number[];
  /** Raw batch losses. */
  losses: number[];
  /** Bias-corrected exponentially smoothed losses. */
  smoothedLosses: number[];
  /** True when the test stopped early on divergence. */
  diverged: boolean;
  /** Spacing used. */
  mode: 'exp' | 'linear';
  /** Suggestions. */
  suggestion: LRSuggestion;
}

/** The rate of iteration `i` of `n` from `start` to `end`, hitting both ends exactly. */
export function lrAt(i: number, n: number, start: number, end: number, mode: 'exp' | 'linear'): number {
  if (i <= 0) return start;
  if (i >= n - 1) return end;
  const f = i / (n - 1);
  return mode === 'exp' ? start * (end / start) ** f : start + (end - start) * f;
}

/** Steepest-descent and min/10 suggestions from smoothed losses (finite differences over the index). */
export function suggestLr(lrs: number[], smoothed: number[]): LRSuggestion {
  const n = smoothed.length;
  const out: LRSuggestion = {};
  let minIndex = -1;
  for (let i = 0; i < n; i++) if (Number.isFinite(smoothed[i]) && (minIndex < 0 || smoothed[i] < smoothed[minIndex])) minIndex = i;
  if (minIndex >= 0) {
    out.minIndex = minIndex;
    out.minLossDiv10 = lrs[minIndex] / 10;
  }
  if (n >= 3) {
    const skipStart = Math.min(10, Math.floor(n / 10));
    const skipEnd = Math.min(5, Math.floor(n / 20));
    let best = Infinity;
    for (let i = Math.max(1, skipStart); i < n - 1 - skipEnd; i++) {
      const g = (smoothed[i + 1] - smoothed[i - 1]) / 2;
      if (Number.isFinite(g) && g < best) {
        best = g;
        out.steepestIndex = i;
        out.steepest = lrs[i];
      }
    }
  }
  return out;
}

/**
 * The learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural Networks", 2017;
 * the procedure of fastai's `lr_find` / torch-lr-finder): trains one batch per rate from `startLr` to
 * `endLr` over `numIter` batches (re-iterating `loader` when it is shorter), records the raw and
 * smoothed loss, and stops when the smoothed loss exceeds `divergeThreshold ×` its minimum.
 *
 * Afterwards the model weights (all, including batch-norm statistics), the optimizer state (slots, step
 * counter, lr), the RNG state of seeded-dropout layers and the loader's epoch counter are restored
 * bit-exactly from copies taken before the test — also when it diverged or threw.
 *
 * @throws CallbackError on out-of-range options (code `ERR_CNN_INVALID_OPTION`, "Received: …") or a loader that
 *   yields no batches (code `ERR_CNN_NO_BATCHES`).
 */
export async function lrFind(model: tfl.LayersModel, loader: BatchSource, optimizer: Optimizer, opts: LRFinderOptions = {}): Promise<LRFinderResult> {
  const startLr = opts.startLr ?? 1e-7;
  const endLr = opts.endLr ?? 10;
  const numIter = opts.numIter ?? 100;
  const mode = opts.mode ?? 'exp';
  const beta = opts.smoothing ?? 0.98;
  const threshold = opts.divergeThreshold ?? 5;
  if (!(Number.isFinite(startLr) && startLr > 0))
    throw new CallbackError(`lrFind: startLr must be a finite number > 0. Received: startLr=${opts.startLr}`, { code: 'ERR_CNN_INVALID_OPTION' });
  if (!(Number.isFinite(endLr) && endLr > startLr))
    throw new CallbackError(`lrFind: endLr must be a finite number > startLr. Received: endLr=${opts.endLr}`, { code: 'ERR_CNN_INVALID_OPTION' });
  if (!(Number.isInteger(numIter) && numIter >= 2))
    throw new CallbackError(`lrFind: numIter must be an integer >= 2. Received: numIter=${opts.numIter}`, { code: 'ERR_CNN_INVALID_OPTION' });
  if (mode !== 'exp' && mode !== 'linear')
    throw new CallbackError(`lrFind: mode must be 'exp' or 'linear'. Received: mode=${String(opts.mode)}`, { code: 'ERR_CNN_INVALID_OPTION' });
  if (!(beta >= 0 && beta < 1))
    throw new CallbackError(`lrFind: smoothing must be in [0, 1). Received: smoothing=${opts.smoothing}`, { code: 'ERR_CNN_INVALID_OPTION' });
  const yieldEvery = resolveYieldEvery('lrFind', opts.yieldEvery);
  const loss0 = opts.loss ?? new CrossEntropyLoss();
  if (!(loss0 instanceof CrossEntropyLoss))
    throw new CallbackError(`lrFind: loss must be a CrossEntropyLoss. Received: ${String(opts.loss)}`, { code: 'ERR_CNN_INVALID_OPTION' });
  if (!(threshold > 1))
    throw new CallbackError(`lrFind: divergeThreshold must be > 1. Received: divergeThreshold=${opts.divergeThreshold}`, { code: 'ERR_CNN_INVALID_OPTION' });

  // Copies (not references) of everything the test changes.
  const weights = await readModelWeights(model);
  const optState = await optimizer.readState();
  const rng = rngLayers(model).map((l) => [l, structuredClone(l.getRngState())] as const);
  const ld = loader as { epoch?: unknown; setEpoch?: (k: number) => void };
  const loaderEpoch = typeof ld.epoch === 'number' ? ld.epoch : undefined;

  const lrs: number[] = [];
  const losses: number[] = [];
  const smoothedLosses: number[] = [];
  let diverged = false;
  try {
    let avg = 0;
    let best = Infinity;
    let i = 0;
    outer: while (i < numIter) {
      let yielded = 0;
      for await (const b of loader as AsyncIterable<Batch>) {
        yielded += 1;
        const lr = lrAt(i, numIter, startLr, endLr, mode);
        optimizer.lr = lr;
        let loss: number;
        try {
          const g = await computeGradients(model, b.x, b.y, { labelSmoothing: loss0.labelSmoothing, reduction: loss0.reduction });
          try {
            loss = g.loss;
            if (Number.isFinite(loss)) await applyGradients(optimizer, g.grads, g.vars);
          } finally {
            tf.dispose(Object.values(g.grads));
          }
        } finally {
          tf.dispose([b?.x, b?.y].filter((t): t is tf.Tensor => t instanceof tf.Tensor));
        }
        avg = beta * avg + (1 - beta) * loss;
        const smoothed = avg / (1 - beta ** (i + 1));
        lrs.push(lr);
        losses.push(loss);
        smoothedLosses.push(smoothed);
        i += 1;
        if (!Number.isFinite(smoothed) || (i > 1 && smoothed > threshold * best)) {
          diverged = true;
          break outer;
        }
        best = Math.min(best, smoothed);
        if (i >= numIter) break outer;
        if (yieldEvery > 0 && i % yieldEvery === 0) await yieldToEventLoop();
      }
      if (yielded === 0) throw new CallbackError('lrFind: the loader yielded no batches', { code: 'ERR_CNN_NO_BATCHES' });
    }
  } finally {
    setModelWeights(model, weights);
    optimizer.setState(optState);
    for (const [l, s] of rng) l.setRngState(s);
    if (loaderEpoch !== undefined && typeof ld.setEpoch === 'function') ld.setEpoch(loaderEpoch);
  }
  return { lrs, losses, smoothedLosses, diverged, mode, suggestion: suggestLr(lrs, smoothedLosses) };
}

/**
 * The Vega-Lite spec of the range-test plot: smoothed loss against the learning rate (log x axis in
 * `'exp'` mode), raw losses faint, the steepest-descent suggestion marked with a red rule and point.
 */
export function lrFinderSpec(result: LRFinderResult, title = 'Learning-rate range test'): VegaLiteSpec {
  const rows = result.lrs
    .map((lr, i) => ({ lr, loss: result.losses[i], smoothed: result.smoothedLosses[i] }))
    .filter((r) => Number.isFinite(r.loss) && Number.isFinite(r.smoothed));
  const xScale = { type: result.mode === 'exp' ? 'log' : 'linear' };
  const s = result.suggestion;
  const layers: unknown[] = [
    {
      mark: { type: 'line', opacity: 0.3 },
      encoding: { x: { field: 'lr', type: 'quantitative', scale: xScale, title: 'learning rate' }, y: { field: 'loss', type: 'quantitative', title: 'loss' } },
    },
    {
      mark: { type: 'line', strokeWidth: 2 },
      encoding: { x: { field: 'lr', type: 'quantitative', scale: xScale }, y: { field: 'smoothed', type: 'quantitative' } },
    },
  ];
  if (s.steepestIndex !== undefined && Number.isFinite(result.smoothedLosses[s.steepestIndex])) {
    const point = { lr: s.steepest, smoothed: result.smoothedLosses[s.steepestIndex], label: `steepest ${s.steepest!.toExponential(2)}` };
    layers.push(
      {
        data: { values: [point] },
        mark: { type: 'rule', color: 'red', strokeDash: [4, 4] },
        encoding: { x: { field: 'lr', type: 'quantitative', scale: xScale } },
      },
      {
        data: { values: [point] },
        mark: { type: 'point', color: 'red', filled: true, size: 80 },
        encoding: { x: { field: 'lr', type: 'quantitative', scale: xScale }, y: { field: 'smoothed', type: 'quantitative' } },
      },
      {
        data: { values: [point] },
        mark: { type: 'text', color: 'red', align: 'left', dx: 6, dy: -8 },
        encoding: { x: { field: 'lr', type: 'quantitative', scale: xScale }, y: { field: 'smoothed', type: 'quantitative' }, text: { field: 'label' } },
      },
    );
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 480,
    height: 300,
    background: 'white',
    data: { values: rows },
    layer: layers,
  };
}
