import * as tf from '@tensorflow/tfjs-core';
import { getModelRngState, setModelRngState } from '@cnn/models';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { TrainingContext } from './callback';
import type { History } from './history';
import type { OptimizerState } from './optimizers/optimizer';

/** Format tag of `checkpoint.json`. */
export const CHECKPOINT_FORMAT = 'cnn-train-checkpoint';
/** Version of the checkpoint format. */
export const CHECKPOINT_VERSION = 1;
const JSON_NAME = 'checkpoint.json';
const BIN_RE = /^state-[0-9a-f]{16}\.bin$/;
const TMP_RE = /^\.checkpoint\.json\.[0-9a-f]+\.tmp$/;

/** One model weight (trainable or not) as plain data. */
export interface NamedWeight {
  /** Layer-scoped name, e.g. `conv1/kernel`, `bn1/moving_mean`. */
  name: string;
  /** Shape. */
  shape: number[];
  /** Values, row-major. */
  values: Float32Array;
}

/** Everything needed to continue a run exactly (see {@link captureTrainingState}). */
export interface TrainingState {
  /** Completed epochs (1-based number of the last finished epoch). */
  epoch: number;
  /** History up to and including `epoch`. */
  history: History;
  /** All model weights, trainable and non-trainable (batch-norm running statistics). */
  weights: NamedWeight[];
  /** Optimizer state (slots such as Adam moments, step counter, lr). */
  optimizer: OptimizerState;
  /** RNG state of layers that have one (seeded dropout), keyed by layer name. */
  rng: Record<string, unknown>;
  /** States of the stateful callbacks (schedulers, early stopping…), keyed by callback state key. */
  callbacks: Record<string, unknown>;
  /** Epoch counter of the training loader (`DataLoader.epoch`) when it has one. */
  loaderEpoch?: number;
  /** Free-form metadata (e.g. the monitored value). */
  meta?: Record<string, unknown>;
}

/**
 * Copies every weight of `model` (trainable and non-trainable) keyed by its layer-scoped name.
 * @throws Error when two weights share a name.
 */
export function getModelWeights(model: tfl.LayersModel): NamedWeight[] {
  const seen = new Set<string>();
  return model.weights.map((w) => {
    if (seen.has(w.originalName)) throw new Error(`getModelWeights: duplicate weight name '${w.originalName}' in model '${model.name}'`);
    seen.add(w.originalName);
    return { name: w.originalName, shape: w.shape.slice() as number[], values: Float32Array.from(w.read().dataSync() as Float32Array) };
  });
}

/**
 * Writes `weights` (from {@link getModelWeights}) into `model`'s variables, bit-exactly.
 * @throws Error naming the weight when one is missing, unknown, or of another shape (nothing is written then).
 */
export function setModelWeights(model: tfl.LayersModel, weights: NamedWeight[]): void {
  const byName = new Map(model.weights.map((w) => [w.originalName, w]));
  const given = new Set(weights.map((w) => w.name));
  for (const w of weights) {
    const v = byName.get(w.name);
    if (!v) throw new Error(`setModelWeights: model '${model.name}' has no weight '${w.name}'`);
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (!tf.util.arraysEqual(v.shape as number[], w.shape) || w.values.length !== size) {
      throw new Error(`setModelWeights: weight '${w.name}' has shape [${w.shape}] (${w.values.length} values), the model's is [${v.shape}]`);
    }
  }
  for (const name of byName.keys()) if (!given.has(name)) throw new Error(`setModelWeights: no value for weight '${name}'`);
  for (const w of weights) {
    const t = tf.tensor(w.values, w.shape, 'float32');
    byName.get(w.name)!.write(t);
    t.dispose();
  }
}

/**
 * Snapshots the whole training state of a running {@link fit} (weights, optimizer slots, RNG layers,
 * callback states, history, loader epoch). All arrays are copies.
 */
export function captureTrainingState(ctx: TrainingContext, meta?: Record<string, unknown>): TrainingState {
  const rng = getModelRngState(ctx.model);
  const callbacks: Record<string, unknown> = {};
  ctx.callbacks.forEach((cb, i) => {
    if (typeof cb.getState === 'function') callbacks[ctx.callbackKeys[i]] = cb.getState();
  });
  const loaderEpoch = (ctx.train as { epoch?: unknown } | null)?.epoch;
  return {
    epoch: ctx.epoch,
    history: ctx.history.map((e) => ({ ...e })),
    weights: getModelWeights(ctx.model),
    optimizer: ctx.optimizer.getState(),
    rng,
    callbacks,
    ...(typeof loaderEpoch === 'number' ? { loaderEpoch } : {}),
    ...(meta ? { meta } : {}),
  };
}

