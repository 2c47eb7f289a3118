import type { TrialConfig } from './space';

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
  /** Sends a line to the search's log. */
  log: (line: string) => void;
}

/**
 * A trial: trains with `config` for `ctx.budget` and returns the objective, either as a number or as a
 * record of numbers holding the search's metric (e.g. `{val_accuracy: 0.98, val_loss: 0.05}`).
 */
export type TrialFn = (config: TrialConfig, ctx: TrialContext) => Promise<number | Record<string, number>> | number | Record<string, number>;

/** Parent → worker message. */
export interface RunMessage {
  type: 'run';
  config: TrialConfig;
  budget: number;
  trialId: string;
  seed: number;
  rung: number;
}

/** Worker → parent message. */
export type WorkerMessage = { type: 'result'; value: number | Record<string, number> } | { type: 'error'; message: string } | { type: 'log'; line: string };

/**
 * Turns the current module into a trial worker for `runSearch`: waits for one `run` message on the IPC
 * channel, calls `fn`, sends back the result (or the error) and exits. Exits when the parent goes away
 * (a killed search leaves no orphan trials). Call it at the top level of the script passed as
 * `trialScript`.
 * @throws Error when the process was not started with an IPC channel (i.e. not by `runSearch`).
 */
export function serveTrial(fn: TrialFn): void {
  if (typeof process.send !== 'function') {
    throw new Error('serveTrial: this script is a trial worker; run it through runSearch / the search CLI (it needs an IPC channel)');
  }
  const send = (m: WorkerMessage): Promise<void> => new Promise((resolve) => process.send!(m, undefined, undefined, () => resolve()));
  process.on('disconnect', () => process.exit(2));
  process.once('message', async (raw: unknown) => {
    const m = raw as RunMessage;
    try {
      if (m?.type !== 'run') throw new Error(`serveTrial: unexpected message ${JSON.stringify(raw)}`);
      const value = await fn(m.config, { budget: m.budget, trialId: m.trialId, seed: m.seed, rung: m.rung, log: (line) => void send({ type: 'log', line }) });
      const ok = typeof value === 'number' || (value && typeof value === 'object' && Object.values(value).every((v) => typeof v === 'number'));
      if (!ok) throw new Error(`trial returned ${JSON.stringify(value)}; expected a number or a record of numbers`);
      await send({ type: 'result', value });
      process.exit(0);
    } catch (err) {
      await send({ type: 'error', message: (err as Error)?.stack ?? String(err) });
      process.exit(1);
    }
  });
}
