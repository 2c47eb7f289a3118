import type * as tfl from '@tensorflow/tfjs-layers';
import { UnsupportedLayerError } from './errors.js';

export { layerGraph, type GraphNode, type LayerGraph } from '@cnn/core';

type Layer = tfl.layers.Layer;

/** Class names treated as identity at inference time (dropout and noise layers). */
export const INFERENCE_IDENTITY_CLASSES: ReadonlySet<string> = new Set([
  'Dropout',
  'SeededDropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianDropout',
  'GaussianNoise',
  'AlphaDropout',
]);

/** Class names of batch-normalisation layers (ours: `BatchNorm`; tfjs-layers: `BatchNormalization`). */
export const BATCH_NORM_CLASSES: ReadonlySet<string> = new Set(['BatchNorm', 'BatchNormalization']);

/** The affine parameters of an inference-mode batch-norm layer over the last axis. */
export interface BatchNormParams {
  gamma: Float64Array;
  beta: Float64Array;
  mean: Float64Array;
  variance: Float64Array;
  epsilon: number;
}

/**
 * Reads an inference-mode batch norm's parameters (`gamma`, `beta` default to ones/zeros when the layer
 * has no scale/center), in float64.
 *
 * @throws UnsupportedLayerError when the layer normalises another axis than the last one.
 */
export function batchNormParams(layer: Layer, where: string): BatchNormParams {
  const cfg = layer.getConfig() as Record<string, unknown>;
  const axis = cfg['axis'];
  if (axis !== undefined && axis !== -1) {
    const rank = (layer.inboundNodes[0]?.inputShapes as number[] | undefined)?.length;
    if (!(rank !== undefined && axis === rank - 1)) {
      throw new UnsupportedLayerError(where, layer.name, layer.getClassName(), `only the last (channel) axis is supported, got axis=${String(axis)}`);
    }
  }
  const values = layer.getWeights();
  const byName = new Map<string, Float64Array>();
  layer.weights.forEach((v, i) => {
    const key = (v.originalName ?? v.name).split('/').pop()!.replace(/_\d+$/, '');
    byName.set(key, Float64Array.from(values[i]!.dataSync()));
  });
  const mean = byName.get('moving_mean');
  const variance = byName.get('moving_variance');
  if (!mean || !variance) {
    throw new UnsupportedLayerError(where, layer.name, layer.getClassName(), 'no moving_mean/moving_variance weights');
  }
  return {
    gamma: byName.get('gamma') ?? new Float64Array(mean.length).fill(1),
    beta: byName.get('beta') ?? new Float64Array(mean.length),
    mean,
    variance,
    epsilon: Number(cfg['epsilon'] ?? 1e-3),
  };
}

/**
 * Explicit padding `[top, left, bottom, right]` reproducing tfjs' `'same'` / `'valid'` for a window of
 * `kernel` (with `dilations`) moved by `strides` over `inHW` (`[height, width]`): `'same'` puts the odd pixel
 * at the bottom / right, as TensorFlow does (ONNX `pads` order).
 */
export function pads2d(padding: string, inHW: number[], kernel: number[], strides: number[], dilations: number[]): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const before: number[] = [];
  const after: number[] = [];
  for (let d = 0; d < 2; d++) {
    const effK = (kernel[d]! - 1) * dilations[d]! + 1;
    const out = Math.ceil(inHW[d]! / strides[d]!);
    const total = Math.max((out - 1) * strides[d]! + effK - inHW[d]!, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  }
  return [...before, ...after];
}
