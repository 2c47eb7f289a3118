/**
 * Histograms of tensors: values, and every layer's activations on a batch (the chapter's forward-hook
 * visualisation; `@cnn/callbacks`' ModelDebugger and `@cnn/explain`'s report both use this one function).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Histogram } from './charts.js';
import { forwardLayers, type GraphNode } from './layer-graph.js';

/**
 * Histogram of the finite values with `bins` equal-width bins over `[min, max]` (a constant array gets the
 * range `[v − 0.5, v + 0.5]`; an array with no finite value gets `[0, 1]` and zero counts). NaN and ±Infinity
 * are counted in `nonFinite`, not binned.
 *
 * @param bins - Number of bins, an integer >= 1. Default `30`.
 * @throws RangeError when `bins` is not a positive integer ("Received: bins=…").
 */
export function histogram(name: string, values: ArrayLike<number>, bins = 30): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`histogram: bins must be a positive integer. Received: bins=${bins}`);
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    } else nonFinite += 1;
  }
  if (min > max) {
    min = 0;
    max = 1;
  } else if (min === max) {
    min -= 0.5;
    max += 0.5;
  }
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => min + i * width);
  return { name, edges, counts, nonFinite };
}

/** Options of {@link activationHistograms}. */
export interface ActivationHistogramsOptions {
  /** Bins per histogram (integer >= 1). Default `30`. */
  bins?: number;
  /** Which layers to include. Default: every layer. E.g. `(n) => ['Conv2D', 'Dense'].includes(n.className)`. */
  filter?: (node: GraphNode) => boolean;
}

/**
 * Histograms of each layer's output on a batch, in inference mode, in execution order; each named
 * `<layer> [h,w,c]` (the output shape without the batch axis).
 *
 * The outputs are read with `await t.data()` (after the forward pass), so it works on backends without synchronous
 * reads (webgpu in Node).
 *
 * @param input - `[batch, height, width, channels]` float32, normalised as the model expects (not disposed).
 * @returns A promise of one histogram per included layer (asynchronous since the webgpu support).
 * @throws The errors of `forwardLayers` (multi-input models, shared layers) and {@link histogram} (as a rejection).
 */
export async function activationHistograms(model: tfl.LayersModel, input: tf.Tensor, options: ActivationHistogramsOptions = {}): Promise<Histogram[]> {
  const bins = options.bins ?? 30;
  const kept: Array<{ name: string; output: tf.Tensor }> = [];
  try {
    tf.tidy(() => {
      forwardLayers(model, input, {
        logits: false,
        onLayer: (name, output, node) => {
          if (options.filter && !options.filter(node)) return;
          kept.push({ name: `${name} ${JSON.stringify(output.shape.slice(1))}`, output: tf.keep(tf.clone(output)) }); // a clone: a layer may return its input
        },
      });
    });
    const out: Histogram[] = [];
    for (const { name, output } of kept) out.push(histogram(name, (await output.data()) as Float32Array, bins));
    return out;
  } finally {
    tf.dispose(kept.map((k) => k.output));
  }
}
