import { histogram, type Histogram } from '@cnn/core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Histograms of every layer's kernel weights (weights of rank ≥ 2: convolution and dense kernels), named
 * `layer (h×w×in×out)`, `bins` equal-width bins (default `30`). Reads the weights with `await t.data()`, so it
 * works on backends without synchronous reads (webgpu in Node).
 * @returns A promise of the histograms in layer order (asynchronous since the webgpu support).
 * @throws RangeError (as a rejection) when `bins` is not a positive integer (`histogram` of `@cnn/core`).
 */
export async function weightHistograms(model: tfl.LayersModel, bins = 30): Promise<Histogram[]> {
  const out: Histogram[] = [];
  for (const layer of model.layers) {
    for (const weight of layer.weights) {
      if (weight.shape.length < 2) continue;
      const value = weight.read();
      out.push(histogram(`${layer.name} (${weight.shape.join('×')})`, (await value.data()) as Float32Array, bins));
    }
  }
  return out;
}
