/**
 * The one walker over a tfjs-layers model's graph: {@link layerGraph} flattens a Sequential or functional
 * model into layers in execution order with the names of the layers feeding each; {@link forwardLayers} runs
 * the model layer by layer on that graph (Grad-CAM's split at a layer, activation statistics, finding the first
 * non-finite activation); `@cnn/deploy` compiles the same graph to ONNX, BatchNorm folding and native graphs.
 *
 * @packageDocumentation
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CnnError, UnsupportedLayerError } from './errors.js';

type Layer = tfl.layers.Layer;

/** The parts of a tfjs-layers `Node` (one application of a layer) the walker reads. */
interface InboundNode {
  inputTensors: { id: number }[];
  outputTensors: { id: number }[];
  inboundLayers: Layer[];
  inputShapes: unknown;
  outputShapes: unknown;
  callArgs?: Record<string, unknown>;
}

/** One layer of a model in execution order, with the names of the layers feeding it. */
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
  /** Keyword arguments the layer was called with when the model was built (e.g. `mask`), reused by {@link forwardLayers}. */
  callArgs: Record<string, unknown>;
}

/** A model flattened into a DAG of single-output layers (Sequential and functional models). */
export interface LayerGraph {
  /** Model inputs: value name and shape (batch axis `null`). */
  inputs: { name: string; shape: (number | null)[]; dtype: tf.DataType }[];
  /** Layers in execution (topological) order, input layers excluded. */
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
 * Flattens a tfjs-layers model into a {@link LayerGraph}. A layer also used by another model (e.g. after
 * `replaceHead`) is fine: the walker follows the application whose inputs belong to this model.
 *
 * @param model - A Sequential or functional tfjs-layers model.
 * @param where - The caller, named in errors. Default `'layerGraph'`.
 * @throws UnsupportedLayerError naming the layer when it is applied twice inside this model (shared layer),
 *   is a nested model, or produces more than one output; CnnError when a layer's inputs cannot be found.
 */
export function layerGraph(model: tfl.LayersModel, where = 'layerGraph'): LayerGraph {
  const inputs = model.inputs.map((t) => ({ name: t.sourceLayer.name, shape: t.shape as (number | null)[], dtype: t.dtype }));
  const known = new Map<number, string>(model.inputs.map((t) => [t.id, t.sourceLayer.name]));
  const inputNames = new Set(inputs.map((i) => i.name));
  const nodes: GraphNode[] = [];
  const consumers = new Map<string, number>();
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (inputNames.has(layer.name) || className === 'InputLayer') continue;
    if ('layers' in layer && Array.isArray((layer as unknown as { layers: unknown }).layers)) {
      throw new UnsupportedLayerError(where, layer.name, className, 'nested models are not supported; flatten the model first');
    }
    const inbound = (layer as unknown as { inboundNodes: InboundNode[] }).inboundNodes;
    const mine = inbound.filter((n) => n.inputTensors.length > 0 && n.inputTensors.every((t) => known.has(t.id)));
    if (mine.length === 0) throw new CnnError(`${where}: cannot find the inputs of layer '${layer.name}' in model '${model.name}'`);
    if (mine.length > 1) {
      throw new UnsupportedLayerError(where, layer.name, className, `the layer is called ${mine.length} times; shared layers are not supported`);
    }
    const node = mine[0];
    if (node.outputTensors.length !== 1) throw new UnsupportedLayerError(where, layer.name, className, 'layers with several outputs are not supported');
    const names = node.inputTensors.map((t) => known.get(t.id) as string);
    for (const n of names) consumers.set(n, (consumers.get(n) ?? 0) + 1);
    known.set(node.outputTensors[0].id, layer.name);
    const inShapes = node.inputShapes as unknown[];
    nodes.push({
      layer,
      name: layer.name,
      className,
      inputs: names,
      outputShape: shapeOf(node.outputShapes),
      inputShapes:
        Array.isArray(inShapes) && inShapes.length > 0 && Array.isArray(inShapes[0]) ? (inShapes as (number | null)[][]) : [inShapes as (number | null)[]],
      callArgs: node.callArgs ?? {},
    });
  }
  const outputs = model.outputs.map((t) => {
    const name = known.get(t.id);
    if (name === undefined) {
      // A layer applied again to its own output (or to a later value) leaves the output unreached.
      const shared = model.layers.find((l) => (l as unknown as { inboundNodes: unknown[] }).inboundNodes.length > 1);
      if (shared) {
        const n = (shared as unknown as { inboundNodes: unknown[] }).inboundNodes.length;
        throw new UnsupportedLayerError(where, shared.name, shared.getClassName(), `the layer is called ${n} times; shared layers are not supported`);
      }
      throw new CnnError(`${where}: model '${model.name}' output ${t.name} was not reached`);
    }
    return name;
  });
  for (const n of outputs) consumers.set(n, (consumers.get(n) ?? 0) + 1);
  return { inputs, nodes, outputs, consumers };
}

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
   * `Activation('softmax')` / `Softmax` layer) is dropped so the output is the class logits.
   */
  logits?: boolean;
  /** Called with every layer's name and output, in execution order; e.g. for activation statistics. */
  onLayer?: (layerName: string, output: tf.Tensor, node: GraphNode) => void;
  /** Training mode of the layers (dropout active, batch norm on batch statistics). Default `false`. */
  training?: boolean;
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

