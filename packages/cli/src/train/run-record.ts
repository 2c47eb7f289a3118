import { Callback } from '@cnn/train';
import { CnnError } from '@cnn/core';
import { UsageError } from '../errors.js';

/** Settings that identify a run (recipe, seed, batch size, …): plain values only. */
export type RunInfo = Record<string, string | number | boolean | null>;

/** Checkpoint state of {@link RunRecord}. */
export interface RunRecordState {
  /** The run's identity when the checkpoint was written. */
  info: RunInfo;
  /** Wall-clock seconds of the run up to the checkpoint. */
  elapsedSeconds: number;
}

/** State key of {@link RunRecord} in `fit`'s checkpoints. */
export const RUN_RECORD_KEY = 'RunRecord';

/**
 * The keys on which `stored` (a checkpoint's run information) and `current` differ, as
 * `recipe "standard" there, "fast" here`; only the keys `stored` holds are compared (a checkpoint written by an
 * older version, with fewer keys, is judged on what it recorded). When `recipe` differs only that is reported (the
 * recipes record different settings). Empty when they agree.
 */
export function runInfoDifferences(stored: RunInfo, current: RunInfo): string[] {
  const show = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : v === undefined ? 'not set' : String(v));
  const keys = 'recipe' in stored && stored.recipe !== current.recipe ? ['recipe'] : Object.keys(stored).filter((k) => stored[k] !== current[k]);
  return keys.map((k) => `${k} ${show(stored[k])} there, ${show(current[k])} here`);
}

/**
 * A `fit` callback that carries a run's identity and wall clock through its checkpoints: its state
 * ({@link RunRecordState}) is saved by `ModelCheckpoint`, and on `fit({resume})` it refuses a checkpoint of another
 * run and continues the clock from the checkpoint's elapsed time (the time lost after that checkpoint — the
 * interrupted epoch — is not counted).
 */
export class RunRecord extends Callback {
  /** Checkpoint key. */
  override readonly stateKey = RUN_RECORD_KEY;
  /** This run's identity. */
  readonly info: RunInfo;
  private offset = 0;
  private start = performance.now();

  constructor(info: RunInfo) {
    super();
    this.info = { ...info };
  }

  /** (Re)starts the clock at 0 now. */
  startClock(): void {
    this.offset = 0;
    this.start = performance.now();
  }

  /** Seconds since {@link RunRecord.startClock}, plus the restored checkpoint's elapsed time after a resume. */
  get elapsedSeconds(): number {
    return this.offset + (performance.now() - this.start) / 1000;
  }

  override getState(): RunRecordState {
    return { info: { ...this.info }, elapsedSeconds: this.elapsedSeconds };
  }

  /**
   * Restores the clock from a checkpoint (fit calls it on resume).
   * @throws UsageError when the checkpoint was written by a run with other settings (naming them).
   */
  override setState(state: unknown): void {
    const s = state as Partial<RunRecordState> | undefined;
    if (!s || typeof s.info !== 'object' || s.info === null || typeof s.elapsedSeconds !== 'number') {
      throw new CnnError('RunRecord.setState: malformed state (needs info and elapsedSeconds)', { code: 'ERR_CNN_CHECKPOINT_STATE' });
    }
    const diff = runInfoDifferences(s.info, this.info);
    if (diff.length > 0) throw new UsageError(`--resume: the checkpoint is from another run (${diff.join('; ')})`);
    this.offset = s.elapsedSeconds;
    this.start = performance.now();
  }
}
