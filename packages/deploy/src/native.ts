import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { GraphOp } from '@cnn/backend-onednn';
import { DeployError, UnsupportedLayerError } from './errors.js';
import { BATCH_NORM_CLASSES, INFERENCE_IDENTITY_CLASSES, batchNormParams, layerGraph, pads2d, type GraphNode } from './layer-graph.js';

// The op description of @cnn/backend-onednn's InferenceGraph: a type-only import, so this package does not load a
// concrete backend (compileNative loads it on demand).
interface NativeGraph {
  readonly outputShape: [number, number, number];
  run(input: Float32Array, batch: number, output?: Float32Array): Float32Array;
  profile(input: Float32Array, batch: number, reps?: number): { op: string; ms: number }[];
  implementations(batch?: number): string[];
  dispose(): void;
}
type GraphConstructor = new (inputShape: [number, number, number], ops: readonly GraphOp[], options: CompileNativeOptions) => NativeGraph;

/** Options of {@link compileNative}. */
export interface CompileNativeOptions {
  /**
   * The algorithm of the 3x3 stride-1 convolutions: `'auto'` (default) times oneDNN's direct kernel, Winograd
   * F(2x2, 3x3) and F(4x4, 3x3) on each batch size's first call and keeps the fastest per layer, or the most
   * accurate within 3% of it (as `cudnn.benchmark`); `'training'` takes per layer the tile the training kernels
   * take for its output size (as training rounded); `4` (F(4x4), ~1e-5 relative error), `2` (F(2x2), ~1e-6),
   * `3`, `5`, `6`, `7` (F(7x7), ~1e-4) or `0` (direct only) fix it. See `InferenceGraphOptions` in
   * `@cnn/backend-onednn`.
   */
  winogradTile?: 'auto' | 'training' | 0 | 2 | 3 | 4 | 5 | 6 | 7;
  /** Keep oneDNN's blocked layout between direct convolutions and pooling (default `true`; see InferenceGraph). */
  blockedLayouts?: boolean;
}

/** Layer classes {@link compileNative} translates (dropout/noise classes become identities). */
export const NATIVE_SUPPORTED_LAYERS: readonly string[] = [
  'Conv2D',
  'ZeroPadding2D',
  'Dense',
  'BatchNorm',
  'BatchNormalization',
  'ReLU',
  'GELU',
  'Activation',
  'Softmax',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Add',
  'Concatenate',
  'WhiteningConv2D',
  'Rescaling',
  ...INFERENCE_IDENTITY_CLASSES,
];