function isSoftmaxLayer(layer: Layer): boolean {
  const cls = layer.getClassName();
  if (cls === 'Softmax') return true;
  return cls === 'Activation' && (layer.getConfig() as { activation?: string }).activation === 'softmax';
}

/**
 * Runs a single-input, single-output tfjs-layers model layer by layer on its {@link layerGraph} (inference
 * mode unless `training`), optionally capturing or replacing one layer's output. Grad-CAM splits a model with
 * it: `A = forwardLayers(m, x, {layerName}).captured`, then `y(A') = forwardLayers(m, x, {layerName,
 * replacement: A'}).output` is differentiated with `tf.grad`. Intermediate tensors are not disposed: call it
 * inside `tf.tidy`.
 *
 * @param input - `[batch, height, width, channels]` float32 model input.
 * @throws CnnError when the model has several inputs or outputs, `layerName` does not exist or has several
 *   outputs; the errors of {@link layerGraph}.
 */
export function forwardLayers(model: tfl.LayersModel, input: tf.Tensor, options: ForwardOptions = {}): ForwardResult {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new CnnError(
      `forwardLayers: only single-input, single-output models are supported, model '${model.name}' has ` +
        `${model.inputs.length} inputs and ${model.outputs.length} outputs`,
    );
  }
  const graph = layerGraph(model, 'forwardLayers');
  if (options.layerName !== undefined && !graph.nodes.some((n) => n.name === options.layerName)) {
    throw new CnnError(`forwardLayers: no layer named '${options.layerName}' in model '${model.name}'`);
  }
  const logits = options.logits ?? true;
  const training = options.training ?? false;
  const finalName = graph.outputs[0];
  const values = new Map<string, tf.Tensor>([[graph.inputs[0].name, input]]);
  let captured: tf.Tensor | undefined;
  for (const node of graph.nodes) {
    const { layer } = node;
    const args = node.inputs.map((n) => values.get(n) as tf.Tensor);
    const arg = args.length === 1 ? args[0] : args;
    const isFinal = node.name === finalName;
    const kwargs = { ...node.callArgs, training };
    let out: tf.Tensor;
    if (logits && isFinal && isSoftmaxLayer(layer)) {
      out = args[0];
    } else if (logits && isFinal && (layer.getConfig() as { activation?: string }).activation === 'softmax') {
      const withActivation = layer as Layer & { activation: unknown };
      const original = withActivation.activation;
      withActivation.activation = LINEAR;
      try {
        out = layer.apply(arg, kwargs) as tf.Tensor;
      } finally {
        withActivation.activation = original;
      }
    } else {
      out = layer.apply(arg, kwargs) as tf.Tensor;
    }
    if (node.name === options.layerName) {
      captured = out;
      if (options.replacement !== undefined) out = options.replacement;
    }
    options.onLayer?.(node.name, out, node);
    values.set(node.name, out);
  }
  return { output: values.get(finalName) as tf.Tensor, captured };
}
