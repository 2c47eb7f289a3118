import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { forwardLayers } from '../cam/layer-graph.js';
import type { Histogram } from '../render/charts.js';
import { ExplainError } from '../errors.js';

/**
 * Histogram of finite values with `bins` equal-width bins over `[min, max]` (a constant array gets the range
 * `[v − 0.5, v + 0.5]`). Non-finite values are skipped.
 * @throws ExplainError when `bins` is not a positive integer or no value is finite.
 */
export function histogram(name: string, values: ArrayLike<number>, bins = 30): Histogram {
  if (!Number.isInteger(bins) || bins < 1) throw new ExplainError(`histogram: bins must be a positive integer. Received: bins=${bins}`);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min > max) throw new ExplainError(`histogram: '${name}' has no finite value`);
  if (min === max) {
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
  return { name, edges, counts };
}

/**
 * Histograms of every layer's kernel weights (weights of rank ≥ 2: convolution and dense kernels), named
 * `layer/weight`.
 */
export function weightHistograms(model: tfl.LayersModel, bins = 30): Histogram[] {
  const out: Histogram[] = [];
  for (const layer of model.layers) {
    for (const weight of layer.weights) {
      if (weight.shape.length < 2) continue;
      const value = weight.read();
      out.push(histogram(`${layer.name} (${weight.shape.join('×')})`, value.dataSync(), bins));
    }
  }
  return out;
}

/**
 * Histograms of each layer's output on a batch (inference mode), one per layer with a single output.
 * @param input `[batch, height, width, channels]` float32, normalised as the model expects.
 */
export function activationHistograms(model: tfl.LayersModel, input: tf.Tensor4D, bins = 30): Histogram[] {
  const out: Histogram[] = [];
  tf.tidy(() => {
    forwardLayers(model, input, {
      logits: false,
      onLayer: (name, output) => out.push(histogram(`${name} ${JSON.stringify(output.shape.slice(1))}`, output.dataSync(), bins)),
    });
  });
  return out;
}
