import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, decodeTrainingState, encodeTrainingState, type TrainingState } from '../checkpoint.js';
import type { CheckpointStore } from '../checkpoint-store.js';
import { TrainError } from '../errors.js';

const JSON_NAME = 'checkpoint.json';
const BIN_RE = /^state-[0-9a-f]{16}\.bin$/;
const TMP_RE = /^\.checkpoint\.json\.[0-9a-f]+\.tmp$/;

/** What {@link saveCheckpoint} wrote. */
export interface SavedCheckpoint {
  /** Absolute folder. */
  dir: string;
  /** Absolute path of `checkpoint.json`. */
  json: string;
  /** Absolute path of the binary state file. */
  bin: string;
  /** Size of the binary state file in bytes. */
  binBytes: number;
}

async function listDir(dir: string): Promise<string[] | undefined> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TrainError(`checkpoint: cannot read folder ${dir}: ${(err as Error).message}`, { cause: err, code: 'ERR_CNN_CHECKPOINT' });
  }
}

/**
 * Checks that `dir` is absent, empty, or a checkpoint folder this module may overwrite: only
 * `checkpoint.json` (of format {@link CHECKPOINT_FORMAT}, or unreadable/truncated), `state-*.bin` and
 * temporary files.
 * @returns the folder's entries (`undefined` when it does not exist).
 * @throws TrainError naming the first file that is not part of a checkpoint, or a foreign `checkpoint.json`.
 */
export async function assertCheckpointDir(dir: string): Promise<string[] | undefined> {
  const root = path.resolve(dir);
  const entries = await listDir(root);
  for (const e of entries ?? []) {
    if (e !== JSON_NAME && !BIN_RE.test(e) && !TMP_RE.test(e)) {
      throw new TrainError(`saveCheckpoint: ${path.join(root, e)} is not part of a checkpoint; refusing to write into ${root}`, { code: 'ERR_CNN_CHECKPOINT' });
    }
  }
  if (entries?.includes(JSON_NAME)) {
    // never overwrite a foreign checkpoint.json
    const text = await fs.readFile(path.join(root, JSON_NAME), 'utf8').catch(() => '');
    let format: unknown;
    try {
      format = JSON.parse(text)?.format;
    } catch {
      format = undefined;
    }
    if (format !== undefined && format !== CHECKPOINT_FORMAT) {
      throw new TrainError(`saveCheckpoint: ${path.join(root, JSON_NAME)} has format '${String(format)}', not '${CHECKPOINT_FORMAT}'; refusing to replace it`, {
        code: 'ERR_CNN_CHECKPOINT',
      });
    }
  }
  return entries;
}

/**
 * Writes `state` to the folder `dir` crash-safely: the arrays go to a new `state-<random>.bin`, then a
 * temporary `checkpoint.json` naming that file (with its byte length and SHA-256) is renamed over
 * `checkpoint.json`, and only then are older `state-*.bin` files removed. A crash (even SIGKILL) at any
 * point leaves the previous complete checkpoint or the new one.
 *
 * @throws TrainError naming the file when `dir` holds anything that is not part of a checkpoint (nothing is
 *   written or removed then), or on I/O failure (the previous checkpoint is kept).
 */
