import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as nodeFs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** The filesystem operations {@link saveModel} uses; replaceable to inject failures in tests. */
export interface SaveFs {
  mkdir(dir: string, opts: { recursive: true }): Promise<unknown>;
  writeFile(file: string, data: Uint8Array | string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(target: string, opts: { recursive: true; force: true }): Promise<void>;
}

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /** Filesystem operations (default `node:fs/promises`). */
  fs?: Partial<SaveFs>;
}

/** What {@link saveModel} wrote. */
export interface SavedModelInfo {
  /** Absolute folder path. */
  dir: string;
  /** Absolute path of `model.json`. */
  modelJson: string;
  /** Absolute path of `weights.bin`. */
  weights: string;
  /** Size of `weights.bin` in bytes. */
  weightBytes: number;
}

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

async function exists(p: string): Promise<boolean> {
  try {
    await nodeFs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Saves a tfjs-layers model to `dir` in the TF.js layers format (`model.json` + `weights.bin`),
 * atomically: the files are written into a temporary sibling folder, then the previous `dir` (if
 * any) is renamed to a backup, the new folder renamed into place and the backup removed. If anything
 * fails, the previous model stays (or is put back) at `dir` and the temporary folder is removed.
 *
 * @throws Error when `dir` exists but is not a model folder (non-empty, no `model.json`), or on I/O
 *   failure (the message names the path).
 */
export async function saveModel(model: tfl.LayersModel, dir: string, opts: SaveModelOptions = {}): Promise<SavedModelInfo> {
  const fs: SaveFs = { ...(nodeFs as unknown as SaveFs), ...opts.fs };
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  if (await exists(target)) {
    const entries = await nodeFs.readdir(target).catch(() => {
      throw new Error(`saveModel: ${target} exists and is not a folder`);
    });
    if (entries.length > 0 && !entries.includes(MODEL_JSON)) {
      throw new Error(`saveModel: ${target} exists and is not a model folder (no ${MODEL_JSON}); refusing to replace it`);
    }
  }
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!artifacts || !artifacts.weightSpecs) throw new Error('saveModel: the model produced no weight specs');
  const weightData = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
  const modelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = path.join(parent, `.${base}.tmp-${tag}`);
  const backup = path.join(parent, `.${base}.bak-${tag}`);
  await fs.mkdir(parent, { recursive: true });
  try {
    await fs.mkdir(tmp, { recursive: true });
    await fs.writeFile(path.join(tmp, WEIGHTS_BIN), new Uint8Array(weightData));
    await fs.writeFile(path.join(tmp, MODEL_JSON), JSON.stringify(modelJson));
  } catch (err) {
    await nodeFs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(`saveModel: writing ${tmp} failed: ${(err as Error).message}`, { cause: err });
  }
  const hadOld = await exists(target);
  try {
    if (hadOld) await fs.rename(target, backup);
    try {
      await fs.rename(tmp, target);
    } catch (err) {
      if (hadOld) await nodeFs.rename(backup, target);
      throw err;
    }
  } catch (err) {
    await nodeFs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new Error(`saveModel: moving the new model into ${target} failed (previous model kept): ${(err as Error).message}`, { cause: err });
  }
  if (hadOld) await fs.rm(backup, { recursive: true, force: true }).catch(() => undefined);
  return { dir: target, modelJson: path.join(target, MODEL_JSON), weights: path.join(target, WEIGHTS_BIN), weightBytes: weightData.byteLength };
}

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

function expectedBytes(specs: tf.io.WeightsManifestEntry[], file: string): number | undefined {
  let total = 0;
  for (const s of specs) {
    const dtype = s.quantization?.dtype ?? s.dtype;
    const per = BYTES_PER_ELEMENT[dtype];
    if (per === undefined) return undefined; // strings: variable length, not checked
    total += s.shape.reduce((a, b) => a * b, 1) * per;
  }
  if (!Number.isFinite(total)) throw new Error(`loadModel: ${file}: invalid weight shapes`);
  return total;
}

/**
 * Loads a model saved by {@link saveModel} (or any TF.js layers-format folder) from the filesystem,
 * without tfjs-node: reads `model.json`, checks that every weight path stays inside `dir` and that each
 * weight group's files hold exactly the bytes its manifest declares, then builds the model with
 * `tfl.loadLayersModel(tf.io.fromMemory(...))`. Custom layers (e.g. `@cnn/models`' `BatchNorm`) must be
 * registered first, i.e. import the package that defines them.
 *
 * @throws Error naming the file when `model.json` is missing/malformed, a weight path escapes `dir`,
 *   a weight file is missing, or its byte length differs from the manifest.
 */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  const root = path.resolve(dir);
  const jsonPath = path.join(root, MODEL_JSON);
  let text: string;
  try {
    text = await nodeFs.readFile(jsonPath, 'utf8');
  } catch (err) {
    throw new Error(`loadModel: cannot read ${jsonPath}: ${(err as Error).message}`, { cause: err });
  }
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`loadModel: ${jsonPath} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`loadModel: ${jsonPath} must have modelTopology and a weightsManifest array`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new Error(`loadModel: ${jsonPath}: each weightsManifest entry needs paths and weights arrays`);
    }
    let groupBytes = 0;
    const files: string[] = [];
    for (const p of group.paths) {
      const file = path.resolve(root, p);
      const rel = path.relative(root, file);
      if (path.isAbsolute(p) || rel.startsWith('..') || path.isAbsolute(rel) || rel === '') {
        throw new Error(`loadModel: ${jsonPath}: weight path '${p}' is outside the model folder`);
      }
      let buf: Buffer;
      try {
        buf = await nodeFs.readFile(file);
      } catch (err) {
        throw new Error(`loadModel: cannot read weight file ${file}: ${(err as Error).message}`, { cause: err });
      }
      buffers.push(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
      groupBytes += buf.byteLength;
      files.push(file);
    }
    const expected = expectedBytes(group.weights, files.join(', '));
    if (expected !== undefined && expected !== groupBytes) {
      throw new Error(`loadModel: ${files.join(', ')} holds ${groupBytes} bytes, ${MODEL_JSON} declares ${expected}`);
    }
    weightSpecs.push(...group.weights);
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs,
    weightData: tf.io.CompositeArrayBuffer.join(buffers),
  };
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}
