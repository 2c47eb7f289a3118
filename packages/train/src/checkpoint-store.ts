/**
 * Where checkpoints live. `fit({resume})` and `ModelCheckpoint` take a {@link CheckpointStore} or a string
 * resolved by {@link checkpointStore}: tfjs IO URLs (`indexeddb://`, `localstorage://`, `http(s)://`, any scheme a
 * tfjs IO router handles) everywhere; folder paths and `file://` URLs in Node once `@cnn/train/node` is
 * imported (it registers its router here, as tfjs-node registers `file://` with `tf.io`).
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, decodeTrainingState, encodeTrainingState, type TrainingState } from './checkpoint.js';
import { TrainError } from './errors.js';

/** A place a {@link TrainingState} can be written to and read back from. */
export interface CheckpointStore {
  /** For messages, e.g. the folder or the URL. */
  readonly description: string;
  /** Whether a checkpoint is there. */
  exists(): Promise<boolean>;
  /** Reads the checkpoint. @throws TrainError when there is none or it is malformed. */
  load(): Promise<TrainingState>;
  /** Writes `state`, replacing the previous checkpoint (atomically where the medium allows). */
  save(state: TrainingState): Promise<void>;
  /** Checks before training that the store may be written (e.g. a folder holding foreign files). Optional. */
  check?(): Promise<void>;
}

/** Turns a string into a store, or returns `undefined` when the string is not its kind. */
export type CheckpointRouter = (target: string) => CheckpointStore | undefined;

const routers: CheckpointRouter[] = [];

/**
 * Registers a router consulted by {@link checkpointStore} before the tfjs IO routers (`@cnn/train/node`
 * registers folders and `file://`).
 */
export function registerCheckpointRouter(router: CheckpointRouter): void {
  if (!routers.includes(router)) routers.push(router);
}

/**
 * The store for `target`: a store is returned as is; a string goes to the registered routers, then to the tfjs
 * IO routers ({@link ioCheckpointStore}).
 * @throws TrainError when no router handles the string (in Node: import `@cnn/train/node` for folders).
 */
export function checkpointStore(target: string | CheckpointStore): CheckpointStore {
  if (typeof target !== 'string') {
    if (target && typeof target.load === 'function' && typeof target.save === 'function') return target;
    throw new TrainError(`checkpointStore: expected a path / URL string or a CheckpointStore. Received: ${String(target)}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  for (const r of routers) {
    const store = r(target);
    if (store) return store;
  }
  if (tf.io.getSaveHandlers(target).length > 0) return ioCheckpointStore(target);
  throw new TrainError(
    `checkpointStore: no checkpoint store for '${target}'. In a browser use a tfjs IO URL (indexeddb://name, ` +
      `localstorage://name, http(s)://…); in Node import '@cnn/train/node' for folders and file:// URLs`,
    { code: 'ERR_CNN_CHECKPOINT' },
  );
}

/** `modelTopology` of a checkpoint stored through a tfjs IO handler. */
interface IoCheckpointTopology {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  savedAt: string;
  state: unknown;
  bytes: number;
}

/**
 * A checkpoint stored through tfjs IO handlers (`tf.io.getSaveHandlers(url)` / `getLoadHandlers(url)`, or the
 * handlers given): the encoded state is the `modelTopology` (format {@link CHECKPOINT_FORMAT}), its arrays one
 * float32 "weight" named `checkpoint-state` (zero-padded to a multiple of 4 bytes). Works with `indexeddb://`,
 * `localstorage://`, `http(s)://` (save by POST, load by GET) and `downloads://` (save only).
 *
 * @param target - A tfjs IO URL, or `{save, load}` handlers (e.g. `tf.io.withSaveHandler` / `tf.io.fromMemory`).
 */
export function ioCheckpointStore(target: string | { save?: tf.io.IOHandler; load?: tf.io.IOHandler }): CheckpointStore {
  const description = typeof target === 'string' ? target : 'IO handler';
  const saver = (): tf.io.IOHandler => {
    const h = typeof target === 'string' ? tf.io.getSaveHandlers(target)[0] : target.save;
    if (!h?.save) throw new TrainError(`ioCheckpointStore: no save handler for ${description}`, { code: 'ERR_CNN_CHECKPOINT' });
    return h;
  };
  const loader = (): tf.io.IOHandler => {
    const h = typeof target === 'string' ? tf.io.getLoadHandlers(target)[0] : target.load;
    if (!h?.load) throw new TrainError(`ioCheckpointStore: no load handler for ${description}`, { code: 'ERR_CNN_CHECKPOINT' });
    return h;
  };
  const load = async (): Promise<TrainingState> => {
    const artifacts = await loader().load!();
    const topo = artifacts.modelTopology as IoCheckpointTopology | undefined;
    if (!topo || topo.format !== CHECKPOINT_FORMAT) {
      throw new TrainError(`loadCheckpoint: ${description} is not a training checkpoint (format '${String(topo?.format)}', expected '${CHECKPOINT_FORMAT}')`, {
        code: 'ERR_CNN_CHECKPOINT',
      });
    }
    if (topo.version !== CHECKPOINT_VERSION)
      throw new TrainError(`loadCheckpoint: ${description} has version ${String(topo.version)}, this package reads ${CHECKPOINT_VERSION}`, {
        code: 'ERR_CNN_CHECKPOINT',
      });
    const data = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
    if (data.byteLength < topo.bytes)
      throw new TrainError(`loadCheckpoint: ${description} holds ${data.byteLength} state bytes, the checkpoint declares ${topo.bytes}`, {
        code: 'ERR_CNN_CHECKPOINT',
      });
    return decodeTrainingState(topo.state, new Uint8Array(data, 0, topo.bytes), description);
  };
  return {
    description,
    async exists() {
      try {
        await load();
        return true;
      } catch {
        return false;
      }
    },
    load,
    async save(state) {
      const { tree, bin } = encodeTrainingState(state);
      const padded = new Uint8Array(Math.ceil(bin.byteLength / 4) * 4);
      padded.set(bin);
      const topology: IoCheckpointTopology = {
        format: CHECKPOINT_FORMAT,
        version: CHECKPOINT_VERSION,
        savedAt: new Date().toISOString(),
        state: tree,
        bytes: bin.byteLength,
      };
      await saver().save!({
        modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'],
        format: CHECKPOINT_FORMAT,
        generatedBy: '@cnn/train',
        weightSpecs: [{ name: 'checkpoint-state', shape: [padded.byteLength / 4], dtype: 'float32' }],
        weightData: padded.buffer,
      });
    },
  };
}
