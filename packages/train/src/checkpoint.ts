import * as tf from '@tensorflow/tfjs-core';
import { getModelRngState, setModelRngState } from '@cnn/models';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainingContext } from './callback.js';
import { TrainError } from './errors.js';
import { normalizeHistoryEntry, type History } from './history.js';
import type { OptimizerState } from './optimizers/optimizer.js';

/** Format tag of a checkpoint (`checkpoint.json`'s `format`, or the `modelTopology.format` of an IO-handler checkpoint). */
export const CHECKPOINT_FORMAT = 'cnn-train-checkpoint';
/** Version of the checkpoint format. */
export const CHECKPOINT_VERSION = 1;

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
 * Copies every weight of `model` (trainable and non-trainable) keyed by its layer-scoped name, reading
 * synchronously (`dataSync()`: cpu, onednn); on a backend without synchronous reads (webgpu in Node) use
 * {@link readModelWeights}.
 * @throws TrainError when two weights share a name.
 */
export function getModelWeights(model: tfl.LayersModel): NamedWeight[] {
  const seen = new Set<string>();
  return model.weights.map((w) => {
    if (seen.has(w.originalName))
      throw new TrainError(`getModelWeights: duplicate weight name '${w.originalName}' in model '${model.name}'`, { code: 'ERR_CNN_CHECKPOINT' });
    seen.add(w.originalName);
    return { name: w.originalName, shape: w.shape.slice() as number[], values: Float32Array.from(w.read().dataSync() as Float32Array) };
  });
}

/**
 * {@link getModelWeights} with asynchronous reads (`await variable.data()`): the same copies, on backends without
 * synchronous reads too (webgpu in Node). What `EarlyStopping({restoreBestWeights})` uses.
 * @throws TrainError (code `ERR_CNN_CHECKPOINT`) when two weights share a name.
 */
export async function readModelWeights(model: tfl.LayersModel): Promise<NamedWeight[]> {
  const seen = new Set<string>();
  for (const w of model.weights) {
    if (seen.has(w.originalName))
      throw new TrainError(`readModelWeights: duplicate weight name '${w.originalName}' in model '${model.name}'`, { code: 'ERR_CNN_CHECKPOINT' });
    seen.add(w.originalName);
  }
  return Promise.all(
    model.weights.map(async (w) => ({
      name: w.originalName,
      shape: w.shape.slice() as number[],
      values: Float32Array.from((await w.read().data()) as Float32Array),
    })),
  );
}

/**
 * Writes `weights` (from {@link getModelWeights}) into `model`'s variables, bit-exactly.
 * @throws TrainError naming the weight when one is missing, unknown, or of another shape (nothing is written then).
 */
export function setModelWeights(model: tfl.LayersModel, weights: NamedWeight[]): void {
  const byName = new Map(model.weights.map((w) => [w.originalName, w]));
  const given = new Set(weights.map((w) => w.name));
  for (const w of weights) {
    const v = byName.get(w.name);
    if (!v) throw new TrainError(`setModelWeights: model '${model.name}' has no weight '${w.name}'`, { code: 'ERR_CNN_CHECKPOINT' });
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (!tf.util.arraysEqual(v.shape as number[], w.shape) || w.values.length !== size) {
      throw new TrainError(`setModelWeights: weight '${w.name}' has shape [${w.shape}] (${w.values.length} values), the model's is [${v.shape}]`, {
        code: 'ERR_CNN_CHECKPOINT',
      });
    }
  }
  for (const name of byName.keys())
    if (!given.has(name)) throw new TrainError(`setModelWeights: no value for weight '${name}'`, { code: 'ERR_CNN_CHECKPOINT' });
  for (const w of weights) {
    const t = tf.tensor(w.values, w.shape, 'float32');
    byName.get(w.name)!.write(t);
    t.dispose();
  }
}

/**
 * Snapshots the whole training state of a running {@link fit} (weights, optimizer slots, RNG layers,
 * callback states, history, loader epoch). All arrays are copies, read asynchronously (`await t.data()`:
 * {@link readModelWeights}, `Optimizer.readState`, callback `getState`s awaited), so it works on backends
 * without synchronous reads (webgpu in Node). The plain-data parts are taken before the first read.
 * @returns A promise of the state (asynchronous since the webgpu support; it was synchronous before).
 * @throws TrainError (code `ERR_CNN_CHECKPOINT`) when two model weights share a name.
 */
