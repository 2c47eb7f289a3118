import { assertCheckpointDir, captureTrainingState, saveCheckpoint, type Logs } from '@cnn/train';
import { MonitorCallback, type MonitorOptions } from './base';

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
 * Saves the whole training state to the folder `dir` after epochs (Keras' `ModelCheckpoint`, plus what
 * an exact resume needs): all weights, optimizer slots (Adam moments, momentum buffers) and step,
 * the states of the other stateful callbacks (schedulers, early stopping), RNG layers (seeded
 * dropout), the loader epoch, the history and the epoch, via `@cnn/train`'s `saveCheckpoint` (crash-safe:
 * the previous checkpoint stays valid until the new one is complete). `fit({resume: dir})` continues
 * from it. Saving runs in `afterEpoch`, after every callback's `onEpochEnd`, so the saved state is the
 * end-of-epoch state.
 *
 * @throws Error at `onTrainBegin` when `dir` holds files that are not part of a checkpoint (naming
 *   the file; nothing is trained or overwritten), and from `afterEpoch` when the monitor key is missing.
 */
export class ModelCheckpoint extends MonitorCallback {
  /** Checkpoint folder. */
  readonly dir: string;
  /** Save-best-only mode. */
  readonly saveBestOnly: boolean;
  /** Saving period in epochs. */
  readonly everyNEpochs: number;
  private readonly log: (line: string) => void;
  private best: number;
  /** Number of checkpoints written during the current run. */
  saves = 0;

  /** @throws Error on bad options ("Received: …"). */
  constructor(dir: string, opts: ModelCheckpointOptions = {}) {
    super('ModelCheckpoint', opts);
    if (typeof dir !== 'string' || dir === '') throw new Error(`ModelCheckpoint: dir must be a non-empty path. Received: dir=${String(dir)}`);
    this.dir = dir;
    this.saveBestOnly = opts.saveBestOnly ?? false;
    this.everyNEpochs = opts.everyNEpochs ?? 1;
    if (!(Number.isInteger(this.everyNEpochs) && this.everyNEpochs >= 1)) {
      throw new Error(`ModelCheckpoint: everyNEpochs must be an integer >= 1. Received: everyNEpochs=${opts.everyNEpochs}`);
    }
    this.log = opts.log ?? console.log;
    this.best = this.worst();
  }

  async onTrainBegin(): Promise<void> {
    this.best = this.worst();
    this.saves = 0;
    await assertCheckpointDir(this.dir);
  }

  async afterEpoch(epoch: number, logs: Logs): Promise<void> {
    if (epoch % this.everyNEpochs !== 0) return;
    const value = logs[this.monitor];
    if (this.saveBestOnly) {
      const v = this.monitorValue(logs);
      if (!this.isImprovement(v, this.best)) return;
      this.log(`Epoch ${epoch}: ${this.monitor} improved from ${this.best} to ${v}, saving checkpoint to ${this.dir}`);
      this.best = v;
    }
    await saveCheckpoint(this.dir, captureTrainingState(this.context, { monitor: this.monitor, value: value ?? null, best: this.best }));
    this.saves += 1;
  }

  getState(): { best: number } {
    return { best: this.best };
  }

  setState(state: unknown): void {
    const b = (state as { best?: unknown })?.best;
    if (typeof b !== 'number') throw new Error('ModelCheckpoint.setState: malformed state (needs best)');
    this.best = b;
  }
}
