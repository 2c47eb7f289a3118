/**
 * What a saved model must carry to be used without its training code: the input normalisation and the class
 * names. Stored in the TF.js model format's `userDefinedMetadata` (key `cnn`), so it travels with `model.json`
 * through every tfjs IO handler (files, `indexeddb://`, `http(s)://`).
 *
 * @packageDocumentation
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { CnnError } from './errors.js';
import { checkNormalization, type Normalization } from './types.js';

/** Key of the toolkit's entry in `userDefinedMetadata`. */
export const MODEL_METADATA_KEY = 'cnn';

/** Metadata saved with a model (`model.json` → `userDefinedMetadata.cnn`). */
export interface ModelMetadata {
  /** The normalisation the model was trained with (required: an input cannot be prepared without it). */
  normalization: Normalization;
  /** Class names, indexed by output position. */
  classNames?: readonly string[];
  /** Input image size `[height, width]` the model was trained on (what a predictor resizes to). */
  imageSize?: readonly [number, number];
  /** Input channels (1 grey, 3 RGB). */
  channels?: number;
}

/**
 * Stores `metadata` on `model` (tfjs `setUserDefinedMetadata`, other keys kept), so the next save writes it.
 *
 * @param model - A tfjs-layers model with a defined input shape `[batch, height, width, channels]`.
 * @throws CnnError when `normalization` does not fit the model's channel count (see {@link checkNormalization}).
 */
export function setModelMetadata(model: tfl.LayersModel, metadata: ModelMetadata): void {
  const channels = model.inputs[0]?.shape[3];
  checkNormalization('setModelMetadata', metadata.normalization, typeof channels === 'number' ? channels : metadata.normalization.mean.length);
  const current = (model.getUserDefinedMetadata() ?? {}) as Record<string, unknown>;
  const entry: ModelMetadata = {
    normalization: { mean: [...metadata.normalization.mean], std: [...metadata.normalization.std] },
    ...(metadata.classNames ? { classNames: [...metadata.classNames] } : {}),
    ...(metadata.imageSize ? { imageSize: [metadata.imageSize[0], metadata.imageSize[1]] as const } : {}),
    ...(metadata.channels !== undefined ? { channels: metadata.channels } : {}),
  };
  model.setUserDefinedMetadata({ ...current, [MODEL_METADATA_KEY]: entry });
}

/**
 * Reads the metadata {@link setModelMetadata} stored (also after a save / load round trip).
 *
 * @returns The metadata, or `undefined` when the model has none.
 * @throws CnnError when the entry exists but is malformed (no `normalization`, wrong types).
 */
export function getModelMetadata(model: Pick<tfl.LayersModel, 'getUserDefinedMetadata'>): ModelMetadata | undefined {
  const entry = (model.getUserDefinedMetadata() as Record<string, unknown> | undefined)?.[MODEL_METADATA_KEY] as ModelMetadata | undefined;
  if (entry === undefined) return undefined;
  const n = entry?.normalization;
  if (!n || !Array.isArray(n.mean) || !Array.isArray(n.std)) {
    throw new CnnError(
      `getModelMetadata: userDefinedMetadata.${MODEL_METADATA_KEY}.normalization must be {mean: number[], std: number[]}. Received: ${JSON.stringify(n)}`,
    );
  }
  if (entry.classNames !== undefined && !(Array.isArray(entry.classNames) && entry.classNames.every((c) => typeof c === 'string'))) {
    throw new CnnError(`getModelMetadata: userDefinedMetadata.${MODEL_METADATA_KEY}.classNames must be strings`);
  }
  return entry;
}
