import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { SafeTensor } from './safetensors.js';
import { ModelError } from '../errors.js';

/** Options of {@link importTorchStateDict}. */
export interface ImportTorchOptions {
  /**
   * Require a one-to-one match: every state-dict key used (except `num_batches_tracked`) and every model
   * weight assigned. `false` loads what matches and reports the rest. Default `true`.
   */
  strict?: boolean;
  /** Name of the weights' origin (path or URL) used in messages. Default `'state_dict'`. */
  source?: string;
}

/** What {@link importTorchStateDict} did. */
export interface ImportTorchReport {
  /** State-dict keys copied into the model, e.g. `layer1.0.conv1.weight`. */
  loaded: string[];
  /** State-dict keys with no matching layer weight (skipped; an error when strict). */
  unexpected: string[];
  /** Model weights (`layer/weight`) that no key filled (left as they were; an error when strict). */
  missing: string[];
  /** Keys skipped by design (`*.num_batches_tracked`). */
  ignored: string[];
}

/**
 * Which of our weights a PyTorch parameter suffix is, per tfjs layer class: `weight` → `kernel` (Conv2D,
 * Dense), `depthwise_kernel` (DepthwiseConv2D) or `gamma` (batch norm); `bias` → `bias` / `beta`;
 * `running_mean` → `moving_mean`; `running_var` → `moving_variance`.
 */
const PARAM_MAP: Record<string, Record<string, string>> = {
  Conv2D: { weight: 'kernel', bias: 'bias' },
  DepthwiseConv2D: { weight: 'depthwise_kernel', bias: 'bias' },
  Dense: { weight: 'kernel', bias: 'bias' },
  BatchNorm: { weight: 'gamma', bias: 'beta', running_mean: 'moving_mean', running_var: 'moving_variance' },
  BatchNormalization: { weight: 'gamma', bias: 'beta', running_mean: 'moving_mean', running_var: 'moving_variance' },
};

/**
 * Splits a torchvision state-dict key into our layer name and PyTorch parameter name: everything before
 * the last `.` is the module path, which is our layer name (tfjs names may contain dots), e.g.
 * `layer1.0.downsample.1.running_var` → `{layer: 'layer1.0.downsample.1', param: 'running_var'}`.
 */
export function splitTorchKey(key: string): { layer: string; param: string } {
  const i = key.lastIndexOf('.');
  return i < 0 ? { layer: '', param: key } : { layer: key.slice(0, i), param: key.slice(i + 1) };
}

/** Row-major transpose of `data` with `shape` by `perm` (numpy's `transpose(perm)`). */
export function permute(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const strideOfOut = perm.map((p) => inStrides[p]);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * strideOfOut[d];
    out[o] = data[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape: outShape };
}

/** `[h, w, c]` of the Flatten feeding `layer` (through dropout/activation layers), if spatial. */
function flattenSource(layer: tfl.layers.Layer): [number, number, number] | undefined {
  let cur: tfl.layers.Layer | undefined = layer;
  for (let hops = 0; hops < 8 && cur; hops++) {
    const node: { inboundLayers: tfl.layers.Layer[] } | undefined = (cur as unknown as { inboundNodes: { inboundLayers: tfl.layers.Layer[] }[] })
      .inboundNodes?.[0];
    const prev: tfl.layers.Layer | undefined = node?.inboundLayers?.[0];
    if (!prev) return undefined;
    const cls = prev.getClassName();
    if (cls === 'Flatten') {
      const inp = prev.input as tfl.SymbolicTensor | tfl.SymbolicTensor[];
      const shape = (Array.isArray(inp) ? inp[0] : inp).shape as (number | null)[];
      if (shape.length === 4 && shape.slice(1).every((d) => typeof d === 'number') && (shape[1] as number) * (shape[2] as number) > 1) {
        return [shape[1] as number, shape[2] as number, shape[3] as number];
      }
      return undefined;
    }
    if (!['Dropout', 'SeededDropout', 'Activation'].includes(cls)) return undefined;
    cur = prev;
  }
  return undefined;
}

/**
 * Converts one PyTorch tensor to our layout for weight `weight` of `layer`:
 * - Conv2D kernel: OIHW → HWIO (`permute(2, 3, 1, 0)`);
 * - DepthwiseConv2D kernel: `[C·M, 1, kh, kw]` → `[kh, kw, C, M]`;
 * - Dense kernel: `[out, in]` → `[in, out]`; when fed by a Flatten of an `[h, w, c]` map, the rows are also
 *   reordered from PyTorch's NCHW flatten order `(c, h, w)` to our NHWC order `(h, w, c)`;
 * - everything else (biases, BN affine and running statistics): unchanged.
 */
