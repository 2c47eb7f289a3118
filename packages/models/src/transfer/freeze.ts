import type * as tfl from '@tensorflow/tfjs-layers';
import { findHead } from './head.js';
import { ModelError } from '../errors.js';

/** Which layers: names, a pattern on the name, or a predicate. */
export type LayerSelector = string[] | RegExp | ((layer: tfl.layers.Layer) => boolean);

/** A group of consecutive layers, e.g. ResNet's `layer3`. */
export interface Stage {
  /** Stage name: `stem`, `layer1`…`layer4` (ResNet), `block1`… (DenseNet, the chapter's nets), `stage1`…`stage7` (MobileNetV2), `classifier`, `head`. */
  name: string;
  /** Layer names in model order. */
  layers: string[];
}

// MobileNetV2 `features.<i>` → stage (torchvision's inverted-residual settings: 1, 2, 3, 4, 3, 3, 1 blocks).
const MOBILENET_STAGE = [0, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7];

/** The stage a layer name explicitly starts or belongs to, or `undefined` (then: the current stage). */
function explicitStage(name: string, chapterNames: boolean): string | undefined {
  let m = /^layer(\d+)\./.exec(name);
  if (m) return `layer${m[1]}`;
  m = /^features\.(?:denseblock|transition)(\d+)\./.exec(name);
  if (m) return `block${m[1]}`;
  m = /^features\.(\d+)\./.exec(name);
  if (m) {
    const s = MOBILENET_STAGE[Number(m[1])];
    return s === undefined ? `stage${MOBILENET_STAGE[MOBILENET_STAGE.length - 1]}` : s === 0 ? 'stem' : `stage${s}`;
  }
  if (!chapterNames) return undefined;
  m = /^(?:conv|bn|relu|pool)(\d+)(?:_\d+)?$/.exec(name);
  if (m) return `block${m[1]}`;
  if (/^(?:flatten|fc\d*|bn_fc\d*|relu_fc\d*)$/.test(name)) return 'classifier';
  return undefined;
}

/**
 * Splits a model's layers into stages by their (torchvision-style) names, in model order; the head
 * ({@link findHead}) is always the last stage, `head`. Layers with no stage of their own (activations,
 * pooling, `features.norm5`) join the current one; those before the first named stage form `stem`.
 * Input layers are left out.
 * @throws Error as {@link findHead}.
 */
export function modelStages(model: tfl.LayersModel): Stage[] {
  const head = findHead(model);
  const stages: Stage[] = [];
  let current = 'stem';
  // conv1/bn1 are the stem of a ResNet, block 1 of the chapter's nets
  const chapterNames = !model.layers.some((l) => /^(?:layer\d+|features)\./.test(l.name));
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const name = layer === head ? 'head' : (explicitStage(layer.name, chapterNames) ?? current);
    if (layer !== head) current = name;
    const last = stages[stages.length - 1];
    if (last && last.name === name) last.layers.push(layer.name);
    else {
      const existing = stages.find((s) => s.name === name);
      if (existing) existing.layers.push(layer.name);
      else stages.push({ name, layers: [layer.name] });
    }
  }
  return stages;
}

function select(model: tfl.LayersModel, fn: string, selector: LayerSelector): tfl.layers.Layer[] {
  if (Array.isArray(selector)) {
    const byName = new Map(model.layers.map((l) => [l.name, l]));
    const unknown = selector.filter((n) => !byName.has(n));
    if (unknown.length) throw new ModelError(`${fn}: model '${model.name}' has no layer(s) ${unknown.join(', ')}`);
    return selector.map((n) => byName.get(n)!);
  }
  if (selector instanceof RegExp) return model.layers.filter((l) => selector.test(l.name));
  if (typeof selector === 'function') return model.layers.filter(selector);
  throw new ModelError(`${fn}: selector must be an array of layer names, a RegExp or a predicate`);
}

function setTrainable(layers: tfl.layers.Layer[], value: boolean): string[] {
  for (const l of layers) l.trainable = value;
  return layers.map((l) => l.name);
}

/**
 * Freezes the selected layers (`requires_grad = False`): their weights leave `model.trainableWeights`, so
 * the training step neither differentiates nor updates them, and frozen {@link BatchNorm} layers run in
 * inference mode (running statistics, no updates).
 * @returns the names of the layers frozen.
 * @throws Error when a named layer does not exist.
 */
export function freezeLayers(model: tfl.LayersModel, selector: LayerSelector): string[] {
  return setTrainable(select(model, 'freezeLayers', selector), false);
}

/**
 * Unfreezes the selected layers (inverse of {@link freezeLayers}).
 * @returns the names of the layers unfrozen.
 * @throws Error when a named layer does not exist.
 */
export function unfreezeLayers(model: tfl.LayersModel, selector: LayerSelector): string[] {
  return setTrainable(select(model, 'unfreezeLayers', selector), true);
}

function stageLayers(model: tfl.LayersModel, fn: string, names: string[]): string[] {
  const stages = modelStages(model);
  const unknown = names.filter((n) => !stages.some((s) => s.name === n));
  if (unknown.length) throw new ModelError(`${fn}: unknown stage(s) ${unknown.join(', ')}; model '${model.name}' has ${stages.map((s) => s.name).join(', ')}`);
  return stages.filter((s) => names.includes(s.name)).flatMap((s) => s.layers);
}

/** Freezes whole stages ({@link modelStages}), e.g. `['stem', 'layer1']`. @throws Error on an unknown stage. */
export function freezeStages(model: tfl.LayersModel, stages: string[]): string[] {
  return freezeLayers(model, stageLayers(model, 'freezeStages', stages));
}

/** Unfreezes whole stages ({@link modelStages}), e.g. `['layer4', 'head']`. @throws Error on an unknown stage. */
export function unfreezeStages(model: tfl.LayersModel, stages: string[]): string[] {
  return unfreezeLayers(model, stageLayers(model, 'unfreezeStages', stages));
}

/** Freezes every layer except the head ({@link findHead}), which is unfrozen (feature extraction). */
export function freezeAllButHead(model: tfl.LayersModel): void {
  const head = findHead(model);
  for (const l of model.layers) l.trainable = l === head;
}

/** Unfreezes every layer (full fine-tuning). */
export function unfreezeAll(model: tfl.LayersModel): void {
  for (const l of model.layers) l.trainable = true;
}

/** Names of the layers that own trainable weights and are not frozen, in model order. */
export function trainableLayerNames(model: tfl.LayersModel): string[] {
  return model.layers.filter((l) => l.trainable && l.trainableWeights.length > 0).map((l) => l.name);
}
