import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { UnsupportedLayerError } from './errors';

type Layer = tfl.layers.Layer;

/** One layer of a model in topological order, with the names of the layers feeding it. */
export interface GraphNode {
  /** The layer object. */
  layer: Layer;
  /** `layer.name`; also the name of the value it produces. */
  name: string;
  /** `layer.getClassName()`, e.g. `Conv2D`, `BatchNorm`, `SeededDropout`. */
  className: string;
  /** Names of the producing layers (or model inputs), in argument order. */
  inputs: string[];
  /** Output shape with the batch axis as `null`, e.g. `[null, 28, 28, 32]`. */
  outputShape: (number | null)[];
  /** Input shapes, one per input, batch axis `null`. */
  inputShapes: (number | null)[][];
}

/** A model flattened into a single-output-per-layer DAG (Sequential and functional models). */
export interface LayerGraph {
  /** Model inputs: value name and shape (batch axis `null`). */
  inputs: { name: string; shape: (number | null)[]; dtype: tf.DataType }[];
  /** Layers in topological order, input layers excluded. */
  nodes: GraphNode[];
  /** Names of the values the model returns. */
  outputs: string[];
  /** How many nodes (plus model outputs) read each value. */
  consumers: Map<string, number>;
}

function shapeOf(s: unknown): (number | null)[] {
  return (Array.isArray(s) && Array.isArray(s[0]) ? s[0] : s) as (number | null)[];
}

/**
 * Flattens a tfjs-layers model into a {@link LayerGraph}.
 *
 * @throws UnsupportedLayerError naming the layer when a layer is shared (called more than once), is a
 *   nested model, or produces more than one output.
 */
export function layerGraph(model: tfl.LayersModel, where = 'layerGraph'): LayerGraph {
  const inputs = model.inputs.map((t) => ({ name: t.sourceLayer.name, shape: t.shape as (number | null)[], dtype: t.dtype }));
  const inputNames = new Set(inputs.map((i) => i.name));
  const nodes: GraphNode[] = [];
  const consumers = new Map<string, number>();
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (inputNames.has(layer.name) || className === 'InputLayer') continue;
    if ('layers' in layer && Array.isArray((layer as unknown as { layers: unknown }).layers)) {
      throw new UnsupportedLayerError(where, layer.name, className, 'nested models are not supported; flatten the model first');
    }
    if (layer.inboundNodes.length !== 1) {
      throw new UnsupportedLayerError(where, layer.name, className, `the layer is called ${layer.inboundNodes.length} times; shared layers are not supported`);
    }
    const node = layer.inboundNodes[0]!;
    if (node.outputTensors.length !== 1) {
      throw new UnsupportedLayerError(where, layer.name, className, 'layers with several outputs are not supported');
    }
    const names = node.inboundLayers.map((l) => l.name);
    for (const n of names) consumers.set(n, (consumers.get(n) ?? 0) + 1);
    nodes.push({
      layer, name: layer.name, className, inputs: names,
      outputShape: shapeOf(node.outputShapes),
      inputShapes: node.inputShapes.length && Array.isArray(node.inputShapes[0])
        ? (node.inputShapes as (number | null)[][]) : [node.inputShapes as (number | null)[]],
    });
  }
  const outputs = model.outputs.map((t) => t.sourceLayer.name);
  for (const n of outputs) consumers.set(n, (consumers.get(n) ?? 0) + 1);
  return { inputs, nodes, outputs, consumers };
}

/** Class names treated as identity at inference time (dropout and noise layers). */
export const INFERENCE_IDENTITY_CLASSES: ReadonlySet<string> = new Set([
  'Dropout', 'SeededDropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout',
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
    mean, variance,
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
