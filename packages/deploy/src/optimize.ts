import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DeployError, UnsupportedLayerError } from './errors.js';
import { BATCH_NORM_CLASSES, INFERENCE_IDENTITY_CLASSES, batchNormParams, layerGraph, type GraphNode } from './layer-graph.js';

/** What {@link optimizeForInference} changed. */
export interface OptimizeReport {
  /** `bn → conv` pairs folded, e.g. `['bn1 → conv1']`. */
  foldedBatchNorms: string[];
  /** Identity layers removed (dropout, noise). */
  removed: string[];
  /** `activation → layer` pairs fused, e.g. `['relu1 → conv1']`. */
  fusedActivations: string[];
}

/** Options of {@link optimizeForInference}. */
export interface OptimizeOptions {
  /** Receives what was changed. */
  onReport?: (report: OptimizeReport) => void;
  /** Name of the new model. Default `${model.name}_inference`. */
  name?: string;
}

const FOLDABLE = new Set(['Conv2D', 'Dense']);

/** The activation a standalone layer applies, when it can be fused into a conv/dense (`null` otherwise). */
function fusableActivation(node: GraphNode): string | null {
  const cfg = node.layer.getConfig() as Record<string, unknown>;
  if (node.className === 'ReLU') return cfg['maxValue'] == null ? 'relu' : null;
  if (node.className === 'Activation') {
    const a = cfg['activation'];
    return typeof a === 'string' && a !== 'softmax' ? a : null; // softmax on a conv output is over channels either way, but keep it explicit
  }
  return null;
}

function newLayer(className: string, config: Record<string, unknown>): tfl.layers.Layer {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  const entry = map[className];
  if (!entry)
    throw new UnsupportedLayerError(
      'optimizeForInference',
      String(config['name']),
      className,
      'class is not registered for serialization; import the package that defines it',
    );
  const [cls, fromConfig] = entry;
  const { batchInputShape: _b, inputShape: _i, ...rest } = config;
  return fromConfig(cls, rest as tf.serialization.ConfigDict) as unknown as tfl.layers.Layer;
}

/**
 * Returns a new tfjs-layers model (functional) that computes the same inference-mode outputs as `model`
 * with fewer, cheaper layers:
 *
 * 1. **BatchNorm folding**: a `BatchNorm` (PyTorch semantics, `@cnn/models`) or `BatchNormalization`
 *    over the channel axis whose only input is a `Conv2D`/`Dense` with linear activation (and no other
 *    reader) is folded into that layer. With `s = gamma / sqrt(movingVariance + epsilon)`:
 *    `kernel'[..., c] = kernel[..., c] · s[c]`, `bias'[c] = (bias[c] − movingMean[c]) · s[c] + beta[c]`
 *    (a conv without bias gains one). Computed in float64, stored as float32.
 * 2. **Dropout removal**: `Dropout`, `SeededDropout`, `SpatialDropout*`, `Gaussian*`, `AlphaDropout` are
 *    identities at inference and are dropped.
 * 3. **Activation fusion**: a `ReLU` layer (no `maxValue`) or `Activation` layer whose only input is a
 *    `Conv2D`/`Dense` with linear activation (after folding) becomes that layer's `activation`, which
 *    tfjs runs as one fused kernel (`FusedConv2D` / `_FusedMatMul`).
 *
 * The original model is not modified; the new one shares no variables with it. Unlike the chapter's
 * `optimize_for_inference`, BatchNorm keeps using the running statistics, so batch-of-1 predictions
 * equal batch-of-N ones.
 *
 * @param model - a built Sequential or functional model; input `[batch, ...]`.
 * @returns a new `tfl.LayersModel` with the same input/output shapes.
 * @throws UnsupportedLayerError for shared layers, nested models, or a layer whose class is not
 *   registered for serialisation.
 */