export function convertTorchTensor(layer: tfl.layers.Layer, weight: string, t: SafeTensor, target: number[]): { data: Float32Array; shape: number[] } {
  const cls = layer.getClassName();
  if (cls === 'Conv2D' && weight === 'kernel' && t.shape.length === 4) return permute(t.data, t.shape, [2, 3, 1, 0]);
  if (cls === 'DepthwiseConv2D' && weight === 'depthwise_kernel' && t.shape.length === 4) {
    const m = target.length === 4 ? target[3] : 1;
    const [o, , kh, kw] = t.shape;
    return permute(t.data, [o / m, m, kh, kw], [2, 3, 0, 1]);
  }
  if (cls === 'Dense' && weight === 'kernel' && t.shape.length === 2) {
    const [outF, inF] = t.shape;
    const src = flattenSource(layer);
    let data = t.data;
    if (src && src[0] * src[1] * src[2] === inF) {
      // [out, c, h, w] → [out, h, w, c]: PyTorch flattens NCHW, tfjs NHWC
      data = permute(data, [outF, src[2], src[0], src[1]], [0, 2, 3, 1]).data;
    }
    return permute(data, [outF, inF], [1, 0]);
  }
  return { data: t.data, shape: t.shape.slice() };
}

function list(names: string[]): string {
  const head = names.slice(0, 20).join(', ');
  return names.length > 20 ? `${head}, … (${names.length} in all)` : head;
}

/**
 * Copies a PyTorch `state_dict` (e.g. from {@link parseSafetensors}) into a tfjs-layers model whose layer
 * names are the PyTorch module paths (the zoo models, the chapter's nets): key `<module>.<param>` goes to
 * layer `<module>`, with the layout conversions of {@link convertTorchTensor}. Everything is checked
 * before any weight is written, so a failed import leaves the model unchanged.
 *
 * @param tensors state-dict tensors by key (float32, PyTorch layout).
 * @returns which keys were loaded, unexpected, ignored, and which model weights are missing.
 * @throws Error when a converted tensor's shape differs from the target weight's (naming the key, the
 *   layer and both shapes); when `strict` (default) and keys are unexpected or weights missing (listing
 *   them, with a hint to pass `strict: false`).
 */
export function importTorchStateDict(
  model: tfl.LayersModel,
  tensors: Map<string, SafeTensor> | Record<string, SafeTensor>,
  opts: ImportTorchOptions = {},
): ImportTorchReport {
  const strict = opts.strict ?? true;
  const source = opts.source ?? 'state_dict';
  const entries = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const layers = new Map(model.layers.map((l) => [l.name, l]));
  const report: ImportTorchReport = { loaded: [], unexpected: [], missing: [], ignored: [] };
  const writes: { variable: tfl.LayerVariable; data: Float32Array; shape: number[] }[] = [];
  const filled = new Set<string>();
  for (const [key, t] of entries) {
    const { layer: layerName, param } = splitTorchKey(key);
    if (param === 'num_batches_tracked') {
      report.ignored.push(key);
      continue;
    }
    const layer = layers.get(layerName);
    const ours = layer ? PARAM_MAP[layer.getClassName()]?.[param] : undefined;
    const variable = ours ? layer!.weights.find((w) => w.originalName.endsWith(`/${ours}`)) : undefined;
    if (!layer || !variable) {
      report.unexpected.push(key);
      continue;
    }
    const target = variable.shape as number[];
    const converted = convertTorchTensor(layer, ours!, t, target);
    if (!tf.util.arraysEqual(converted.shape, target)) {
      throw new ModelError(
        `importTorchStateDict: ${source}: '${key}' has shape [${t.shape}] (→ [${converted.shape}] in our layout) but layer '${layerName}' (${layer.getClassName()}) weight '${ours}' has shape [${target}]`,
        { code: 'ERR_CNN_WEIGHTS_FORMAT' },
      );
    }
    writes.push({ variable, ...converted });
    filled.add(variable.originalName);
    report.loaded.push(key);
  }
  for (const w of model.weights) if (!filled.has(w.originalName)) report.missing.push(w.originalName);
  if (strict && (report.unexpected.length > 0 || report.missing.length > 0)) {
    const parts: string[] = [];
    if (report.unexpected.length) parts.push(`unexpected keys (no such layer weight): ${list(report.unexpected)}`);
    if (report.missing.length) parts.push(`missing keys for model weights: ${list(report.missing)}`);
    throw new ModelError(
      `importTorchStateDict: ${source} does not match model '${model.name}': ${parts.join('; ')}. Pass strict: false to load the matching weights only.`,
      { code: 'ERR_CNN_WEIGHTS_FORMAT' },
    );
  }
  for (const { variable, data, shape } of writes) {
    const value = tf.tensor(data, shape, 'float32');
    variable.write(value);
    value.dispose();
  }
  return report;
}