/** A model compiled by {@link compileNative}. */
export interface NativeModel {
  /** Per-sample input shape `[height, width, channels]`. */
  readonly inputShape: [number, number, number];
  /** Per-sample output shape as the model declares it (e.g. `[10]` for logits). */
  readonly outputShape: number[];
  /**
   * Runs the model on `[batch, ...inputShape]` float32 and returns `[batch, ...outputShape]`.
   * @throws DeployError when `x` does not have the input shape.
   */
  predict(x: tf.Tensor): tf.Tensor;
  /** The same on flat NHWC float32 data of `batch` images; returns `batch × outputSize` floats. */
  predictArray(input: Float32Array, batch: number): Float32Array;
  /** Per op, the implementation it runs at `batch` (default 1), e.g. `conv2d native:winograd_f4x4_3x3+gemm:jit`. */
  implementations(batch?: number): string[];
  /** Per op, its implementation and mean milliseconds over `reps` runs (default 10) on flat NHWC `input`. */
  profile(input: Float32Array, batch: number, reps?: number): { op: string; ms: number }[];
  /** Frees the native memory; later calls throw. */
  dispose(): void;
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

/**
 * Fuses every relu op into the op producing its input when that op takes an activation, is linear and the relu
 * is its only reader (the relu becomes an identity, which costs nothing).
 */
function fuseRelus(ops: GraphOp[]): void {
  const readers = new Array<number>(ops.length + 1).fill(0);
  for (const op of ops) for (const v of op.inputs) readers[v]! += 1;
  ops.forEach((op, i) => {
    if (op.op !== 'relu') return;
    const v = op.inputs[0]!;
    const producer = v > 0 ? ops[v - 1]! : undefined;
    if (!producer || !('activation' in producer) || producer.activation !== 'linear' || readers[v] !== 1) return;
    producer.activation = 'relu';
    ops[i] = { op: 'identity', inputs: [v] };
  });
}

/**
 * The `InferenceGraph` ops (of `@cnn/backend-onednn`) of an inference model (best after {@link optimizeForInference}: BatchNorm folded
 * into convolutions, dropout removed): Conv2D / Dense (linear or relu; a softmax activation becomes a separate
 * softmax), BatchNorm (folded to a per-channel affine), ReLU / Activation (relu, linear, softmax), GELU (exact,
 * `@cnn/models`' layer), Softmax (last axis), Max/AveragePooling2D, GlobalAveragePooling2D, Flatten, Add,
 * Concatenate (channel axis), dropout (identity), ZeroPadding2D in front of a convolution (folded into its padding),
 * `@cnn/models`' WhiteningConv2D (a valid stride-1 convolution with bias) and Keras' Rescaling (`x·scale + offset`,
 * an affine).
 * A ReLU that is the only reader of a linear conv / dense / add / affine is fused into it.
 *
 * @throws UnsupportedLayerError naming the layer and its class for anything else (e.g. DepthwiseConv2D, padding
 *   'causal', channels-first data, a ReLU with `maxValue`), or when the model has several inputs or outputs.
 */
export function nativeGraphOps(model: tfl.LayersModel): { inputShape: [number, number, number]; ops: GraphOp[]; outputShape: number[] } {
  const where = 'compileNative';
  const graph = layerGraph(model, where);
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw new UnsupportedLayerError(where, model.name, 'Model', `needs one input and one output, got ${graph.inputs.length} and ${graph.outputs.length}`);
  }
  const shape = graph.inputs[0]!.shape.slice(1) as number[];
  if (!(shape.length === 3 || shape.length === 1) || shape.some((d) => !(Number(d) >= 1))) {
    throw new UnsupportedLayerError(where, graph.inputs[0]!.name, 'InputLayer', `input shape [${shape}] must be [h, w, c] or [n]`);
  }
  const inputShape = (shape.length === 3 ? shape : [1, 1, shape[0]!]) as [number, number, number];
  const ops: GraphOp[] = [];
  const ids = new Map<string, number>([[graph.inputs[0]!.name, 0]]);
  const push = (name: string, op: GraphOp): void => {
    ops.push(op);
    ids.set(name, ops.length);
  };
  /** ZeroPadding2D outputs not materialised: their padding `[t, l, b, r]` joins the reading convolution's. */
  const pending = new Map<string, [number, number, number, number]>();
  const weights = (node: GraphNode): Float32Array[] => node.layer.getWeights().map((w) => w.dataSync() as Float32Array);
  /** The layer's weight called `name` (`kernel`, `bias`; getWeights lists trainable ones first, whatever the order they were made in). */
  const weightNamed = (node: GraphNode, name: string): tf.Tensor => {
    const i = node.layer.weights.findIndex((v) => (v.originalName ?? v.name).split('/').pop()!.replace(/_\d+$/, '') === name);
    if (i < 0) throw new UnsupportedLayerError(where, node.name, node.className, `no '${name}' weight`);
    return node.layer.getWeights()[i]!;
  };

