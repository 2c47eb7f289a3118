import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ExplainError } from '../errors.js';

/** The parts of a tfjs-layers `Node` (an application of a layer) the executor reads. */
interface GraphNode {
  inputTensors: { id: number }[];
  outputTensors: { id: number }[];
  callArgs?: Record<string, unknown>;
}

type AnyLayer = tfl.layers.Layer & { inboundNodes: GraphNode[]; activation?: unknown };

/** Options of {@link forwardLayers}. */
export interface ForwardOptions {
  /** Name of the layer whose output is captured (and replaced when `replacement` is given). */
  layerName?: string;
  /**
   * Tensor used instead of `layerName`'s output for everything downstream. This makes the rest of the network a
   * differentiable function of that activation, for Sequential and functional models alike (skip connections
   * that bypass the layer keep their own values).
   */
  replacement?: tf.Tensor;
  /**
   * When `true` (default), a softmax at the very end (a `softmax` activation of the output layer, or a final
   * `Activation('softmax')`/`Softmax` layer) is dropped so the output is the class logits.
   */
  logits?: boolean;
  /** Called with every layer's name and (single) output, in execution order; e.g. for activation statistics. */
  onLayer?: (layerName: string, output: tf.Tensor) => void;
}

/** Result of {@link forwardLayers}. */
export interface ForwardResult {
  /** Model output: `[batch, numClasses]` logits (or probabilities with `logits: false`). */
  output: tf.Tensor;
  /** Output of `layerName` before any replacement, when `layerName` was given. */
  captured?: tf.Tensor;
}

/** Identity activation used to read logits from an output layer built with `activation: 'softmax'`. */
const LINEAR = { getClassName: () => 'linear', apply: (x: tf.Tensor) => x };

function isSoftmaxLayer(layer: AnyLayer): boolean {
  const cls = layer.getClassName();
  if (cls === 'Softmax') return true;
  return cls === 'Activation' && (layer.getConfig() as { activation?: string }).activation === 'softmax';
}

/**
 * Runs a tfjs-layers model layer by layer in inference mode, following its graph (works for `tf.sequential` and
 * `tf.model` alike), optionally capturing or replacing one layer's output. Used by Grad-CAM to split the model at
 * a named layer: `A = forwardLayers(m, x, {layerName}).captured`, then `y(A') = forwardLayers(m, x, {layerName,
 * replacement: A'}).output` is differentiated with `tf.grad`.
 *
 * @param input `[batch, height, width, channels]` float32 model input (single-input models only).
 * @throws ExplainError when the model has several inputs/outputs, `layerName` does not exist, or the graph cannot
 *   be walked.
 */
export function forwardLayers(model: tfl.LayersModel, input: tf.Tensor, options: ForwardOptions = {}): ForwardResult {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ExplainError(
      `forwardLayers: only single-input, single-output models are supported, model '${model.name}' has ` +
        `${model.inputs.length} inputs and ${model.outputs.length} outputs`,
    );
  }
  const logits = options.logits ?? true;
  const finalId = model.outputs[0].id;
  const values = new Map<number, tf.Tensor>([[model.inputs[0].id, input]]);
  let captured: tf.Tensor | undefined;
  for (const layer of model.layers as AnyLayer[]) {
    if (layer.getClassName() === 'InputLayer') continue;
    const node = layer.inboundNodes.find((n) => n.inputTensors.length > 0 && n.inputTensors.every((t) => values.has(t.id)));
    if (node === undefined) {
      throw new ExplainError(`forwardLayers: cannot find the inputs of layer '${layer.name}' in model '${model.name}'`);
    }
    const inputs = node.inputTensors.map((t) => values.get(t.id) as tf.Tensor);
    const arg = inputs.length === 1 ? inputs[0] : inputs;
    const isFinal = node.outputTensors.some((t) => t.id === finalId);
    let out: tf.Tensor | tf.Tensor[];
    if (logits && isFinal && isSoftmaxLayer(layer)) {
      out = arg;
    } else if (logits && isFinal && (layer.getConfig() as { activation?: string }).activation === 'softmax') {
      const original = layer.activation;
      layer.activation = LINEAR;
      try {
        out = layer.apply(arg, { ...node.callArgs, training: false }) as tf.Tensor | tf.Tensor[];
      } finally {
        layer.activation = original;
      }
    } else {
      out = layer.apply(arg, { ...node.callArgs, training: false }) as tf.Tensor | tf.Tensor[];
    }
    if (layer.name === options.layerName) {
      if (Array.isArray(out)) throw new ExplainError(`forwardLayers: layer '${layer.name}' has several outputs`);
      captured = out;
      if (options.replacement !== undefined) out = options.replacement;
    }
    const outs = Array.isArray(out) ? out : [out];
    if (options.onLayer && outs.length === 1) options.onLayer(layer.name, outs[0]);
    node.outputTensors.forEach((t, i) => values.set(t.id, outs[i]));
  }
  if (options.layerName !== undefined && captured === undefined) {
    throw new ExplainError(`forwardLayers: no layer named '${options.layerName}' in model '${model.name}'`);
  }
  const output = values.get(finalId);
  if (output === undefined) throw new ExplainError(`forwardLayers: model '${model.name}' output was not reached`);
  return { output, captured };
}

/** Names of the layers of `model` whose output is 4-D (`[batch, height, width, channels]`), in model order. */
export function spatialLayerNames(model: tfl.LayersModel, convOnly = false): string[] {
  return model.layers
    .filter((l) => l.getClassName() !== 'InputLayer')
    .filter((l) => {
      const shape = l.outputShape;
      return Array.isArray(shape) && !Array.isArray(shape[0]) && shape.length === 4;
    })
    .filter((l) => !convOnly || /Conv/.test(l.getClassName()))
    .map((l) => l.name);
}

/**
 * Name of the last convolution layer (4-D output, class name containing `Conv`) — the usual Grad-CAM target.
 * @throws ExplainError when the model has none.
 */
export function lastConvLayerName(model: tfl.LayersModel): string {
  const names = spatialLayerNames(model, true);
  if (names.length === 0) throw new ExplainError(`lastConvLayerName: model '${model.name}' has no convolution layer`);
  return names[names.length - 1];
}

/**
 * Checks that `layerName` exists in `model` and has a 4-D output.
 * @throws ExplainError listing the convolution layers available otherwise.
 */
export function assertSpatialLayer(fn: string, model: tfl.LayersModel, layerName: string): void {
  const conv = spatialLayerNames(model, true);
  const candidates = `convolution layers available: ${conv.length > 0 ? conv.join(', ') : '(none)'}`;
  const layer = model.layers.find((l) => l.name === layerName);
  if (layer === undefined) {
    throw new ExplainError(`${fn}: no layer named '${layerName}' in model '${model.name}'; ${candidates}`);
  }
  const shape = layer.outputShape;
  if (!(Array.isArray(shape) && !Array.isArray(shape[0]) && shape.length === 4)) {
    throw new ExplainError(
      `${fn}: layer '${layerName}' output has shape ${JSON.stringify(shape)}, expected 4-D ` +
        `[batch, height, width, channels]; ${candidates}`,
    );
  }
}
