import type * as tf from '@tensorflow/tfjs-core';
import * as nodeFs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TrainError } from '../errors.js';
import { weightFileNames } from '../model-io.js';
import { MODEL_FILES_CODE, readModelArtifacts } from '../model-json.js';

/** The file-system operations the folder handler writes with (tests replace them to simulate failures). */
interface SaveFs {
  mkdir(dir: string, opts: { recursive: true }): Promise<unknown>;
  writeFile(file: string, data: Uint8Array | string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(target: string, opts: { recursive: true; force: true }): Promise<void>;
}

const MODEL_JSON = 'model.json';

async function exists(p: string): Promise<boolean> {
  try {
    await nodeFs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** `file://…` → the path; anything else unchanged. */
function pathOf(target: string): string {
  return target.startsWith('file://') ? target.slice('file://'.length) : target;
}

/**
 * Writes model artifacts to the folder `dir` in the TF.js layers format, atomically: `model.json` and the weight
 * files (`weights.bin`, or one `group1-shard{i}of{n}.bin` per buffer when `weightData` is an array of shards)
 * go into a temporary sibling folder; then the previous `dir` (if any) is renamed to a backup, the new folder
 * renamed into place and the backup removed. If anything fails, the previous model stays (or is put back) at
 * `dir` and the temporary folder is removed.
 *
 * @throws TrainError when `dir` exists but is not a model folder (non-empty, no `model.json`), or on I/O failure
 *   (the message names the path).
 */
async function saveFolder(artifacts: tf.io.ModelArtifacts, dir: string, fs: SaveFs): Promise<{ dir: string; modelJsonBytes: number }> {
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  if (await exists(target)) {
    const entries = await nodeFs.readdir(target).catch(() => {
      throw new TrainError(`saveModel: ${target} exists and is not a folder`, { code: 'ERR_CNN_MODEL_FILES' });
    });
    if (entries.length > 0 && !entries.includes(MODEL_JSON)) {
      throw new TrainError(`saveModel: ${target} exists and is not a model folder (no ${MODEL_JSON}); refusing to replace it`, { code: 'ERR_CNN_MODEL_FILES' });
    }
  }
  const buffers: ArrayBuffer[] = Array.isArray(artifacts.weightData) ? artifacts.weightData : [artifacts.weightData ?? new ArrayBuffer(0)];
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const files = Array.isArray(artifacts.weightData) ? weightFileNames(total, buffers[0]?.byteLength || 1) : weightFileNames(total);
  if (files.length !== buffers.length)
    throw new TrainError(`saveModel: ${buffers.length} weight shards do not match the ${files.length} file names`, { code: 'ERR_CNN_MODEL_FILES' });
  const modelJson = {
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: files.map((f) => `./${f}`), weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  const text = JSON.stringify(modelJson);
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const tmp = path.join(parent, `.${base}.tmp-${tag}`);
  const backup = path.join(parent, `.${base}.bak-${tag}`);
  await fs.mkdir(parent, { recursive: true });
  try {
    await fs.mkdir(tmp, { recursive: true });
    for (let i = 0; i < files.length; i++) await fs.writeFile(path.join(tmp, files[i]), new Uint8Array(buffers[i]));
    await fs.writeFile(path.join(tmp, MODEL_JSON), text);
  } catch (err) {
    await nodeFs.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw new TrainError(`saveModel: writing ${tmp} failed: ${(err as Error).message}`, { cause: err, code: 'ERR_CNN_MODEL_FILES' });
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
    throw new TrainError(`saveModel: moving the new model into ${target} failed (previous model kept): ${(err as Error).message}`, {
      cause: err,
      code: 'ERR_CNN_MODEL_FILES',
    });
  }
  if (hadOld) await fs.rm(backup, { recursive: true, force: true }).catch(() => undefined);
  return { dir: target, modelJsonBytes: Buffer.byteLength(text) };
}

/**
 * Resolves a manifest weight path against the model folder `root`, refusing absolute paths, backslashes and
 * paths that leave the folder.
 * @throws TrainError (code `ERR_CNN_MODEL_FILES`) naming `jsonPath`, the path and the folder.
 */
function resolveLocalWeight(root: string, p: string, jsonPath: string): string {
  const file = path.resolve(root, p);
  const rel = path.relative(root, file);
  if (path.isAbsolute(p) || p.includes('\\') || rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new TrainError(`loadModel: ${jsonPath}: weight path '${p}' is outside the model folder ${root}`, { code: MODEL_FILES_CODE });
  }
  return file;
}

/**
 * Reads a TF.js layers-format folder without tfjs-node through the one `model.json` reader
 * ({@link readModelArtifacts}): `model.json`, then the weight files, checking that every weight path stays inside
 * `dir` and that each weight group's files hold exactly the bytes its manifest declares.
 *
 * @throws TrainError (code `ERR_CNN_MODEL_FILES`) naming the file when `model.json` is missing/malformed, a
 *   weight path escapes `dir`, a weight file is missing, or its byte length differs from the manifest.
 */
async function loadFolder(dir: string): Promise<tf.io.ModelArtifacts> {
  const root = path.resolve(dir);
  const jsonPath = path.join(root, MODEL_JSON);
  return readModelArtifacts(jsonPath, {
    async read(file) {
      try {
        return await nodeFs.readFile(file);
      } catch (err) {
        const what = file === jsonPath ? '' : 'weight file ';
        throw new TrainError(`loadModel: cannot read ${what}${file}: ${(err as Error).message}`, { cause: err, code: MODEL_FILES_CODE });
      }
    },
    resolve: (p) => resolveLocalWeight(root, p, jsonPath),
  });
}

/**
 * A tfjs IO handler for a model folder (TF.js layers format): `save` writes atomically (see `saveModel`), `load`
 * reads with the checks of a hostile folder (weight paths inside the folder, byte counts as declared). `tf.io`
 * routes folder paths and `file://` URLs here once `@cnn/train/node` is imported, so `saveModel(m, 'out/model')`,
 * `saveModel(m, 'file://out/model')` and `loadModel('out/model')` work.
 *
 * @param dir - Folder path or `file://` URL (`file://./m` is the folder `./m`).
 */
export function modelFolderHandler(dir: string, options: { fs?: Partial<SaveFs> } = {}): tf.io.IOHandler {
  const folder = pathOf(dir);
  const fs: SaveFs = { ...(nodeFs as unknown as SaveFs), ...options.fs };
  return {
    async save(artifacts) {
      const { dir: written, modelJsonBytes } = await saveFolder(artifacts, folder, fs);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', modelTopologyBytes: modelJsonBytes }, dir: written } as tf.io.SaveResult;
    },
    load: () => loadFolder(folder),
  };
}

/** True for the strings the folder router serves: `file://…`, and anything without a `scheme://`. */
export function isFolderTarget(target: string): boolean {
  return target.startsWith('file://') || !/^[a-z][a-z0-9+.-]*:\/\//i.test(target);
}

/** `tf.io` router for folders: claims `file://` URLs and scheme-less paths. */
export function folderRouter(url: string | string[]): tf.io.IOHandler {
  // tf.io's IORouter type says IOHandler, but routers return null for URLs they do not serve.
  return (typeof url === 'string' && isFolderTarget(url) ? modelFolderHandler(url) : null) as tf.io.IOHandler;
}
