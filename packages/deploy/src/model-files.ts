import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as nodeFs from 'node:fs/promises';
import * as path from 'node:path';
import { CnnError } from '@cnn/core';
import * as train from '@cnn/train';
import { loadModel, saveModel } from '@cnn/train';
import '@cnn/train/node'; // folder paths for saveModel / loadModel
import { ModelFileError } from './errors.js';
import { quantizeWeights, type WeightQuantization } from './quantize.js';

/** Options of {@link saveModelFiles}. */
export interface SaveModelFilesOptions {
  /** Largest weight file in bytes; weights are split across `group1-shard{i}of{n}.bin` files. Default `4 MiB` (4,194,304, as the TF.js converter). */
  shardBytes?: number;
  /** Store float32 weights as `'float16'` or `'uint8'` ({@link quantizeWeights}). Default: none (float32). */
  quantization?: WeightQuantization | null;
}

/** What {@link saveModelFiles} wrote. */
export interface SavedModelFiles {
  /** Absolute folder. */
  dir: string;
  /** Weight file names in manifest order, e.g. `['group1-shard1of2.bin', 'group1-shard2of2.bin']`. */
  shards: string[];
  /** Total weight bytes. */
  weightBytes: number;
  /** Size of `model.json` in bytes. */
  modelJsonBytes: number;
}

/**
 * Saves `model` in the TF.js layers format with sharded (and optionally quantised) weights, atomically:
 * `@cnn/train`'s {@link saveModel} with its `shardBytes` and `transformWeights` options (the folder swap keeps
 * the previous model on failure and refuses to replace a non-model folder). The model's metadata
 * (`userDefinedMetadata`: normalisation, class names) is kept.
 *
 * @throws ModelFileError when `shardBytes` is not a positive integer; errors of `saveModel` otherwise.
 */
export async function saveModelFiles(model: tfl.LayersModel, dir: string, opts: SaveModelFilesOptions = {}): Promise<SavedModelFiles> {
  const shardBytes = opts.shardBytes ?? 4 * 1024 * 1024;
  if (!Number.isInteger(shardBytes) || shardBytes < 1)
    throw new ModelFileError(`saveModelFiles: shardBytes must be a positive integer. Received: shardBytes=${opts.shardBytes}`);
  const q = opts.quantization;
  const info = await saveModel(model, dir, { shardBytes, ...(q ? { transformWeights: (specs, data) => quantizeWeights(specs, data, q) } : {}) });
  const modelJsonBytes = (await nodeFs.stat(path.join(info.dir, 'model.json'))).size;
  return { dir: info.dir, shards: info.shards, weightBytes: info.weightBytes, modelJsonBytes };
}

/** A `model.json` checked by {@link parseModelJson} (`@cnn/train`'s type, re-exported). */
export type CheckedModelJson = train.CheckedModelJson;

/**
 * Turns an error of `@cnn/train`'s `model.json` reader (a TrainError with code `ERR_CNN_MODEL_FILES`) into a
 * {@link ModelFileError} with the same message (the original as `cause`); returns other errors unchanged.
 */
function asModelFileError(err: unknown): unknown {
  if (err instanceof ModelFileError || !CnnError.isInstance(err) || (err as CnnError).code !== train.MODEL_FILES_CODE) return err;
  return new ModelFileError((err as Error).message, { cause: err });
}

function withModelFileErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw asModelFileError(err);
  }
}

/**
 * Parses and checks a `model.json` text: valid JSON, `modelTopology` object, `weightsManifest` array of
 * `{paths: string[], weights: {name, shape, dtype}[]}`. `@cnn/train`'s `parseModelJson` (the one reader) with
 * deploy's error class.
 * @param source - the file path or URL, named in errors.
 * @throws ModelFileError naming `source` and the bad field.
 */
export function parseModelJson(text: string, source: string): CheckedModelJson {
  return withModelFileErrors(() => train.parseModelJson(text, source));
}

/**
 * Checks that a weight group's files hold exactly the bytes its specs declare, naming the first tensor
 * that does not fit (or the surplus after the last one). `@cnn/train`'s `checkWeightBytes` with deploy's
 * error class.
 * @throws ModelFileError naming the files, the sizes and the tensor.
 */
export function checkWeightBytes(group: CheckedModelJson['groups'][number], actualBytes: number, files: string): void {
  withModelFileErrors(() => train.checkWeightBytes(group, actualBytes, files));
}

/**
 * Resolves a manifest weight path against the model URL and checks it stays in the model's folder
 * (relative, same origin, path under the folder of `model.json`). `@cnn/train`'s `resolveWeightUrl` with
 * deploy's error class.
 * @throws ModelFileError naming the path.
 */
export function resolveWeightUrl(modelUrl: string, p: string): URL {
  return withModelFileErrors(() => train.resolveWeightUrl(modelUrl, p));
}

/** Options of {@link loadModelFiles}. */
export interface LoadModelFilesOptions {
  /** `fetch` implementation for http(s) sources. Default `globalThis.fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Largest accepted download per file in bytes. Default `512 MiB`. */
  maxBytes?: number;
}

async function fetchBytes(url: string, fetchFn: typeof globalThis.fetch, maxBytes: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (err) {
    throw new ModelFileError(`cannot fetch ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) throw new ModelFileError(`cannot fetch ${url}: HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new ModelFileError(`${url}: ${declared} bytes exceeds maxBytes=${maxBytes}`);
  const buf = new Uint8Array(await res.arrayBuffer());
  if (buf.byteLength > maxBytes) throw new ModelFileError(`${url}: ${buf.byteLength} bytes exceeds maxBytes=${maxBytes}`);
  return buf;
}

/**
 * Loads a TF.js layers-format model from a folder or an `http(s)://…/model.json` URL through `@cnn/train`'s
 * one `model.json` reader (`readModelArtifacts`), which checks `model.json` ({@link parseModelJson}), that every
 * weight path stays inside the model's folder, and that each weight group's files hold exactly the declared
 * bytes ({@link checkWeightBytes}, naming the tensor). Local folders are read by `@cnn/train`'s
 * {@link loadModel} (which applies these checks); URLs are fetched with `opts.fetch`, each file at most
 * `opts.maxBytes`. Sharded and quantised (`float16`/`uint8`) weights are supported. Custom layers (`BatchNorm`,
 * `SeededDropout`) must be registered first: import `@cnn/models`.
 *
 * @param source - a folder containing `model.json`, or the URL of a `model.json`.
 * @throws ModelFileError (code `ERR_CNN_MODEL_FILE`) naming the file/URL and what is wrong.
 */
export async function loadModelFiles(source: string, opts: LoadModelFilesOptions = {}): Promise<tfl.LayersModel> {
  try {
    if (/^https?:\/\//i.test(source)) return await loadModelFromUrl(source, opts);
    return await loadModel(path.resolve(source));
  } catch (err) {
    throw asModelFileError(err);
  }
}

async function loadModelFromUrl(url: string, opts: LoadModelFilesOptions): Promise<tfl.LayersModel> {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const maxBytes = opts.maxBytes ?? 512 * 1024 * 1024;
  const artifacts = await train.readModelArtifacts(url, {
    read: (u) => fetchBytes(u, fetchFn, maxBytes),
    resolve: (p) => train.resolveWeightUrl(url, p).href,
  });
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}
