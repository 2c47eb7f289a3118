import { fork } from 'node:child_process';
import type { WorkerMessage } from './serve.js';

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

/** How a trial process ended: its result value, or an error message on one line (the error's first lines, or the error line of its stderr). */
export type TrialOutcome = ({ ok: true; value: unknown } | { ok: false; error: string; signal: NodeJS.Signals | null }) & { seconds: number };

/** A running trial process. */
export interface TrialProcess {
  /** Settles when the child has exited (never rejects). */
  outcome: Promise<TrialOutcome>;
  /** Sends `signal` to the child (default `SIGTERM`); no-op after it exited. */
  kill(signal?: NodeJS.Signals): void;
}

/** Characters of a trial's stderr kept from its start and from its end. */
const STDERR_KEEP = 8000;

/** An error line as Node prints it: `Error: boom`, `TypeError [ERR_X]: …`, `SyntaxError: …`, `Uncaught …`. */
const ERROR_LINE = /^(?:Uncaught )?(?:[A-Z][\w.]*)?(?:Error|Exception)(?: \[[A-Z0-9_]+\])?:|^node:internal.*Error/;

/**
 * What a trial's stderr says about its death, on one line: the error line(s) Node printed (`Error: boom`, with
 * the `file:///…:3` location line printed above a throw at import), then the last lines of output that are not
 * stack frames, blanks or Node's version banner — at most 5 parts joined by ` | `.
 * @internal
 */
export function summarizeStderr(head: string, tail: string): string {
  const lines = (s: string): string[] => s.split('\n').map((l) => l.trimEnd());
  const all = head.length < STDERR_KEEP && tail.length < STDERR_KEEP ? lines(tail) : [...lines(head), ...lines(tail)];
  const errors = [...new Set(all.filter((l) => ERROR_LINE.test(l.trim())).map((l) => l.trim()))];
  const where = all.find((l) => /^(file:\/\/|\/).*:\d+$/.test(l.trim()))?.trim();
  const rest = all
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^at\s/.test(l) && !/^Node\.js v\d/.test(l) && l !== '^' && !errors.includes(l) && l !== where);
  const parts = [...errors.slice(-2), ...(where ? [`at ${where}`] : []), ...rest.slice(-2)].slice(0, 5);
  return parts.length ? parts.join(' | ') : '(no output on stderr)';
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
  let stderrHead = ''; // the start: where Node prints an error thrown while the script is imported
  let stderr = ''; // the end: the last lines before the exit
  let reply: WorkerMessage | undefined;
  let exited = false;
  child.stderr?.on('data', (d: Buffer) => {
    const text = d.toString();
    if (stderrHead.length < STDERR_KEEP) stderrHead += text.slice(0, STDERR_KEEP - stderrHead.length);
    stderr = (stderr + text).slice(-STDERR_KEEP);
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
          error: `trial process exited with ${signal ? `signal ${signal}` : `code ${code}`} before reporting: ${summarizeStderr(stderrHead, stderr)}`,
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
