import { captureTrainingState, checkpointStore, type CheckpointStore, type Logs } from '@cnn/train';
import { MonitorCallback, refuseTestMonitor, type MonitorOptions } from './base.js';
import { CallbackError } from './errors.js';

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions extends MonitorOptions {
  /** Save only when `monitor` improves (Keras' `save_best_only`). Default `false`. */
  saveBestOnly?: boolean;
  /** Save every N epochs (integer >= 1). Default `1`. */
  everyNEpochs?: number;
  /** Line sink for "saved" messages. Default `console.log`. */
  log?: (line: string) => void;
}

/**
 * Saves the whole training state after epochs (Keras' `ModelCheckpoint`, plus what an exact resume needs):
 * all weights, optimizer slots (Adam moments, momentum buffers) and step, the states of the other stateful
 * callbacks (schedulers, early stopping), RNG layers (seeded dropout), the loader epoch, the history and the
 * epoch. Where: a `@cnn/train` `CheckpointStore`, a tfjs IO URL (`indexeddb://ckpt` in a browser), or in Node
 * (with `@cnn/train/node` imported) a folder, written crash-safely (the previous checkpoint stays valid until
 * the new one is complete). `fit({resume: sameTarget})` continues from it. It `runsLast`: its `onEpochEnd`
 * follows every other callback's, so the saved state is the end-of-epoch state.
 *
 * @throws TrainError (code `ERR_CNN_CHECKPOINT`, from the store) at `onTrainBegin` when a folder holds files that are not part of a checkpoint (naming the
 *   file; nothing is trained or overwritten), and from `onEpochEnd` when the monitor key is missing.
 */
export class ModelCheckpoint extends MonitorCallback {
  /** Where the checkpoint goes (the store's description, e.g. the folder). */
  readonly dir: string;
  /** The store written to. */
  readonly store: CheckpointStore;
  /** Runs after the other callbacks (see `Callback.runsLast`). */
  override readonly runsLast = true;
  /** Save-best-only mode. */
  readonly saveBestOnly: boolean;
  /** Saving period in epochs. */
  readonly everyNEpochs: number;
  private readonly log: (line: string) => void;
  private best: number;
  /** Number of checkpoints written during the current run. */
  saves = 0;

  /**
   * @throws CallbackError (code `ERR_CNN_INVALID_OPTION`) on bad options ("Received: …"); (code
   *   `ERR_CNN_SELECT_ON_TEST`) for a `test_*` monitor with `saveBestOnly`.
   */
  constructor(target: string | CheckpointStore, opts: ModelCheckpointOptions = {}) {
    super('ModelCheckpoint', opts);
    if (target === '' || target == null)
      throw new CallbackError(`ModelCheckpoint: target must be a non-empty path, URL or CheckpointStore. Received: target=${String(target)}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    this.store = checkpointStore(target);
    this.dir = typeof target === 'string' ? target : this.store.description;
    this.saveBestOnly = opts.saveBestOnly ?? false;
    if (this.saveBestOnly) refuseTestMonitor('ModelCheckpoint', this.monitor);
    this.everyNEpochs = opts.everyNEpochs ?? 1;
    if (!(Number.isInteger(this.everyNEpochs) && this.everyNEpochs >= 1)) {
      throw new CallbackError(`ModelCheckpoint: everyNEpochs must be an integer >= 1. Received: everyNEpochs=${opts.everyNEpochs}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    }
    this.log = opts.log ?? console.log;
    this.best = this.worst();
  }

  override async onTrainBegin(): Promise<void> {
    this.best = this.worst();
    this.saves = 0;
    await this.store.check?.();
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (epoch % this.everyNEpochs !== 0) return;
    const value = logs[this.monitor];
    if (this.saveBestOnly) {
      const v = this.monitorValue(logs);
      if (v === undefined) return; // an epoch fit({evalEvery}) did not evaluate
      if (!this.isImprovement(v, this.best)) return;
      this.log(`Epoch ${epoch}: ${this.monitor} improved from ${this.best} to ${v}, saving checkpoint to ${this.dir}`);
      this.best = v;
    }
    await this.store.save(await captureTrainingState(this.context, { monitor: this.monitor, value: value ?? null, best: this.best }));
    this.saves += 1;
  }

  override getState(): { best: number } {
    return { best: this.best };
  }

  override setState(state: unknown): void {
    const b = (state as { best?: unknown })?.best;
    if (typeof b !== 'number') throw new CallbackError('ModelCheckpoint.setState: malformed state (needs best)', { code: 'ERR_CNN_BAD_STATE' });
    this.best = b;
  }
}