  for (const node of graph.nodes) {
    const cfg = node.layer.getConfig() as Record<string, unknown>;
    const inputs = node.inputs.map((n) => ids.get(n)!);
    const x = inputs[0]!;
    const unsupported = (why: string): never => {
      throw new UnsupportedLayerError(where, node.name, node.className, why);
    };
    if (cfg['dataFormat'] === 'channels_first') unsupported("dataFormat 'channels_first'");
    const padded = pending.get(node.inputs[0]!);
    if (padded && node.className !== 'Conv2D') unsupported(`reads the ZeroPadding2D '${node.inputs[0]}'; only a convolution takes one natively`);
    const activation = (act: string, base: (a: 'linear' | 'relu') => GraphOp): void => {
      if (act === 'linear' || act === 'relu') {
        push(node.name, base(act));
        return;
      }
      if (act !== 'softmax') unsupported(`activation '${act}' (native graphs run linear, relu and softmax)`);
      push(`${node.name}/linear`, base('linear'));
      push(node.name, { op: 'softmax', inputs: [ops.length] });
    };

    if (INFERENCE_IDENTITY_CLASSES.has(node.className)) {
      ids.set(node.name, x);
      continue;
    }
    switch (node.className) {
      case 'Conv2D': {
        const padding = String(cfg['padding']);
        if (padding !== 'same' && padding !== 'valid') unsupported(`padding '${padding}'`);
        const [k, b] = weights(node);
        const [kh, kw, , co] = node.layer.getWeights()[0]!.shape as number[];
        const strides = pair(cfg['strides']);
        const dilations = pair(cfg['dilationRate'] ?? 1);
        const inHW = node.inputShapes[0]!.slice(1, 3) as number[];
        const pads = pads2d(padding, inHW, [kh!, kw!], strides, dilations) as [number, number, number, number];
        if (padded)
          padded.forEach((p, i) => {
            pads[i]! += p;
          });
        activation(String(cfg['activation']), (a) => ({
          op: 'conv2d',
          inputs: [x],
          filter: k!,
          ...(cfg['useBias'] ? { bias: b! } : {}),
          kernel: [kh!, kw!],
          strides,
          dilations,
          pads,
          outChannels: co!,
          activation: a,
        }));
        break;
      }
      case 'WhiteningConv2D': {
        const kernel = weightNamed(node, 'kernel');
        const [kh, kw, , co] = kernel.shape as number[];
        push(node.name, {
          op: 'conv2d',
          inputs: [x],
          filter: kernel.dataSync() as Float32Array,
          bias: weightNamed(node, 'bias').dataSync() as Float32Array,
          kernel: [kh!, kw!],
          strides: [1, 1],
          dilations: [1, 1],
          pads: [0, 0, 0, 0],
          outChannels: co!,
          activation: 'linear',
        });
        break;
      }
      case 'Dense': {
        const [k, b] = weights(node);
        const units = node.layer.getWeights()[0]!.shape[1]!;
        activation(String(cfg['activation']), (a) => ({
          op: 'dense',
          inputs: [x],
          weights: k!,
          ...(cfg['useBias'] ? { bias: b! } : {}),
          units,
          activation: a,
        }));
        break;
      }
      case 'BatchNorm':
      case 'BatchNormalization': {
        if (!BATCH_NORM_CLASSES.has(node.className)) unsupported('not a batch norm');
        const p = batchNormParams(node.layer, where);
        const scale = Float32Array.from(p.gamma, (g, c) => g / Math.sqrt(p.variance[c]! + p.epsilon));
        const offset = Float32Array.from(p.beta, (bt, c) => bt - p.mean[c]! * (p.gamma[c]! / Math.sqrt(p.variance[c]! + p.epsilon)));
        push(node.name, { op: 'affine', inputs: [x], scale, offset, activation: 'linear' });
        break;
      }
      case 'ReLU':
        if (cfg['maxValue'] != null) unsupported('maxValue (relu6) is not run natively');
        push(node.name, { op: 'relu', inputs: [x] });
        break;
      case 'GELU':
        push(node.name, { op: 'gelu', inputs: [x] });
        break;
      case 'Rescaling': {
        const channels = Number(node.inputShapes[0]![node.inputShapes[0]!.length - 1]);
        const scale = Number(cfg['scale']);
        const offset = Number(cfg['offset'] ?? 0);
        push(node.name, {
          op: 'affine',
          inputs: [x],
          scale: new Float32Array(channels).fill(scale),
          offset: new Float32Array(channels).fill(offset),
          activation: 'linear',
        });
        break;
      }
      case 'Activation': {
        const act = String(cfg['activation']);
        if (act === 'linear') ids.set(node.name, x);
        else if (act === 'relu') push(node.name, { op: 'relu', inputs: [x] });
        else if (act === 'softmax') push(node.name, { op: 'softmax', inputs: [x] });
        else unsupported(`activation '${act}' (native graphs run linear, relu and softmax)`);
        break;
      }
      case 'Softmax': {
        const axis = Number(cfg['axis'] ?? -1);
        if (axis !== -1 && axis !== node.outputShape.length - 1) unsupported(`softmax over axis ${axis} (only the last axis)`);
        push(node.name, { op: 'softmax', inputs: [x] });
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const kernel = pair(cfg['poolSize']);
        const strides = pair(cfg['strides'] ?? kernel);
        const inHW = node.inputShapes[0]!.slice(1, 3) as number[];
        const pads = pads2d(String(cfg['padding']), inHW, kernel, strides, [1, 1]) as [number, number, number, number];
        push(node.name, { op: node.className === 'MaxPooling2D' ? 'maxPool' : 'avgPool', inputs: [x], kernel, strides, pads });
        break;
      }
      case 'GlobalAveragePooling2D':
        if (cfg['keepDims'] === true) unsupported('keepDims');
        push(node.name, { op: 'globalAvgPool', inputs: [x] });
        break;
      case 'ZeroPadding2D': {
        if ((graph.consumers.get(node.name) ?? 0) !== 1) unsupported('a ZeroPadding2D read by more than one layer');
        const [[top, bottom], [left, right]] = cfg['padding'] as [[number, number], [number, number]];
        pending.set(node.name, [top, left, bottom, right]);
        ids.set(node.name, x);
        break;
      }
      case 'Flatten':
        push(node.name, { op: 'flatten', inputs: [x] });
        break;
      case 'Add':
        push(node.name, { op: 'add', inputs, activation: 'linear' });
        break;
      case 'Concatenate': {
        const rank = node.outputShape.length;
        const axis = Number(cfg['axis'] ?? -1);
        if (axis !== -1 && axis !== rank - 1) unsupported(`concatenation over axis ${axis} (only the channel axis)`);
        push(node.name, { op: 'concat', inputs });
        break;
      }
      default:
        unsupported(`not run natively (supported: ${NATIVE_SUPPORTED_LAYERS.join(', ')})`);
    }
  }
  const out = ids.get(graph.outputs[0]!)!;
  if (out !== ops.length) push('output', { op: 'identity', inputs: [out] }); // the output must be the last value
  fuseRelus(ops);
  const outNode = graph.nodes.find((n) => n.name === graph.outputs[0]);
  const outputShape = (outNode ? outNode.outputShape.slice(1) : shape) as number[];
  return { inputShape, ops, outputShape };
}

