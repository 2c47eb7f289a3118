import type * as tfl from '@tensorflow/tfjs-layers';
import { improvedMnistNet, mnistNet, type ModelOptions } from './mnist-net';

/** A registered model: builder plus metadata. */
export interface ModelEntry {
  /** Canonical name, e.g. `mnistnet`. */
  name: string;
  /** Other accepted names. */
  aliases: string[];
  /** One-line description. */
  description: string;
  /** Input shape without batch axis (NHWC). */
  inputShape: [number, number, number];
  /** Trainable parameters with the default 10 classes (matches PyTorch). */
  trainableParams: number;
  /** Builds a fresh, randomly initialised model. */
  build: (opts?: ModelOptions) => tfl.Sequential;
}

const MODELS: ModelEntry[] = [
  {
    name: 'mnistnet', aliases: [], description: "The chapter's MNISTNet (2 conv + 2 dense, dropout)",
    inputShape: [28, 28, 1], trainableParams: 184_586, build: mnistNet,
  },
  {
    name: 'improved', aliases: ['improved-mnistnet'], description: 'ImprovedMNISTNet (3 conv + batch norm, dropout)',
    inputShape: [28, 28, 1], trainableParams: 391_370, build: improvedMnistNet,
  },
];

/** Canonical names of the registered models, e.g. `['mnistnet', 'improved']`. */
export function listModels(): string[] {
  return MODELS.map((m) => m.name);
}

/**
 * Looks up a registered model's entry by name or alias (case-insensitive).
 * @throws Error listing the known names when `name` is unknown.
 */
export function getModelEntry(name: string): ModelEntry {
  const key = String(name).toLowerCase();
  const entry = MODELS.find((m) => m.name === key || m.aliases.includes(key));
  if (!entry) {
    const known = MODELS.flatMap((m) => [m.name, ...m.aliases]).join(', ');
    throw new Error(`getModel: unknown model '${name}'. Known models: ${known}`);
  }
  return entry;
}

/**
 * Builds a registered model by name (`'mnistnet'`, `'improved'` / `'improved-mnistnet'`).
 * @throws Error listing the known names when `name` is unknown, or on invalid options.
 */
export function getModel(name: string, opts: ModelOptions = {}): tfl.Sequential {
  return getModelEntry(name).build(opts);
}