/**
 * Puts a {@link TrainingState} back into a run: weights, optimizer, RNG layers, history, loader epoch
 * (`train.setEpoch`), and callback states (for callbacks with `setState`).
 * @throws Error naming the part that does not fit (missing weight, optimizer type, RNG layer…).
 */
export function restoreTrainingState(ctx: TrainingContext, state: TrainingState, parts: { callbacks?: boolean } = {}): void {
  setModelWeights(ctx.model, state.weights);
  ctx.optimizer.setState(state.optimizer);
  setModelRngState(ctx.model, state.rng);
  ctx.history.splice(0, ctx.history.length, ...state.history.map((e) => ({ ...e })));
  ctx.epoch = state.epoch;
  const train = ctx.train as { setEpoch?: (k: number) => void } | null;
  if (typeof train?.setEpoch === 'function') train.setEpoch(state.loaderEpoch ?? state.epoch);
  if (parts.callbacks !== false) {
    ctx.callbacks.forEach((cb, i) => {
      const key = ctx.callbackKeys[i];
      if (typeof cb.setState === 'function' && key in state.callbacks) cb.setState(state.callbacks[key]);
    });
  }
}

// ---- binary encoding of typed arrays inside a JSON tree ----

type Ref = { $typed: 'float32' | 'float64' | 'int32' | 'uint8'; offset: number; length: number };
const CTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;

function encodeTree(value: unknown, chunks: Uint8Array[], pos: { n: number }): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const kind = value instanceof Float32Array ? 'float32' : value instanceof Float64Array ? 'float64' : value instanceof Int32Array ? 'int32' : value instanceof Uint8Array ? 'uint8' : undefined;
    if (!kind) throw new Error(`saveCheckpoint: unsupported typed array ${value.constructor.name}`);
    const pad = (8 - (pos.n % 8)) % 8;
    if (pad) { chunks.push(new Uint8Array(pad)); pos.n += pad; }
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
    const ref: Ref = { $typed: kind, offset: pos.n, length: (value as Float32Array).length };
    chunks.push(bytes);
    pos.n += bytes.byteLength;
    return ref;
  }
  if (Array.isArray(value)) return value.map((v) => encodeTree(v, chunks, pos));
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encodeTree(v, chunks, pos);
    return out;
  }
  return value;
}

