import * as tfl from '@tensorflow/tfjs-layers';
import { dense } from '../fused.js';
import { layerInit, type InitScheme } from '../init.js';
import { ModelError } from '../errors.js';

/**
 * The classification head of a model: its output layer, which must be a `Dense` layer (`fc` for ResNet,
 * `classifier` for DenseNet, `classifier.1` for MobileNetV2, `fc2` for the chapter's nets).
 * @throws Error when the model has several outputs or its output layer is not Dense.
 */
export function findHead(model: tfl.LayersModel): tfl.layers.Layer {
  if (model.outputs.length !== 1) throw new ModelError(`findHead: model '${model.name}' has ${model.outputs.length} outputs; expected 1`);
  const layer = model.layers[model.layers.length - 1];
  if (layer?.getClassName() !== 'Dense') {
    throw new ModelError(
      `findHead: the output layer of model '${model.name}' is ${layer ? `'${layer.name}' (${layer.getClassName()})` : 'missing'}; expected a Dense classifier`,
    );
  }
  return layer;
}

/** Options of {@link replaceHead}. */
export interface ReplaceHeadOptions {
  /** Integer seed of the new head's initialiser. Default: unseeded. */
  seed?: number;
  /** Initialisation of the new head. Default `'pytorch'` (`nn.Linear` default). */
  init?: InitScheme;
}

/**
 * Replaces the classification head ({@link findHead}) by a fresh `Dense(numClasses)` with the same name
 * (so PyTorch key names keep matching), like `model.fc = nn.Linear(model.fc.in_features, numClasses)`.
 *
 * The returned functional model shares every other layer (and its weights and trainable flags) with
 * `model`: train the returned one and dispose only it (or `model`, not both). The old head's weights are
 * disposed.
 *
 * @returns a new `tf.LayersModel` mapping the same input to `[batch, numClasses]` logits.
 * @throws Error when `numClasses` is not a positive integer or the model has no Dense head.
 */
export function replaceHead(model: tfl.LayersModel, numClasses: number, opts: ReplaceHeadOptions = {}): tfl.LayersModel {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new ModelError(`replaceHead: numClasses must be a positive integer. Received: numClasses=${numClasses}`);
  const head = findHead(model);
  const features = head.input as tfl.SymbolicTensor;
  const inF = features.shape[features.shape.length - 1];
  if (typeof inF !== 'number') throw new ModelError(`replaceHead: the input of head '${head.name}' has an undefined feature axis`);
  const fresh = dense({ name: head.name, units: numClasses, ...layerInit(opts.init ?? 'pytorch', inF, opts.seed) });
  const out = fresh.apply(features) as tfl.SymbolicTensor;
  const next = tfl.model({ inputs: model.inputs, outputs: out, name: model.name });
  for (const w of head.weights) w.dispose();
  return next;
}
