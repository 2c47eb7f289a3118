import { fork } from 'node:child_process';
import type { WorkerMessage } from './worker';

/** Options of {@link startTrialProcess}. */
export interface TrialProcessOptions {
  /** Node options of the child. Default `['--import', 'tsx']` for `.ts`/`.mts`/`.cts` scripts, else `[]`. */
  execArgv?: string[];
  /** Environment of the child. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Kill the child after this many seconds (the outcome is then a failure saying so). Default: no limit. */
  timeoutS?: number;
  /** Receives the child's `ctx.log` lines. */
  onLog?: (line: string) => void;
  /** Receives the child's `ctx.progress` reports. */
  onProgress?: (epoch: number, metrics: Record<string, number>) => void;
}

/** How a trial process ended: its result value, or an error message (at most 3 lines). */
export type TrialOutcome = ({ ok: true; value: unknown } | { ok: false; error: string; signal: NodeJS.Signals | null }) & { seconds: number };

/** A running trial process. */
export interface TrialProcess {
  /** Settles when the child has exited (never rejects). */
  outcome: Promise<TrialOutcome>;
  /** Sends `signal` to the child (default `SIGTERM`); no-op after it exited. */
  kill(signal?: NodeJS.Signals): void;
}

/** Default Node options for a trial script: `--import tsx` for TypeScript. */
export function defaultExecArgv(script: string): string[] {
  return /\.[cm]?ts$/.test(script) ? ['--import', 'tsx'] : [];
}

/**
 * Forks `script` (a trial script calling `serveTrial` / `serveEnsembleMember`) as a fresh child process
 * with an IPC channel, sends it `message` and collects its `result` (or `error`) reply, its log lines and
 * progress reports. A child that crashes, is killed or exits without replying yields a failed outcome
 * naming its exit code / signal and the tail of its stderr — the caller never throws for a bad trial.
 * Used by the local search runner and the queue worker alike, so a trial runs the same way in both.
 */
export function startTrialProcess(script: string, message: object, opts: TrialProcessOptions = {}): TrialProcess {
  const t0 = performance.now();
  const child = fork(script, [], {
    execArgv: opts.execArgv ?? defaultExecArgv(script),
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  let reply: WorkerMessage | undefined;
  let exited = false;
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  child.stdout?.on('data', () => undefined);
  const outcome = new Promise<TrialOutcome>((resolve) => {
    let settled = false;
    const timer = opts.timeoutS
      ? setTimeout(() => {
          stderr += `\nkilled after ${opts.timeoutS} s (trial timeout)`;
          child.kill('SIGKILL');
        }, opts.timeoutS * 1000)
      : undefined;
    const finish = (o: { ok: true; value: unknown } | { ok: false; error: string; signal: NodeJS.Signals | null }): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({ ...o, seconds: (performance.now() - t0) / 1000 });
    };
    child.on('message', (raw) => {
      const m = raw as WorkerMessage;
      if (m?.type === 'log') opts.onLog?.(String(m.line));
      else if (m?.type === 'progress') opts.onProgress?.(m.epoch, m.metrics ?? {});
      else reply = m;
    });
    child.on('error', (err) => finish({ ok: false, error: `trial process failed to start: ${err.message}`, signal: null }));
    child.on('exit', (code, signal) => {
      exited = true;
      if (reply?.type === 'result') finish({ ok: true, value: reply.value });
      else if (reply?.type === 'error') finish({ ok: false, error: reply.message.split('\n').slice(0, 3).join(' | '), signal: null });
      else
        finish({
          ok: false,
          error: `trial process exited with ${signal ? `signal ${signal}` : `code ${code}`} before reporting: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          signal,
        });
    });
  });
  child.send(message);
  return {
    outcome,
    kill: (signal = 'SIGTERM') => {
      if (!exited) child.kill(signal);
    },
  };
}
