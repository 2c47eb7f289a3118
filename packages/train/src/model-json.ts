import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from './errors.js';

/** The code of every error the `model.json` reader throws (on a {@link TrainError}). */
export const MODEL_FILES_CODE = 'ERR_CNN_MODEL_FILES';

/** Bytes per element of the numeric dtypes a weight file may hold (`quantization.dtype` first, then `dtype`). */
const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

function fail(message: string, cause?: unknown): TrainError {
  return new TrainError(message, { code: MODEL_FILES_CODE, ...(cause === undefined ? {} : { cause }) });
}

/** A `model.json` checked by {@link parseModelJson}. */
export interface CheckedModelJson {
  /** The parsed file. */
  json: tf.io.ModelJSON;
  /** Weight groups in manifest order, with their relative paths. */
  groups: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Parses and checks a `model.json` text (TF.js layers format, as `tf.io` and the TF.js converter write it):
 * valid JSON, a `modelTopology` object, a `weightsManifest` array of `{paths: string[], weights: {name, shape,
 * dtype}[]}` with integer shapes `>= 0` and numeric dtypes (`float32`, `int32`, `bool`, `uint8`, `uint16`,
 * `float16`, `complex64`).
 *
 * @param text - The file's contents (UTF-8 decoded).
 * @param source - The file path or URL, named in errors.
 * @throws TrainError (code `ERR_CNN_MODEL_FILES`) naming `source` and the bad field.
 */
export function parseModelJson(text: string, source: string): CheckedModelJson {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (err) {
    throw fail(`${source} is not valid JSON: ${(err as Error).message}`, err);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw fail(`${source}: expected a JSON object`);
  if (!json.modelTopology || typeof json.modelTopology !== 'object') throw fail(`${source}: missing 'modelTopology' object`);
  if (!Array.isArray(json.weightsManifest)) throw fail(`${source}: 'weightsManifest' must be an array`);
  const groups = json.weightsManifest.map((g, gi) => {
    if (!g || !Array.isArray(g.paths) || !g.paths.every((p) => typeof p === 'string') || !Array.isArray(g.weights)) {
      throw fail(`${source}: weightsManifest[${gi}] needs 'paths' (strings) and 'weights' arrays`);
    }
    g.weights.forEach((w, wi) => {
      if (!w || typeof w.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isInteger(d) && d >= 0) || !(w.dtype in BYTES)) {
        throw fail(`${source}: weightsManifest[${gi}].weights[${wi}] (${JSON.stringify(w?.name)}) needs a name, a shape of integers >= 0 and a numeric dtype`);
      }
    });
    return { paths: g.paths, weights: g.weights };
  });
  return { json, groups };
}

/**
 * Checks that a weight group's files hold exactly the bytes its specs declare (element count × bytes of the
 * stored dtype, i.e. `quantization.dtype` when quantised), naming the first tensor that does not fit, or the
 * surplus after the last one.
 *
 * @param group - One group of {@link parseModelJson}'s result.
 * @param actualBytes - Total byte length of the group's files.
 * @param files - The files (or URLs), comma-separated, named in errors.
 * @throws TrainError (code `ERR_CNN_MODEL_FILES`) naming the files, both sizes and the tensor.
 */
export function checkWeightBytes(group: CheckedModelJson['groups'][number], actualBytes: number, files: string): void {
  let offset = 0;
  for (const w of group.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1) * BYTES[w.quantization?.dtype ?? w.dtype]!;
    if (offset + size > actualBytes) {
      throw fail(
        `${files} holds ${actualBytes} bytes, the manifest declares more: tensor '${w.name}' (${JSON.stringify(w.shape)} ${w.quantization?.dtype ?? w.dtype}) needs bytes ${offset}–${offset + size}`,
      );
    }
    offset += size;
  }
  if (offset !== actualBytes) {
    const last = group.weights[group.weights.length - 1];
    throw fail(
      `${files} holds ${actualBytes} bytes, model.json declares ${offset}: ${actualBytes - offset} unexpected bytes after tensor '${last?.name ?? '(none)'}'`,
    );
  }
}

/**
 * Resolves a manifest weight path against the URL of its `model.json` and checks that it stays in the model's
 * folder: a relative path (no scheme, no leading `/`, no `..` segment, no percent-encoded `.`, `/` or `\`) that
 * resolves to the same origin under the folder of `model.json`.
 *
 * @param modelUrl - Absolute URL of the `model.json`.
 * @param p - A path from `weightsManifest[i].paths`.
 * @throws TrainError (code `ERR_CNN_MODEL_FILES`) naming `modelUrl` and the path.
 */
export function resolveWeightUrl(modelUrl: string, p: string): URL {
  const base = new URL(modelUrl);
  const folder = new URL('./', base);
  let u: URL;
  try {
    u = new URL(p, base);
  } catch (err) {
    throw fail(`${modelUrl}: weight path '${p}' is not a valid URL`, err);
  }
  if (
    /^[a-z][a-z0-9+.-]*:/i.test(p) ||
    p.startsWith('/') ||
    p.split(/[\\/]/).includes('..') ||
    /%2e|%2f|%5c/i.test(p) ||
    u.origin !== folder.origin ||
    !u.pathname.startsWith(folder.pathname)
  ) {
    throw fail(`${modelUrl}: weight path '${p}' is outside the model folder ${folder.href}`);
  }
  return u;
}

/** Where {@link readModelArtifacts} reads from: a folder, a web server, anything that maps names to bytes. */
export interface ModelFilesSource {
  /**
   * Reads one file (the `model.json` or a resolved weight location) whole.
   * Throws an error naming the location when it cannot.
   */
  read(location: string): Promise<Uint8Array>;
  /** Maps a manifest weight path to a location for `read`, throwing when it leaves the model's folder. */
  resolve(weightPath: string): string;
}

/**
 * The one `model.json` reader: reads `jsonLocation` through `source`, checks it ({@link parseModelJson}),
 * resolves every weight path (`source.resolve`, which refuses paths outside the model's folder), reads the
 * weight files in manifest order and checks each group's byte count ({@link checkWeightBytes}), and returns the
 * `tf.io.ModelArtifacts` that `tf.io.fromMemory` / `tfl.loadLayersModel` take (topology, format, generatedBy,
 * convertedBy, trainingConfig, userDefinedMetadata, weight specs and the joined weight bytes). Used by the Node
 * folder handler of `@cnn/train/node` (so `loadModel`), `@cnn/deploy`'s `loadModelFiles` and `@cnn/tune`'s
 * `loadLayersModelFrom` for URLs. Mirrors `tf.io.http`'s `load()` with the checks of a hostile source.
 *
 * @param jsonLocation - Path or URL of `model.json`, passed to `source.read` and named in errors.
 * @throws TrainError (code `ERR_CNN_MODEL_FILES`) naming the file when `model.json` is malformed or a group's
 *   bytes differ from its manifest; whatever `source.read` / `source.resolve` throw.
 */
export async function readModelArtifacts(jsonLocation: string, source: ModelFilesSource): Promise<tf.io.ModelArtifacts> {
  const text = new TextDecoder().decode(await source.read(jsonLocation));
  const { json, groups } = parseModelJson(text, jsonLocation);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const g of groups) {
    const locations = g.paths.map((p) => source.resolve(p));
    let bytes = 0;
    for (const loc of locations) {
      const buf = await source.read(loc);
      buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
      bytes += buf.byteLength;
    }
    checkWeightBytes(g, bytes, locations.join(', '));
    weightSpecs.push(...g.weights);
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs,
    weightData: tf.io.CompositeArrayBuffer.join(buffers),
  };
}
