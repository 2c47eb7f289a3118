import type * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import type protobuf from 'protobufjs';
import { requirePeer } from '@cnn/core';
import { writeFileAtomic } from '@cnn/core/node';
import { DeployError, UnsupportedLayerError } from '../errors.js';
import { INFERENCE_IDENTITY_CLASSES, batchNormParams, layerGraph, pads2d, type GraphNode } from '../layer-graph.js';
import { ONNX_PROTO, OnnxAttributeType, OnnxDataType } from './onnx-schema.js';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** ONNX opset of the default domain, ≥ 13. Default `13`. */
  opset?: number;
  /**
   * Storage of Conv/Dense kernels: `'float32'` (default) or `'int8'` (symmetric per-output-channel
   * int8 with a float scale, expanded at load time by `DequantizeLinear`; about 4× smaller files).
   */
  weights?: 'float32' | 'int8';
  /** Graph name. Default the model's name. */
  graphName?: string;
  /** Name of the symbolic batch dimension. Default `'batch'`. */
  batchDimName?: string;
}

/** Layer classes {@link exportOnnx} translates (dropout/noise classes become identities). */
export const ONNX_SUPPORTED_LAYERS: readonly string[] = [
  'Conv2D',
  'DepthwiseConv2D',
  'ZeroPadding2D',
  'Dense',
  'BatchNorm',
  'BatchNormalization',
  'ReLU',
  'LeakyReLU',
  'ELU',
  'Softmax',
  'Activation',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Flatten',
  'Reshape',
  'Add',
  'Average',
  'Maximum',
  'Minimum',
  'Multiply',
  'Subtract',
  'Concatenate',
  ...INFERENCE_IDENTITY_CLASSES,
];

let rootPromise: protobuf.Root | undefined;
function onnxRoot(): protobuf.Root {
  const pb = requirePeer('protobufjs', 'ONNX export', () => createRequire(import.meta.url)('protobufjs') as typeof protobuf);
  rootPromise ??= pb.parse(ONNX_PROTO, { keepCase: true }).root;
  return rootPromise;
}

type Layout = 'NHWC' | 'NCHW' | 'flat';
interface Value {
  name: string;
  layout: Layout;
  rank: number;
}
interface Attr {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  ints?: number[];
  floats?: number[];
}

const enc = new TextEncoder();

class GraphBuilder {
  readonly nodes: object[] = [];
  readonly initializers: object[] = [];
  private readonly used = new Set<string>();

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  node(opType: string, inputs: string[], name: string, attrs: Attr[] = [], output?: string): string {
    const out = output ?? this.unique(name);
    this.nodes.push({ op_type: opType, input: inputs, output: [out], name: this.unique(`${name}/${opType}`), attribute: attrs });
    return out;
  }

  floatTensor(name: string, dims: number[], data: Float32Array): string {
    const n = this.unique(name);
    this.initializers.push({ name: n, dims, data_type: OnnxDataType.FLOAT, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return n;
  }

  int8Tensor(name: string, dims: number[], data: Int8Array): string {
    const n = this.unique(name);
    this.initializers.push({ name: n, dims, data_type: OnnxDataType.INT8, raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return n;
  }

  int64Tensor(name: string, values: number[]): string {
    const n = this.unique(name);
    this.initializers.push({ name: n, dims: [values.length], data_type: OnnxDataType.INT64, int64_data: values });
    return n;
  }
}

const ints = (name: string, v: number[]): Attr => ({ name, type: OnnxAttributeType.INTS, ints: v });
const int = (name: string, v: number): Attr => ({ name, type: OnnxAttributeType.INT, i: v });
const float = (name: string, v: number): Attr => ({ name, type: OnnxAttributeType.FLOAT, f: v });

/** `[kh, kw, in, out]` → `[out, in, kh, kw]`. */
function transposeConvKernel(k: Float32Array, [kh, kw, ci, co]: number[]): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < ci!; i++)
        for (let o = 0; o < co!; o++) {
          out[((o * ci! + i) * kh! + y) * kw! + x] = k[((y * kw! + x) * ci! + i) * co! + o]!;
        }
  return out;
}

/** Symmetric per-channel int8: `scale[c] = max|w[c]| / 127`, `q = round(w / scale)`. */
function quantizeInt8(w: Float32Array, dims: number[], axis: number): { q: Int8Array; scale: Float32Array } {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Float32Array(channels);
  const ch = (i: number): number => Math.floor(i / inner) % channels;
  for (let i = 0; i < w.length; i++) maxAbs[ch(i)] = Math.max(maxAbs[ch(i)]!, Math.abs(w[i]!));
  const scale = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / scale[ch(i)]!)));
  return { q, scale };
}

