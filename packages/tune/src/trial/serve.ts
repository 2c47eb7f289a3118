import type { TrialConfig } from './space.js';
import { TuneError } from '../errors.js';

/** What a trial function gets besides its config. */
export interface TrialContext {
  /** Budget to train for (epochs; grows along successive-halving rungs). */
  budget: number;
  /** Stable trial id (see `trialId`). */
  trialId: string;
  /** A seed derived from the search seed and the trial id. */
  seed: number;
  /** Successive-halving rung (0 for grid/random). */
  rung: number;
  /** Sends a line to the search's log (the queue worker's log when the trial runs on a queue). */
  log: (line: string) => void;
  /**
   * Reports progress after an epoch (1-based) with its metrics, e.g. `ctx.progress(2, {val_accuracy: 0.97})`.
   * On a queue it becomes the job's progress `{epoch, ...metrics}` (the search prints it); the local
   * runner ignores it.
   */
  progress: (epoch: number, metrics?: Record<string, number>) => void;
  /**
   * A folder of this trial's own (created, possibly holding what an earlier, interrupted run of the same
   * trial left there), for epoch checkpoints: a trial that saves one per epoch and resumes from it (e.g.
   * `@cnn/train`'s `fit({resume: dir, resumeIfMissing: true})` with `@cnn/callbacks`' `ModelCheckpoint`, folder
   * paths registered by importing `@cnn/train/node`)
   * continues where a killed run stopped. `undefined` unless the search / queue worker has an artifacts
   * folder (`artifactsDir` / `--artifacts`).
   */
  artifactsDir: string | undefined;
}

/**
 * A trial: trains with `config` for `ctx.budget` and returns the objective, either as a number or as a
 * record of numbers holding the search's metric (e.g. `{val_accuracy: 0.98, val_loss: 0.05}`).
 */
export type TrialFn = (config: TrialConfig, ctx: TrialContext) => Promise<number | Record<string, number>> | number | Record<string, number>;

/** Parent → worker message: run one trial. */
export interface RunMessage {
  type: 'run';
  config: TrialConfig;
  budget: number;
  trialId: string;
  seed: number;
  rung: number;
  /** The trial's artifacts folder (see {@link TrialContext.artifactsDir}). */
  artifactsDir?: string;
}

/** Worker → parent message. */
export type WorkerMessage =
  | { type: 'result'; value: unknown }
  | { type: 'error'; message: string }
  | { type: 'log'; line: string }
  | { type: 'progress'; epoch: number; metrics: Record<string, number> };

/**
 * The child side of the trial protocol shared by {@link serveTrial} and `serveEnsembleMember`: waits for
 * one message of type `expect` on the IPC channel, calls `handle`, sends back the result (or the error)
 * and exits (0 / 1). Exits with code 2 when the parent goes away.
 * @internal
 */
export function serveOnce<M extends { type: string }>(
  who: string,
  expect: M['type'],
  handle: (m: M, send: (m: WorkerMessage) => Promise<void>) => Promise<unknown>,
): void {
  if (typeof process.send !== 'function') {
    throw new TuneError(
      `${who}: this script is a trial worker; run it through runSearch / trainEnsemble / the cnn search / cnn worker commands (it needs an IPC channel)`,
      {
        code: 'ERR_CNN_TRIAL_SCRIPT',
      },
    );
  }
  const send = (m: WorkerMessage): Promise<void> => new Promise((resolve) => process.send!(m, undefined, undefined, () => resolve()));
  process.on('disconnect', () => process.exit(2));
  process.once('message', async (raw: unknown) => {
    try {
      const m = raw as M;
      if (!m || m.type !== expect)
        throw new TuneError(`${who}: unexpected message ${JSON.stringify(raw)?.slice(0, 200)} (this script serves '${expect}' messages)`, {
          code: 'ERR_CNN_TRIAL_SCRIPT',
        });
      const value = await handle(m, send);
      await send({ type: 'result', value });
      process.exit(0);
    } catch (err) {
      await send({ type: 'error', message: (err as Error)?.stack ?? String(err) });
      process.exit(1);
    }
  });
}

/**
 * Turns the current module into a trial worker for `runSearch` and `cnn worker`: waits for one `run`
 * message on the IPC channel, calls `fn`, sends back the result (or the error) and exits. Exits when the
 * parent goes away (a killed search or queue worker leaves no orphan trials). Call it at the top level of
 * the script passed as `trialScript` (or kept in a queue worker's `--trial-dir`).
 * @throws TuneError when the process was not started with an IPC channel (i.e. not by `runSearch` or a worker).
 */
export function serveTrial(fn: TrialFn): void {
  serveOnce<RunMessage>('serveTrial', 'run', async (m, send) => {
    const value = await fn(m.config, {
      budget: m.budget,
      trialId: m.trialId,
      seed: m.seed,
      rung: m.rung,
      artifactsDir: m.artifactsDir,
      log: (line) => void send({ type: 'log', line }),
      progress: (epoch, metrics = {}) => void send({ type: 'progress', epoch, metrics }),
    });
    const ok = typeof value === 'number' || (value && typeof value === 'object' && Object.values(value).every((v) => typeof v === 'number'));
    if (!ok) throw new TuneError(`trial returned ${JSON.stringify(value)}; expected a number or a record of numbers`, { code: 'ERR_CNN_TRIAL_SCRIPT' });
    return value;
  });
}
