import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as nodeFs from 'node:fs/promises';
import * as path from 'node:path';
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

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

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

/** A `model.json` checked by {@link parseModelJson}. */
export interface CheckedModelJson {
  json: tf.io.ModelJSON;
  /** Weight groups in order, with their relative paths. */
  groups: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Parses and checks a `model.json` text: valid JSON, `modelTopology` object, `weightsManifest` array of
 * `{paths: string[], weights: {name, shape, dtype}[]}`.
 * @param source - the file path or URL, named in errors.
 * @throws ModelFileError naming `source` and the bad field.
 */
export function parseModelJson(text: string, source: string): CheckedModelJson {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (err) {
    throw new ModelFileError(`${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ModelFileError(`${source}: expected a JSON object`);
  if (!json.modelTopology || typeof json.modelTopology !== 'object') throw new ModelFileError(`${source}: missing 'modelTopology' object`);
  if (!Array.isArray(json.weightsManifest)) throw new ModelFileError(`${source}: 'weightsManifest' must be an array`);
  const groups = json.weightsManifest.map((g, gi) => {
    if (!g || !Array.isArray(g.paths) || !g.paths.every((p) => typeof p === 'string') || !Array.isArray(g.weights)) {
      throw new ModelFileError(`${source}: weightsManifest[${gi}] needs 'paths' (strings) and 'weights' arrays`);
    }
    g.weights.forEach((w, wi) => {
      if (!w || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0) || !(w.dtype in BYTES)) {
        throw new ModelFileError(
          `${source}: weightsManifest[${gi}].weights[${wi}] (${JSON.stringify(w?.name)}) needs a name, a shape of integers >= 0 and a numeric dtype`,
        );
      }
    });
    return { paths: g.paths, weights: g.weights };
  });
  return { json, groups };
}

/**
 * Checks that a weight group's files hold exactly the bytes its specs declare, naming the first tensor
 * that does not fit (or the surplus after the last one).
 * @throws ModelFileError naming the files, the sizes and the tensor.
 */
export function checkWeightBytes(group: CheckedModelJson['groups'][number], actualBytes: number, files: string): void {
  let offset = 0;
  for (const w of group.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1) * BYTES[w.quantization?.dtype ?? w.dtype]!;
    if (offset + size > actualBytes) {
      throw new ModelFileError(
        `${files}: holds ${actualBytes} bytes, the manifest declares more: tensor '${w.name}' (${JSON.stringify(w.shape)} ${w.quantization?.dtype ?? w.dtype}) needs bytes ${offset}–${offset + size}`,
      );
    }
    offset += size;
  }
  if (offset !== actualBytes) {
    const last = group.weights[group.weights.length - 1];
    throw new ModelFileError(
      `${files}: holds ${actualBytes} bytes, the manifest declares ${offset}: ${actualBytes - offset} unexpected bytes after tensor '${last?.name ?? '(none)'}'`,
    );
  }
}

function checkLocalPath(root: string, p: string, source: string): string {
  const file = path.resolve(root, p);
  const rel = path.relative(root, file);
  if (path.isAbsolute(p) || p.includes('\\') || rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new ModelFileError(`${source}: weight path '${p}' is outside the model folder ${root}`);
  }
  return file;
}

/**
 * Resolves a manifest weight path against the model URL and checks it stays in the model's folder
 * (same origin, path under the folder of `model.json`).
 * @throws ModelFileError naming the path.
 */
export function resolveWeightUrl(modelUrl: string, p: string): URL {
  const base = new URL(modelUrl);
  const folder = new URL('./', base);
  let u: URL;
  try {
    u = new URL(p, base);
  } catch {
    throw new ModelFileError(`${modelUrl}: weight path '${p}' is not a valid URL`);
  }
  if (u.origin !== folder.origin || !u.pathname.startsWith(folder.pathname) || /%2e|%2f|%5c/i.test(p)) {
    throw new ModelFileError(`${modelUrl}: weight path '${p}' is outside the model folder ${folder.href}`);
  }
  return u;
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
 * Loads a TF.js layers-format model from a folder or an `http(s)://…/model.json` URL, after checking
 * `model.json` ({@link parseModelJson}), that every weight path stays inside the model's folder, and that
 * each weight group's files hold exactly the declared bytes ({@link checkWeightBytes}, naming the tensor).
 * Sharded and quantised (`float16`/`uint8`) weights are supported. Local folders are then read by
 * `@cnn/train`'s {@link loadModel}. Custom layers (`BatchNorm`, `SeededDropout`) must be registered first:
 * import `@cnn/models`.
 *
 * @param source - a folder containing `model.json`, or the URL of a `model.json`.
 * @throws ModelFileError naming the file/URL and what is wrong.
 */
export async function loadModelFiles(source: string, opts: LoadModelFilesOptions = {}): Promise<tfl.LayersModel> {
  if (/^https?:\/\//i.test(source)) return loadModelFromUrl(source, opts);
  const root = path.resolve(source);
  const jsonPath = path.join(root, 'model.json');
  let text: string;
  try {
    text = await nodeFs.readFile(jsonPath, 'utf8');
  } catch (err) {
    throw new ModelFileError(`cannot read ${jsonPath}: ${(err as Error).message}`, { cause: err });
  }
  const { groups } = parseModelJson(text, jsonPath);
  for (const g of groups) {
    const files = g.paths.map((p) => checkLocalPath(root, p, jsonPath));
    let bytes = 0;
    for (const f of files) {
      try {
        bytes += (await nodeFs.stat(f)).size;
      } catch (err) {
        throw new ModelFileError(`cannot read weight file ${f}: ${(err as Error).message}`, { cause: err });
      }
    }
    checkWeightBytes(g, bytes, files.join(', '));
  }
  return loadModel(root);
}

async function loadModelFromUrl(url: string, opts: LoadModelFilesOptions): Promise<tfl.LayersModel> {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const maxBytes = opts.maxBytes ?? 512 * 1024 * 1024;
  const text = new TextDecoder().decode(await fetchBytes(url, fetchFn, maxBytes));
  const { json, groups } = parseModelJson(text, url);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const g of groups) {
    const urls = g.paths.map((p) => resolveWeightUrl(url, p).href);
    let bytes = 0;
    for (const u of urls) {
      const buf = await fetchBytes(u, fetchFn, maxBytes);
      buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
      bytes += buf.byteLength;
    }
    checkWeightBytes(g, bytes, urls.join(', '));
    weightSpecs.push(...g.weights);
  }
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      trainingConfig: json.trainingConfig,
      userDefinedMetadata: json.userDefinedMetadata,
      weightSpecs,
      weightData: tf.io.CompositeArrayBuffer.join(buffers),
    }),
  );
}