/**
 * Exports a tfjs-layers model (Sequential or functional, built from Conv2D, DepthwiseConv2D, ZeroPadding2D, Dense, BatchNorm /
 * BatchNormalization, ReLU / LeakyReLU / ELU / Softmax / Activation, Max/AveragePooling2D,
 * GlobalAverage/MaxPooling2D, Flatten, Reshape, Add / Average / Maximum / Minimum / Multiply / Subtract,
 * Concatenate, Dropout) to an ONNX `ModelProto`, opset ≥ 13, IR version 7, with a symbolic batch axis.
 *
 * Layout: the ONNX graph keeps the model's NHWC input `[batch, height, width, channels]` and output; a
 * `Transpose` to NCHW is inserted before the first Conv/pool (ONNX operators are NCHW), and tensors are
 * transposed back to NHWC before `Flatten`, `Reshape`, a last-axis `Dense` on rank 4 and softmax, so the
 * flatten order equals tfjs' NHWC flatten and Dense weights are used unchanged. Conv kernels are stored
 * as `[out, in, kh, kw]`; tfjs `'same'` padding becomes explicit `pads` (extra at bottom/right).
 * BatchNorm exports as `BatchNormalization` with the layer's epsilon (PyTorch `1e-5` for ours).
 *
 * @returns the serialised model (protobuf bytes).
 * @throws UnsupportedLayerError naming the layer and its type for any other layer or activation.
 * @throws DeployError when `opset < 13`.
 */
