/**
 * Saving and loading tfjs-layers models through tfjs IO handlers, in every environment: `indexeddb://`,
 * `localstorage://`, `downloads://` and `http(s)://` in a browser; folder paths and `file://` URLs in Node once
 * `@cnn/train/node` is imported (it registers its folder handler with `tf.io`, as tfjs-node does), with the
 * metadata a model needs to be used without its training code.
 *
 * @packageDocumentation
 */
import { setModelMetadata, type ModelMetadata } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { TrainError } from './errors.js';

/** Rewrites the weights before they are stored, e.g. `@cnn/deploy`'s float16 / uint8 quantisation. */
export type WeightTransform = (specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer) => { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer };

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /**
   * Normalisation and class names saved with the model (`userDefinedMetadata.cnn`, see `@cnn/core`'s
   * `setModelMetadata`), what `@cnn/deploy`'s server and the web demo read. Default: what the model carries.
   */
  metadata?: ModelMetadata;
  /**
   * Largest weight file in bytes: the weights are split into `group1-shard{i}of{n}.bin` files (TF.js
   * converter naming; handlers that keep one blob, e.g. IndexedDB, join them). Integer >= 1. Default: one
   * file, `weights.bin`.
   */
  shardBytes?: number;
  /** Rewrites the weight specs and bytes before they are stored (quantisation). Default: none. */
  transformWeights?: WeightTransform;
}

/** What {@link saveModel} wrote. */
export interface SavedModelInfo {
  /** Where: the absolute folder (Node folder handler) or the URL given. */
  dir: string;
  /** Weight file names in manifest order, e.g. `['weights.bin']` or `['group1-shard1of2.bin', 'group1-shard2of2.bin']`. */
  shards: string[];
  /** Total weight bytes. */
  weightBytes: number;
}

/** The model's artifacts as `model.save` produces them (topology, weight specs, one weight buffer). */
export async function modelArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightSpecs) throw new TrainError('saveModel: the model produced no weight specs', { code: 'ERR_CNN_MODEL_FILES' });
  return artifacts;
}

/** Names of the weight files {@link saveModel} writes for `bytes` weight bytes. */
export function weightFileNames(bytes: number, shardBytes?: number): string[] {
  if (shardBytes === undefined) return ['weights.bin'];
  const n = Math.max(1, Math.ceil(bytes / shardBytes));
  return Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
}

function resolveSaveHandler(target: string | tf.io.IOHandler, fn: string): tf.io.IOHandler {
  if (typeof target !== 'string') {
    if (typeof target?.save !== 'function')
      throw new TrainError(`${fn}: the IO handler has no save(). Received: ${String(target)}`, { code: 'ERR_CNN_INVALID_OPTION' });
    return target;
  }
  const handlers = tf.io.getSaveHandlers(target);
  if (handlers.length === 0) {
    throw new TrainError(
      `${fn}: no tfjs IO handler for '${target}'. In a browser use indexeddb://, localstorage://, downloads:// or ` +
        `http(s):// URLs; in Node import '@cnn/train/node' for folder paths and file:// URLs`,
      { code: 'ERR_CNN_MODEL_FILES' },
    );
  }
  return handlers[0];
}

/**
 * Saves a tfjs-layers model in the TF.js layers format through a tfjs IO handler: `model.json` (topology,
 * weight manifest, `userDefinedMetadata`) and the weights, optionally sharded and transformed (quantised). A
 * folder (Node, `@cnn/train/node`) is written atomically: the files go to a temporary sibling folder that
 * replaces the previous one only once complete; a folder that is not a model folder is never replaced.
 *
 * @param target - A tfjs IO URL (`indexeddb://name`, `downloads://name`, `http(s)://…`), an IO handler, or in
 *   Node a folder path / `file://` URL.
 * @throws TrainError on bad options ("Received: shardBytes=…"), when no handler serves `target`, or the
 *   handler's errors (I/O, refusing a non-model folder).
 */
export async function saveModel(model: tfl.LayersModel, target: string | tf.io.IOHandler, opts: SaveModelOptions = {}): Promise<SavedModelInfo> {
  if (opts.shardBytes !== undefined && !(Number.isInteger(opts.shardBytes) && opts.shardBytes >= 1)) {
    throw new TrainError(`saveModel: shardBytes must be an integer >= 1. Received: shardBytes=${opts.shardBytes}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  const handler = resolveSaveHandler(target, 'saveModel');
  if (opts.metadata) setModelMetadata(model, opts.metadata);
  const artifacts = await modelArtifacts(model);
  let specs = artifacts.weightSpecs ?? [];
  let data = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
  if (opts.transformWeights) ({ specs, data } = opts.transformWeights(specs, data));
  const shards = weightFileNames(data.byteLength, opts.shardBytes);
  const weightData: tf.io.WeightData =
    opts.shardBytes === undefined ? data : shards.map((_, i) => data.slice(i * opts.shardBytes!, (i + 1) * opts.shardBytes!));
  const result = await handler.save!({ ...artifacts, weightSpecs: specs, weightData });
  const where = (result as { dir?: string }).dir ?? (typeof target === 'string' ? target : 'IO handler');
  return { dir: where, shards, weightBytes: data.byteLength };
}

/**
 * Loads a TF.js layers model through a tfjs IO handler (`tfl.loadLayersModel`); in Node with `@cnn/train/node`
 * imported, folder paths and `file://` URLs are read by the one `model.json` reader (`readModelArtifacts`) with
 * the checks of a hostile folder: `model.json` valid (`modelTopology` object, `weightsManifest` entries with
 * names, integer shapes and numeric dtypes), weight paths inside the folder, each weight group holding exactly
 * the bytes its manifest declares (naming the tensor that does not fit). Custom layers (e.g. `@cnn/models`' `BatchNorm`)
 * must be registered first, i.e. import the package that defines them.
 *
 * @param source - A tfjs IO URL (`indexeddb://name`, `http(s)://…/model.json`), an IO handler, or in Node a
 *   folder path / `file://` URL.
 * @throws TrainError when no handler serves `source`; the handler's errors: for folders a TrainError with code
 *   `ERR_CNN_MODEL_FILES` naming the file (missing / invalid `model.json`, missing or short weight files,
 *   manifest mismatches, weight paths outside the folder).
 */
export async function loadModel(source: string | tf.io.IOHandler): Promise<tfl.LayersModel> {
  if (typeof source !== 'string') return tfl.loadLayersModel(source);
  const handlers = tf.io.getLoadHandlers(source);
  if (handlers.length === 0) {
    throw new TrainError(
      `loadModel: no tfjs IO handler for '${source}'. In a browser use indexeddb://, localstorage:// or http(s):// ` +
        `URLs; in Node import '@cnn/train/node' for folder paths and file:// URLs`,
      { code: 'ERR_CNN_MODEL_FILES' },
    );
  }
  return tfl.loadLayersModel(handlers[0]);
}