export async function captureTrainingState(ctx: TrainingContext, meta?: Record<string, unknown>): Promise<TrainingState> {
  const rng = getModelRngState(ctx.model);
  const epoch = ctx.epoch;
  const history = ctx.history.map((e) => ({ ...e }));
  const loaderEpoch = (ctx.train as { epoch?: unknown } | null)?.epoch;
  const weights = await readModelWeights(ctx.model);
  const optimizer = await ctx.optimizer.readState();
  const callbacks: Record<string, unknown> = {};
  for (const [i, cb] of ctx.callbacks.entries()) {
    if (typeof cb.getState === 'function') callbacks[ctx.callbackKeys[i]] = await cb.getState();
  }
  return {
    epoch,
    history,
    weights,
    optimizer,
    rng,
    callbacks,
    ...(typeof loaderEpoch === 'number' ? { loaderEpoch } : {}),
    ...(meta ? { meta } : {}),
  };
}

/**
 * Puts a {@link TrainingState} back into a run: weights, optimizer, RNG layers, history (entries of
 * checkpoints written before the metric rename are converted), loader epoch (`train.setEpoch`), and callback
 * states (for callbacks with `setState`).
 * @throws TrainError naming the part that does not fit (missing weight, optimizer type, RNG layer…).
 */
export function restoreTrainingState(ctx: TrainingContext, state: TrainingState, parts: { callbacks?: boolean } = {}): void {
  setModelWeights(ctx.model, state.weights);
  ctx.optimizer.setState(state.optimizer);
  setModelRngState(ctx.model, state.rng);
  ctx.history.splice(0, ctx.history.length, ...state.history.map((e) => normalizeHistoryEntry({ ...e })));
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

// ---- binary encoding of typed arrays inside a JSON tree (shared by every checkpoint store) ----

type Ref = { $typed: 'float32' | 'float64' | 'int32' | 'uint8'; offset: number; length: number };
const CTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array } as const;

function encodeTree(value: unknown, chunks: Uint8Array[], pos: { n: number }): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const kind =
      value instanceof Float32Array
        ? 'float32'
        : value instanceof Float64Array
          ? 'float64'
          : value instanceof Int32Array
            ? 'int32'
            : value instanceof Uint8Array
              ? 'uint8'
              : undefined;
    if (!kind) throw new TrainError(`encodeTrainingState: unsupported typed array ${value.constructor.name}`, { code: 'ERR_CNN_CHECKPOINT' });
    const pad = (8 - (pos.n % 8)) % 8;
    if (pad) {
      chunks.push(new Uint8Array(pad));
      pos.n += pad;
    }
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
        throw new TrainError(`loadCheckpoint: ${file}: malformed array reference ${JSON.stringify(o)}`, { code: 'ERR_CNN_CHECKPOINT' });
      }
      const end = r.offset + r.length * Ctor.BYTES_PER_ELEMENT;
      if (end > bin.byteLength) throw new TrainError(`loadCheckpoint: ${file}: array reference past the end of the state file`, { code: 'ERR_CNN_CHECKPOINT' });
      return new Ctor(bin.slice(r.offset, end).buffer as ArrayBuffer);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = decodeTree(v, bin, file);
    return out;
  }
  return value;
}

/**
 * Splits a {@link TrainingState} into a JSON tree and one binary blob: typed arrays (weights, optimizer slots)
 * become `{$typed, offset, length}` references into the blob (8-byte aligned), non-finite numbers
 * `{$number: 'NaN'}`. The encoding of every checkpoint store (folders in `@cnn/train/node`, tfjs IO handlers).
 * @throws TrainError on a typed array other than Float32/Float64/Int32/Uint8.
 */
export function encodeTrainingState(state: TrainingState): { tree: unknown; bin: Uint8Array } {
  const chunks: Uint8Array[] = [];
  const pos = { n: 0 };
  const tree = encodeTree(state, chunks, pos);
  const bin = new Uint8Array(pos.n);
  let off = 0;
  for (const c of chunks) {
    bin.set(c, off);
    off += c.byteLength;
  }
  return { tree, bin };
}

/**
 * The inverse of {@link encodeTrainingState}, with the checks a loaded checkpoint needs.
 * @param source - The file or URL, named in errors.
 * @throws TrainError naming `source` on a malformed reference or a state without epoch, history, weights and
 *   optimizer.
 */
export function decodeTrainingState(tree: unknown, bin: Uint8Array, source: string): TrainingState {
  const state = decodeTree(tree, bin, source) as TrainingState;
  if (!state || !Number.isInteger(state.epoch) || !Array.isArray(state.history) || !Array.isArray(state.weights) || !state.optimizer) {
    throw new TrainError(`loadCheckpoint: ${source}: state must have epoch, history, weights and optimizer`, { code: 'ERR_CNN_CHECKPOINT' });
  }
  return state;
}