export function exportOnnx(model: tfl.LayersModel, opts: ExportOnnxOptions = {}): Uint8Array {
  const opset = opts.opset ?? 13;
  if (!Number.isInteger(opset) || opset < 13) throw new DeployError(`exportOnnx: opset must be an integer >= 13. Received: opset=${opts.opset}`);
  const where = 'exportOnnx';
  const graph = layerGraph(model, where);
  const g = new GraphBuilder();
  const batchDim = opts.batchDimName ?? 'batch';
  const values = new Map<string, Value>();
  const converted = new Map<string, string>();
  const int8 = opts.weights === 'int8';

  const toLayout = (v: Value, want: 'NHWC' | 'NCHW'): string => {
    if (v.rank !== 4 || v.layout === want) return v.name;
    const key = `${v.name}→${want}`;
    let name = converted.get(key);
    if (!name) {
      name = g.node('Transpose', [v.name], `${v.name}_to_${want.toLowerCase()}`, [ints('perm', want === 'NCHW' ? [0, 3, 1, 2] : [0, 2, 3, 1])]);
      converted.set(key, name);
    }
    return name;
  };

  const weightInput = (node: GraphNode, base: string, w: Float32Array, dims: number[], axis: number): string => {
    if (!int8) return g.floatTensor(base, dims, w);
    const { q, scale } = quantizeInt8(w, dims, axis);
    const qn = g.int8Tensor(`${base}_int8`, dims, q);
    const sn = g.floatTensor(`${base}_scale`, [scale.length], scale);
    const zn = g.int8Tensor(`${base}_zero_point`, [scale.length], new Int8Array(scale.length));
    return g.node('DequantizeLinear', [qn, sn, zn], `${node.name}/${base.split('/').pop()}_dequant`, [int('axis', axis)]);
  };

  /** Applies a tfjs activation name to `v`; returns the new value. */
  const activation = (node: GraphNode, act: string, v: Value, out?: string): Value => {
    const base = node.name;
    const unary = (op: string, attrs: Attr[] = []): Value => ({ ...v, name: g.node(op, [v.name], base, attrs, out) });
    switch (act) {
      case 'linear':
        return out ? { ...v, name: g.node('Identity', [v.name], base, [], out) } : v;
      case 'relu':
        return unary('Relu');
      case 'sigmoid':
        return unary('Sigmoid');
      case 'tanh':
        return unary('Tanh');
      case 'elu':
        return unary('Elu', [float('alpha', 1)]);
      case 'selu':
        return unary('Selu', [float('alpha', 1.6732632423543772), float('gamma', 1.0507009873554805)]);
      case 'softplus':
        return unary('Softplus');
      case 'softsign':
        return unary('Softsign');
      case 'hardSigmoid':
      case 'hard_sigmoid':
        return unary('HardSigmoid', [float('alpha', 0.2), float('beta', 0.5)]);
      case 'relu6': {
        const lo = g.floatTensor(`${base}/clip_min`, [], new Float32Array([0]));
        const hi = g.floatTensor(`${base}/clip_max`, [], new Float32Array([6]));
        return { ...v, name: g.node('Clip', [v.name, lo, hi], base, [], out) };
      }
      case 'swish': {
        const s = g.node('Sigmoid', [v.name], `${base}/swish_sigmoid`);
        return { ...v, name: g.node('Mul', [v.name, s], base, [], out) };
      }
      case 'softmax': {
        const x = toLayout(v, 'NHWC');
        return { name: g.node('Softmax', [x], base, [int('axis', -1)], out), layout: v.rank === 4 ? 'NHWC' : v.layout, rank: v.rank };
      }
      default:
        throw new UnsupportedLayerError(where, node.name, node.className, `activation '${act}' has no ONNX translation`);
    }
  };

  for (const inp of graph.inputs) values.set(inp.name, { name: inp.name, layout: inp.shape.length === 4 ? 'NHWC' : 'flat', rank: inp.shape.length });

  for (const node of graph.nodes) {
    const ins = node.inputs.map((n) => values.get(n)!);
    const x = ins[0]!;
    const cfg = node.layer.getConfig() as Record<string, unknown>;
    const outRank = node.outputShape.length;
    const isOutput = graph.outputs.includes(node.name);
    let result: Value;
    const weights = (): Float32Array[] => node.layer.getWeights().map((w) => w.dataSync() as Float32Array);

    if (INFERENCE_IDENTITY_CLASSES.has(node.className)) {
      values.set(node.name, x);
      continue;
    }
    switch (node.className) {
      case 'Conv2D': {
        if (cfg['dataFormat'] === 'channels_first') throw new UnsupportedLayerError(where, node.name, node.className, "dataFormat 'channels_first'");
        const padding = String(cfg['padding']);
        if (padding !== 'same' && padding !== 'valid') throw new UnsupportedLayerError(where, node.name, node.className, `padding '${padding}'`);
        const [k, b] = weights();
        const kShape = node.layer.getWeights()[0]!.shape;
        const [kh, kw, ci, co] = kShape as number[];
        const strides = cfg['strides'] as number[];
        const dil = (Array.isArray(cfg['dilationRate']) ? cfg['dilationRate'] : [cfg['dilationRate'] ?? 1, cfg['dilationRate'] ?? 1]) as number[];
        const inHW = node.inputShapes[0]!.slice(1, 3) as number[];
        const wIn = weightInput(node, `${node.name}/kernel`, transposeConvKernel(k!, kShape as number[]), [co!, ci!, kh!, kw!], 0);
        const inputs = [toLayout(x, 'NCHW'), wIn];
        if (cfg['useBias']) inputs.push(g.floatTensor(`${node.name}/bias`, [co!], b!));
        const act = String(cfg['activation']);
        const conv = g.node('Conv', inputs, act === 'linear' ? node.name : `${node.name}/conv`, [
          ints('kernel_shape', [kh!, kw!]),
          ints('strides', strides),
          ints('dilations', dil),
          ints('pads', pads2d(padding, inHW, [kh!, kw!], strides, dil)),
          int('group', 1),
        ]);
        result = activation(node, act, { name: conv, layout: 'NCHW', rank: 4 });
        break;
      }
      case 'DepthwiseConv2D': {
        if (cfg['dataFormat'] === 'channels_first') throw new UnsupportedLayerError(where, node.name, node.className, "dataFormat 'channels_first'");
        const padding = String(cfg['padding']);
        if (padding !== 'same' && padding !== 'valid') throw new UnsupportedLayerError(where, node.name, node.className, `padding '${padding}'`);
        const [k, b] = weights();
        const [kh, kw, ci, mult] = node.layer.getWeights()[0]!.shape as number[];
        // tfjs output channel c·mult + m = ONNX group c, filter m: kernel [kh, kw, c, m] → [c·mult + m, 1, kh, kw].
        const kt = transposeConvKernel(k!, [kh!, kw!, 1, ci! * mult!]);
        const strides = cfg['strides'] as number[];
        const dil = (Array.isArray(cfg['dilationRate']) ? cfg['dilationRate'] : [cfg['dilationRate'] ?? 1, cfg['dilationRate'] ?? 1]) as number[];
        const inHW = node.inputShapes[0]!.slice(1, 3) as number[];
        const inputs = [toLayout(x, 'NCHW'), weightInput(node, `${node.name}/depthwise_kernel`, kt, [ci! * mult!, 1, kh!, kw!], 0)];
        if (cfg['useBias']) inputs.push(g.floatTensor(`${node.name}/bias`, [ci! * mult!], b!));
        const act = String(cfg['activation']);
        const conv = g.node('Conv', inputs, act === 'linear' ? node.name : `${node.name}/conv`, [
          ints('kernel_shape', [kh!, kw!]),
          ints('strides', strides),
          ints('dilations', dil),
          ints('pads', pads2d(padding, inHW, [kh!, kw!], strides, dil)),
          int('group', ci!),
        ]);
        result = activation(node, act, { name: conv, layout: 'NCHW', rank: 4 });
        break;
      }
      case 'ZeroPadding2D': {
        if (cfg['dataFormat'] === 'channels_first') throw new UnsupportedLayerError(where, node.name, node.className, "dataFormat 'channels_first'");
        const [[top, bottom], [left, right]] = cfg['padding'] as [[number, number], [number, number]];
        const pads = g.int64Tensor(`${node.name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
        result = {
          name: g.node('Pad', [toLayout(x, 'NCHW'), pads], node.name, [{ name: 'mode', type: OnnxAttributeType.STRING, s: enc.encode('constant') }]),
          layout: 'NCHW',
          rank: 4,
        };
        break;
      }
      case 'Dense': {
        const [k, b] = weights();
        const [ci, co] = node.layer.getWeights()[0]!.shape as number[];
        const wIn = weightInput(node, `${node.name}/kernel`, k!, [ci!, co!], 1);
        const act = String(cfg['activation']);
        const bias = cfg['useBias'] ? g.floatTensor(`${node.name}/bias`, [co!], b!) : undefined;
        let y: string;
        let layout: Layout = 'flat';
        if (x.rank === 2) {
          y = g.node('Gemm', bias ? [x.name, wIn, bias] : [x.name, wIn], act === 'linear' ? node.name : `${node.name}/gemm`);
        } else {
          const xin = toLayout(x, 'NHWC');
          layout = x.rank === 4 ? 'NHWC' : x.layout;
          y = g.node('MatMul', [xin, wIn], `${node.name}/matmul`);
          if (bias) y = g.node('Add', [y, bias], act === 'linear' ? node.name : `${node.name}/bias_add`);
        }
        result = activation(node, act, { name: y, layout, rank: x.rank });
        break;
      }
      case 'BatchNorm':
      case 'BatchNormalization': {
        if (x.rank !== 4 && x.rank !== 2) throw new UnsupportedLayerError(where, node.name, node.className, `input rank ${x.rank} (only 2 and 4 are exported)`);
        const p = batchNormParams(node.layer, where);
        const c = p.mean.length;
        const f32 = (a: Float64Array): Float32Array => Float32Array.from(a);
        const bnIn = [
          toLayout(x, 'NCHW'),
          g.floatTensor(`${node.name}/gamma`, [c], f32(p.gamma)),
          g.floatTensor(`${node.name}/beta`, [c], f32(p.beta)),
          g.floatTensor(`${node.name}/moving_mean`, [c], f32(p.mean)),
          g.floatTensor(`${node.name}/moving_variance`, [c], f32(p.variance)),
        ];
        result = { name: g.node('BatchNormalization', bnIn, node.name, [float('epsilon', p.epsilon)]), layout: x.rank === 4 ? 'NCHW' : 'flat', rank: x.rank };
        break;
      }
      case 'ReLU': {
        const max = cfg['maxValue'];
        if (max == null) result = activation(node, 'relu', x);
        else {
          const lo = g.floatTensor(`${node.name}/clip_min`, [], new Float32Array([0]));
          const hi = g.floatTensor(`${node.name}/clip_max`, [], new Float32Array([Number(max)]));
          result = { ...x, name: g.node('Clip', [x.name, lo, hi], node.name) };
        }
        break;
      }
      case 'LeakyReLU':
        result = { ...x, name: g.node('LeakyRelu', [x.name], node.name, [float('alpha', Number(cfg['alpha'] ?? 0.3))]) };
        break;
      case 'ELU':
        result = { ...x, name: g.node('Elu', [x.name], node.name, [float('alpha', Number(cfg['alpha'] ?? 1))]) };
        break;
      case 'Activation':
        result = activation(node, String(cfg['activation']), x);
        break;
      case 'Softmax': {
        const axis = Number(cfg['axis'] ?? -1);
        const rank = x.rank;
        if (axis !== -1 && axis !== rank - 1) {
          const xin = toLayout(x, 'NHWC');
          result = { name: g.node('Softmax', [xin], node.name, [int('axis', axis)]), layout: rank === 4 ? 'NHWC' : x.layout, rank };
        } else result = activation(node, 'softmax', x);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (cfg['dataFormat'] === 'channels_first') throw new UnsupportedLayerError(where, node.name, node.className, "dataFormat 'channels_first'");
        const pool = cfg['poolSize'] as number[];
        const strides = (cfg['strides'] as number[] | null) ?? pool;
        const inHW = node.inputShapes[0]!.slice(1, 3) as number[];
        const attrs = [ints('kernel_shape', pool), ints('strides', strides), ints('pads', pads2d(String(cfg['padding']), inHW, pool, strides, [1, 1]))];
        const op = node.className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
        if (op === 'AveragePool') attrs.push(int('count_include_pad', 0));
        result = { name: g.node(op, [toLayout(x, 'NCHW')], node.name, attrs), layout: 'NCHW', rank: 4 };
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        if (cfg['dataFormat'] === 'channels_first' || cfg['keepDims'] === true)
          throw new UnsupportedLayerError(where, node.name, node.className, 'channels_first / keepDims');
        const op = node.className === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool';
        const p = g.node(op, [toLayout(x, 'NCHW')], `${node.name}/${op}`);
        result = { name: g.node('Flatten', [p], node.name, [int('axis', 1)]), layout: 'flat', rank: 2 };
        break;
      }
      case 'Flatten':
        result = { name: g.node('Flatten', [toLayout(x, 'NHWC')], node.name, [int('axis', 1)]), layout: 'flat', rank: 2 };
        break;
      case 'Reshape': {
        const target = cfg['targetShape'] as number[];
        const shape = g.int64Tensor(`${node.name}/shape`, [0, ...target]);
        result = { name: g.node('Reshape', [toLayout(x, 'NHWC'), shape], node.name), layout: outRank === 4 ? 'NHWC' : 'flat', rank: outRank };
        break;
      }
      case 'Add':
      case 'Average':
      case 'Maximum':
      case 'Minimum':
      case 'Multiply':
      case 'Subtract': {
        const layout: 'NHWC' | 'NCHW' = x.layout === 'NCHW' ? 'NCHW' : 'NHWC';
        const names = ins.map((v) => toLayout(v, layout));
        const op = { Add: 'Sum', Average: 'Mean', Maximum: 'Max', Minimum: 'Min', Multiply: 'Mul', Subtract: 'Sub' }[node.className]!;
        let y: string;
        if (op === 'Mul') {
          y = names[0]!;
          for (let i = 1; i < names.length; i++) y = g.node('Mul', [y, names[i]!], i === names.length - 1 ? node.name : `${node.name}/mul${i}`);
        } else y = g.node(op, names, node.name);
        result = { name: y, layout: x.rank === 4 ? layout : x.layout, rank: x.rank };
        break;
      }
      case 'Concatenate': {
        let axis = Number(cfg['axis'] ?? -1);
        if (axis < 0) axis += x.rank;
        let layout: Layout = x.layout;
        let names: string[];
        if (x.rank === 4 && axis === 3) {
          names = ins.map((v) => toLayout(v, 'NCHW'));
          axis = 1;
          layout = 'NCHW';
        } else {
          names = ins.map((v) => toLayout(v, 'NHWC'));
          if (x.rank === 4) layout = 'NHWC';
        }
        result = { name: g.node('Concat', names, node.name, [int('axis', axis)]), layout, rank: x.rank };
        break;
      }
      default:
        throw new UnsupportedLayerError(
          where,
          node.name,
          node.className,
          `supported: ${ONNX_SUPPORTED_LAYERS.filter((c) => !INFERENCE_IDENTITY_CLASSES.has(c)).join(', ')}`,
        );
    }
    if (result.rank !== outRank) throw new DeployError(`exportOnnx: internal rank mismatch at '${node.name}' (${result.rank} vs ${outRank})`);
    void isOutput;
    values.set(node.name, result);
  }

  const root = onnxRoot();
  const valueInfo = (name: string, shape: (number | null)[]): object => ({
    name,
    type: {
      tensor_type: {
        elem_type: OnnxDataType.FLOAT,
        shape: { dim: shape.map((d, i) => (i === 0 || d == null ? { dim_param: i === 0 ? batchDim : `d${i}` } : { dim_value: d })) },
      },
    },
  });
  const outputs = graph.outputs.map((name) => {
    const v = values.get(name)!;
    const finalName = `${name}_output`;
    g.node('Identity', [toLayout(v, 'NHWC')], `${name}/output`, [], finalName);
    const node = graph.nodes.find((n) => n.name === name);
    return valueInfo(finalName, node ? node.outputShape : graph.inputs.find((i) => i.name === name)!.shape);
  });
  const ModelProto = root.lookupType('onnx.ModelProto');
  const message = ModelProto.fromObject({
    ir_version: 7,
    producer_name: '@cnn/deploy',
    producer_version: '0.1.0',
    model_version: 1,
    opset_import: [{ domain: '', version: opset }],
    graph: {
      name: opts.graphName ?? model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: graph.inputs.map((i) => valueInfo(i.name, i.shape)),
      output: outputs,
    },
    metadata_props: [{ key: 'layout', value: 'NHWC input and output (as the tfjs model)' }],
  });
  return ModelProto.encode(message).finish();
}

/** The ONNX `ModelProto` decoded to a plain object (int64 as numbers, bytes as `Uint8Array`), for inspection and tests. */
export function decodeOnnx(bytes: Uint8Array): Record<string, unknown> {
  const ModelProto = onnxRoot().lookupType('onnx.ModelProto');
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false }) as Record<string, unknown>;
}

/**
 * {@link exportOnnx} and write the bytes to `file` atomically (temp file + rename).
 * @returns the file size in bytes.
 */
export async function saveOnnx(model: tfl.LayersModel, file: string, opts: ExportOnnxOptions = {}): Promise<number> {
  const bytes = exportOnnx(model, opts);
  await writeFileAtomic(file, bytes);
  return bytes.byteLength;
}