function decodeTree(value: unknown, bin: Uint8Array, file: string): unknown {
  if (Array.isArray(value)) return value.map((v) => decodeTree(v, bin, file));
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.$number === 'string' && Object.keys(o).length === 1) return Number(o.$number);
    if (typeof o.$typed === 'string') {
      const r = o as unknown as Ref;
      const Ctor = CTORS[r.$typed];
      if (!Ctor || !Number.isInteger(r.offset) || !Number.isInteger(r.length) || r.offset % 8 !== 0) {
        throw new Error(`loadCheckpoint: ${file}: malformed array reference ${JSON.stringify(o)}`);
      }
      const end = r.offset + r.length * Ctor.BYTES_PER_ELEMENT;
      if (end > bin.byteLength) throw new Error(`loadCheckpoint: ${file}: array reference past the end of the state file`);
      return new Ctor(bin.slice(r.offset, end).buffer as ArrayBuffer);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = decodeTree(v, bin, file);
    return out;
  }
  return value;
}

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
    throw new Error(`checkpoint: cannot read folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Checks that `dir` is absent, empty, or a checkpoint folder this module may overwrite: only
 * `checkpoint.json` (of format {@link CHECKPOINT_FORMAT}, or unreadable/truncated), `state-*.bin` and
 * temporary files.
 * @returns the folder's entries (`undefined` when it does not exist).
 * @throws Error naming the first file that is not part of a checkpoint, or a foreign `checkpoint.json`.
 */
export async function assertCheckpointDir(dir: string): Promise<string[] | undefined> {
  const root = path.resolve(dir);
  const entries = await listDir(root);
  for (const e of entries ?? []) {
    if (e !== JSON_NAME && !BIN_RE.test(e) && !TMP_RE.test(e)) {
      throw new Error(`saveCheckpoint: ${path.join(root, e)} is not part of a checkpoint; refusing to write into ${root}`);
    }
  }
  if (entries?.includes(JSON_NAME)) {
    // never overwrite a foreign checkpoint.json
    const text = await fs.readFile(path.join(root, JSON_NAME), 'utf8').catch(() => '');
    let format: unknown;
    try { format = JSON.parse(text)?.format; } catch { format = undefined; }
    if (format !== undefined && format !== CHECKPOINT_FORMAT) {
      throw new Error(`saveCheckpoint: ${path.join(root, JSON_NAME)} has format '${String(format)}', not '${CHECKPOINT_FORMAT}'; refusing to replace it`);
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
 * @throws Error naming the file when `dir` holds anything that is not part of a checkpoint (nothing is
 *   written or removed then), or on I/O failure (the previous checkpoint is kept).
 */
export async function saveCheckpoint(dir: string, state: TrainingState): Promise<SavedCheckpoint> {
  const root = path.resolve(dir);
  const entries = await assertCheckpointDir(root);
  await fs.mkdir(root, { recursive: true });
  const chunks: Uint8Array[] = [];
  const pos = { n: 0 };
  const tree = encodeTree(state, chunks, pos) as Record<string, unknown>;
  const bin = Buffer.concat(chunks);
  const binName = `state-${randomBytes(8).toString('hex')}.bin`;
  const binPath = path.join(root, binName);
  const doc = {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, savedAt: new Date().toISOString(),
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
    throw new Error(`saveCheckpoint: writing ${root} failed (previous checkpoint kept): ${(err as Error).message}`, { cause: err });
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
 * @throws Error naming the file when it is missing, truncated, corrupt or of another format.
 */
export async function loadCheckpoint(dir: string): Promise<TrainingState> {
  const root = path.resolve(dir);
  const jsonPath = path.join(root, JSON_NAME);
  let text: string;
  try {
    text = await fs.readFile(jsonPath, 'utf8');
  } catch (err) {
    throw new Error(`loadCheckpoint: cannot read ${jsonPath}: ${(err as Error).message}`, { cause: err });
  }
  let doc: { format?: unknown; version?: unknown; data?: { file?: unknown; bytes?: unknown; sha256?: unknown }; state?: unknown };
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`loadCheckpoint: ${jsonPath} is not valid JSON (truncated?): ${(err as Error).message}`, { cause: err });
  }
  if (!doc || doc.format !== CHECKPOINT_FORMAT) {
    throw new Error(`loadCheckpoint: ${jsonPath} is not a training checkpoint (format '${String(doc?.format)}', expected '${CHECKPOINT_FORMAT}')`);
  }
  if (doc.version !== CHECKPOINT_VERSION) throw new Error(`loadCheckpoint: ${jsonPath} has version ${String(doc.version)}, this package reads ${CHECKPOINT_VERSION}`);
  const d = doc.data;
  if (!d || typeof d.file !== 'string' || !BIN_RE.test(d.file) || typeof d.bytes !== 'number' || typeof d.sha256 !== 'string') {
    throw new Error(`loadCheckpoint: ${jsonPath}: 'data' must name a state-*.bin file with bytes and sha256`);
  }
  const binPath = path.join(root, d.file);
  let bin: Buffer;
  try {
    bin = await fs.readFile(binPath);
  } catch (err) {
    throw new Error(`loadCheckpoint: cannot read ${binPath}: ${(err as Error).message}`, { cause: err });
  }
  if (bin.byteLength !== d.bytes) throw new Error(`loadCheckpoint: ${binPath} holds ${bin.byteLength} bytes, ${JSON_NAME} declares ${d.bytes} (truncated?)`);
  if (createHash('sha256').update(bin).digest('hex') !== d.sha256) throw new Error(`loadCheckpoint: ${binPath} does not match the SHA-256 in ${JSON_NAME} (corrupt)`);
  const state = decodeTree(doc.state, new Uint8Array(bin.buffer, bin.byteOffset, bin.byteLength), binPath) as TrainingState;
  if (!state || !Number.isInteger(state.epoch) || !Array.isArray(state.history) || !Array.isArray(state.weights) || !state.optimizer) {
    throw new Error(`loadCheckpoint: ${jsonPath}: state must have epoch, history, weights and optimizer`);
  }
  return state;
}