/**
 * Compiles an inference model into one native graph on `@cnn/backend-onednn` (its `InferenceGraph`): every
 * layer runs on oneDNN primitives or native loops in a single call, with no tfjs dispatch between layers — the
 * path ONNX Runtime takes for an ONNX model. Pass the model through {@link optimizeForInference} first so that
 * BatchNorm is folded into convolutions. Outputs equal the model's `predict` up to float32 rounding (~1e-5
 * relative with the default F(4x4, 3x3) Winograd tile; see {@link CompileNativeOptions}).
 *
 * `@cnn/backend-onednn` is an optional peer: it is imported here, on demand.
 *
 * @throws UnsupportedLayerError for a layer outside {@link NATIVE_SUPPORTED_LAYERS} (names the layer and class).
 * @throws DeployError when `@cnn/backend-onednn` (or its native addon) is not installed, naming the package.
 */
export async function compileNative(model: tfl.LayersModel, options: CompileNativeOptions = {}): Promise<NativeModel> {
  const { inputShape, ops, outputShape } = nativeGraphOps(model);
  let Graph: GraphConstructor;
  try {
    const backend = (await import('@cnn/backend-onednn')) as unknown as { InferenceGraph: GraphConstructor; getBinding(): unknown };
    backend.getBinding(); // when the addon does not load: OnednnUnavailableError naming every attempt and the fix
    Graph = backend.InferenceGraph;
  } catch (err) {
    throw new DeployError(`compileNative: needs @cnn/backend-onednn (npm install @cnn/backend-onednn): ${(err as Error).message}`);
  }
  const graph = new Graph(inputShape, ops, options);
  const perSample = inputShape[0] * inputShape[1] * inputShape[2];
  const expected = [model.inputs[0]!.shape.slice(1)].flat() as number[];
  return {
    inputShape,
    outputShape,
    predictArray: (input, batch) => graph.run(input, batch),
    predict: (x) => {
      if (x.rank !== expected.length + 1 || !tf.util.arraysEqual(x.shape.slice(1), expected)) {
        throw new DeployError(`compileNative: predict expects [batch, ${expected.join(', ')}], got [${x.shape.join(', ')}]`);
      }
      const batch = x.shape[0]!;
      const data = x.dtype === 'float32' ? (x.dataSync() as Float32Array) : Float32Array.from(x.dataSync());
      if (data.length !== batch * perSample) throw new DeployError('compileNative: input size mismatch');
      return tf.tensor(graph.run(data, batch), [batch, ...outputShape], 'float32');
    },
    implementations: (batch = 1) => graph.implementations(batch),
    profile: (input, batch, reps) => graph.profile(input, batch, reps),
    dispose: () => graph.dispose(),
  };
}