export function optimizeForInference(model: tfl.LayersModel, opts: OptimizeOptions = {}): tfl.LayersModel {
  const graph = layerGraph(model, 'optimizeForInference');
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const sole = (name: string): GraphNode | undefined => {
    if (graph.consumers.get(name) !== 1 || graph.outputs.includes(name)) return undefined;
    return graph.nodes.find((n) => n.inputs.includes(name));
  };
  const report: OptimizeReport = { foldedBatchNorms: [], removed: [], fusedActivations: [] };
  const symbolic = new Map<string, tfl.SymbolicTensor>();
  const inputs = graph.inputs.map((i) => {
    const t = tfl.input({ shape: i.shape.slice(1) as number[], name: i.name, dtype: i.dtype });
    symbolic.set(i.name, t);
    return t;
  });
  const absorbed = new Set<string>();
  const pendingWeights: { layer: tfl.layers.Layer; weights: tf.Tensor[] }[] = [];
  try {
    for (const node of graph.nodes) {
      if (absorbed.has(node.name)) continue;
      const ins = node.inputs.map((n) => {
        const t = symbolic.get(n);
        if (!t) throw new DeployError(`optimizeForInference: value '${n}' used by '${node.name}' is not computed yet`);
        return t;
      });
      if (INFERENCE_IDENTITY_CLASSES.has(node.className)) {
        symbolic.set(node.name, ins[0]!);
        report.removed.push(node.name);
        continue;
      }
      const config = { ...(node.layer.getConfig() as Record<string, unknown>) };
      let weights = node.layer.getWeights().map((w) => w.clone());
      let outName = node.name;
      if (FOLDABLE.has(node.className) && config['activation'] === 'linear' && config['dataFormat'] !== 'channels_first') {
        const bnNode = sole(node.name);
        if (bnNode && BATCH_NORM_CLASSES.has(bnNode.className)) {
          const bn = batchNormParams(bnNode.layer, 'optimizeForInference');
          const kernel = weights[0]!;
          const outC = kernel.shape[kernel.shape.length - 1]!;
          if (bn.mean.length !== outC)
            throw new DeployError(`optimizeForInference: '${bnNode.name}' has ${bn.mean.length} channels, '${node.name}' outputs ${outC}`);
          const k = Float64Array.from(kernel.dataSync());
          const b = config['useBias'] ? Float64Array.from(weights[1]!.dataSync()) : new Float64Array(outC);
          const s = bn.gamma.map((g, c) => g / Math.sqrt(bn.variance[c]! + bn.epsilon));
          const k2 = new Float32Array(k.length);
          for (let i = 0; i < k.length; i++) k2[i] = k[i]! * s[i % outC]!;
          const b2 = new Float32Array(outC);
          for (let c = 0; c < outC; c++) b2[c] = (b[c]! - bn.mean[c]!) * s[c]! + bn.beta[c]!;
          weights.forEach((w) => w.dispose());
          weights = [tf.tensor(k2, kernel.shape), tf.tensor1d(b2)];
          config['useBias'] = true;
          absorbed.add(bnNode.name);
          report.foldedBatchNorms.push(`${bnNode.name} → ${node.name}`);
          outName = bnNode.name;
        }
        const actNode = sole(outName);
        const act = actNode ? fusableActivation(actNode) : null;
        if (actNode && act) {
          config['activation'] = act;
          absorbed.add(actNode.name);
          report.fusedActivations.push(`${actNode.name} → ${node.name}`);
          outName = actNode.name;
        }
      }
      const layer = newLayer(node.className, config);
      const out = layer.apply(ins.length === 1 ? ins[0]! : ins) as tfl.SymbolicTensor;
      pendingWeights.push({ layer, weights });
      symbolic.set(node.name, out);
      if (outName !== node.name) symbolic.set(outName, out);
      // Values of absorbed layers resolve to the fused output too.
      for (const a of absorbed) if (!symbolic.has(a) && byName.get(a)) symbolic.set(a, out);
    }
    const outputs = graph.outputs.map((n) => symbolic.get(n)!);
    const result = tfl.model({ inputs, outputs, name: opts.name ?? `${model.name}_inference` });
    // the normalisation and class names travel with the model (the server needs them)
    const metadata = model.getUserDefinedMetadata();
    if (metadata !== undefined) result.setUserDefinedMetadata(metadata);
    for (const { layer, weights } of pendingWeights) if (weights.length) layer.setWeights(weights);
    opts.onReport?.(report);
    return result;
  } finally {
    for (const { weights } of pendingWeights) tf.dispose(weights);
  }
}
