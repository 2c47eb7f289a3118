import { histogram, type Histogram } from '@cnn/core';
import type * as tfl from '@tensorflow/tfjs-layers';

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