export async function saveCheckpoint(dir: string, state: TrainingState): Promise<SavedCheckpoint> {
  const root = path.resolve(dir);
  const entries = await assertCheckpointDir(root);
  await fs.mkdir(root, { recursive: true });
  const { tree, bin } = encodeTrainingState(state);
  const binName = `state-${randomBytes(8).toString('hex')}.bin`;
  const binPath = path.join(root, binName);
  const doc = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    savedAt: new Date().toISOString(),
    data: { file: binName, bytes: bin.byteLength, sha256: createHash('sha256').update(bin).digest('hex') },
    state: tree,
  };
  const jsonPath = path.join(root, JSON_NAME);
  const tmp = path.join(root, `.${JSON_NAME}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(binPath, bin);
    await fs.writeFile(tmp, JSON.stringify(doc));
    await fs.rename(tmp, jsonPath);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    await fs.rm(binPath, { force: true }).catch(() => undefined);
    throw new TrainError(`saveCheckpoint: writing ${root} failed (previous checkpoint kept): ${(err as Error).message}`, {
      cause: err,
      code: 'ERR_CNN_CHECKPOINT',
    });
  }
  for (const e of entries ?? []) {
    if ((BIN_RE.test(e) && e !== binName) || TMP_RE.test(e)) await fs.rm(path.join(root, e), { force: true }).catch(() => undefined);
  }
  return { dir: root, json: jsonPath, bin: binPath, binBytes: bin.byteLength };
}

/** True when `dir` holds a `checkpoint.json` (it is not validated; {@link loadCheckpoint} does that). */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  return (await listDir(path.resolve(dir)))?.includes(JSON_NAME) ?? false;
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint}, verifying format, version, the state file's
 * byte length and SHA-256.
 * @throws TrainError naming the file when it is missing, truncated, corrupt or of another format.
 */
export async function loadCheckpoint(dir: string): Promise<TrainingState> {
  const root = path.resolve(dir);
  const jsonPath = path.join(root, JSON_NAME);
  let text: string;
  try {
    text = await fs.readFile(jsonPath, 'utf8');
  } catch (err) {
    throw new TrainError(`loadCheckpoint: cannot read ${jsonPath}: ${(err as Error).message}`, { cause: err, code: 'ERR_CNN_CHECKPOINT' });
  }
  let doc: { format?: unknown; version?: unknown; data?: { file?: unknown; bytes?: unknown; sha256?: unknown }; state?: unknown };
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TrainError(`loadCheckpoint: ${jsonPath} is not valid JSON (truncated?): ${(err as Error).message}`, { cause: err, code: 'ERR_CNN_CHECKPOINT' });
  }
  if (!doc || doc.format !== CHECKPOINT_FORMAT) {
    throw new TrainError(`loadCheckpoint: ${jsonPath} is not a training checkpoint (format '${String(doc?.format)}', expected '${CHECKPOINT_FORMAT}')`, {
      code: 'ERR_CNN_CHECKPOINT',
    });
  }
  if (doc.version !== CHECKPOINT_VERSION)
    throw new TrainError(`loadCheckpoint: ${jsonPath} has version ${String(doc.version)}, this package reads ${CHECKPOINT_VERSION}`, {
      code: 'ERR_CNN_CHECKPOINT',
    });
  const d = doc.data;
  if (!d || typeof d.file !== 'string' || !BIN_RE.test(d.file) || typeof d.bytes !== 'number' || typeof d.sha256 !== 'string') {
    throw new TrainError(`loadCheckpoint: ${jsonPath}: 'data' must name a state-*.bin file with bytes and sha256`, { code: 'ERR_CNN_CHECKPOINT' });
  }
  const binPath = path.join(root, d.file);
  let bin: Buffer;
  try {
    bin = await fs.readFile(binPath);
  } catch (err) {
    throw new TrainError(`loadCheckpoint: cannot read ${binPath}: ${(err as Error).message}`, { cause: err, code: 'ERR_CNN_CHECKPOINT' });
  }
  if (bin.byteLength !== d.bytes)
    throw new TrainError(`loadCheckpoint: ${binPath} holds ${bin.byteLength} bytes, ${JSON_NAME} declares ${d.bytes} (truncated?)`, {
      code: 'ERR_CNN_CHECKPOINT',
    });
  if (createHash('sha256').update(bin).digest('hex') !== d.sha256)
    throw new TrainError(`loadCheckpoint: ${binPath} does not match the SHA-256 in ${JSON_NAME} (corrupt)`, { code: 'ERR_CNN_CHECKPOINT' });
  return decodeTrainingState(doc.state, new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength), binPath);
}

/**
 * A checkpoint folder as a {@link CheckpointStore} (the format of {@link saveCheckpoint}); what `fit({resume})`
 * and `ModelCheckpoint` use for a path or `file://` URL once `@cnn/train/node` is imported.
 * @param dir - Folder path, or a `file://` URL.
 */
export function fileCheckpointStore(dir: string): CheckpointStore {
  const root = path.resolve(dir.startsWith('file://') ? dir.slice('file://'.length) : dir);
  return {
    description: root,
    exists: () => hasCheckpoint(root),
    load: () => loadCheckpoint(root),
    save: async (state) => {
      await saveCheckpoint(root, state);
    },
    check: async () => {
      await assertCheckpointDir(root);
    },
  };
}
