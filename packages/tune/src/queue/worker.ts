import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { Job, Worker } from 'bullmq';
import { startTrialProcess, type TrialProcess } from '../trial/process.js';
import { bullConnection, parseQueueUrl, probeRedis, queueConnectionOptions, type QueueConnection } from './connection.js';
import { parseJobData, TRIAL_NAME_RE, type JobData } from './payload.js';
import { bullmq } from './peers.js';
import { TuneError } from '../errors.js';

/** Options of {@link startQueueWorker}. */
export interface QueueWorkerOptions {
  /** The queue: a `redis://` / `rediss://` URL or {@link QueueConnectionOptions} (same name as the search's). */
  queue: QueueConnection;
  /**
   * Folder of the trial scripts this worker may run. A job names a script (`mnist-trial`); the worker runs
   * `<trialDir>/mnist-trial.{ts,mts,js,mjs,cjs}` if it exists there (symbolic links that leave the folder are
   * refused), never a path or code from the job. Keep only trial scripts in it. Default: the current folder.
   */
  trialDir?: string;
  /** Trials run at the same time, each in its own child process. Default `1`. */
  concurrency?: number;
  /**
   * Folder under which each trial gets `<artifactsDir>/<job id>/` as `ctx.artifactsDir` for epoch
   * checkpoints. On storage shared by all workers, a trial re-run after its worker died resumes from its
   * last checkpoint. Default: none (`ctx.artifactsDir` is `undefined`).
   */
  artifactsDir?: string;
  /** Worker name stored on the jobs it runs (`processedBy`). Default `<hostname>:<pid>`. */
  name?: string;
  /** Kill a trial after this many seconds (a job's own `timeoutS` applies when shorter). Default: no limit. */
  timeoutS?: number;
  /**
   * BullMQ lock duration (ms): a job whose worker stops renewing its lock (killed, frozen, cut off) for this
   * long is stalled and goes back to the queue. Default `30000`.
   */
  lockDurationMs?: number;
  /** Milliseconds between this worker's checks for stalled jobs (of any worker). Default `30000`. */
  stalledIntervalMs?: number;
  /** Times a job may be recovered from a stalled state before it fails. Default `3`. */
  maxStalledCount?: number;
  /** Node options of the trial processes. Default `['--import', 'tsx']` for TypeScript scripts, else `[]`. */
  execArgv?: string[];
  /** Environment of the trial processes. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Line sink. Default `console.log`. */
  log?: (line: string) => void;
}

/** A running queue worker. */
export interface QueueWorker {
  /** The worker's name (stored on jobs as `processedBy`). */
  name: string;
  /** The BullMQ worker. */
  worker: Worker;
  /**
   * Stops taking jobs, gives running trials `graceS` seconds (default `20`) to finish, then kills the rest
   * and puts their jobs back in the queue (`moveToWait`: another worker runs them, from their checkpoint
   * when artifacts are shared), and closes the connections. Calling it again with `graceS: 0` re-queues at
   * once. Resolves when the worker is closed: `'closed'`, or `'cut'` when Redis did not answer within
   * `CLOSE_TIMEOUT_S` seconds after the grace time and the connections were cut (BullMQ then keeps trying
   * to reconnect in the background: a process of its own should exit).
   */
  shutdown(opts?: { graceS?: number }): Promise<'closed' | 'cut'>;
}

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cjs'];

/**
 * The path of the trial script `name` inside `trialDir` (real path), trying the extensions `.ts`, `.mts`, `.js`, `.mjs`, `.cjs`.
 * @throws UnrecoverableError (the job fails with the message) when the name is not a bare script name, no
 *   such file exists in the folder, or it is a link to a file outside the folder.
 */
export function resolveTrialScript(trialDir: string, name: string): string {
  if (!TRIAL_NAME_RE.test(name)) throw new (bullmq().UnrecoverableError)(`trial name ${JSON.stringify(name)} is not a bare script name`);
  const root = realpathSync(trialDir);
  const names = EXTENSIONS.some((e) => name.endsWith(e)) ? [name] : EXTENSIONS.map((e) => name + e);
  for (const n of names) {
    const p = path.join(root, n);
    if (!existsSync(p)) continue;
    const real = realpathSync(p);
    if (!real.startsWith(root + path.sep)) throw new (bullmq().UnrecoverableError)(`trial script ${p} links outside --trial-dir ${root}; refused`);
    if (!statSync(real).isFile()) continue;
    return real;
  }
  throw new (bullmq().UnrecoverableError)(`trial script '${name}' not found in --trial-dir ${root} (looked for ${names.join(', ')})`);
}

function describe(d: JobData): string {
  return d.kind === 'trial'
    ? `trial ${d.trialId} of ${d.trial} (budget ${d.budget}): ${JSON.stringify(d.config)}`
    : `member '${d.name}' of ${d.trial} (seed ${d.seed}, ${d.epochs} epochs)`;
}

/**
 * Starts a long-running worker on a cnn-tune queue (the `cnn worker` command, through {@link runQueueWorker}): it takes search trials
 * and ensemble members submitted by `runSearch({queue})` / `trainEnsemble({queue})` from any machine and runs
 * each in a fresh child process (`startTrialProcess`, as the local runner does): a crashing trial fails
 * its job, not the worker. Job payloads are validated first (`parseJobData`: unknown keys or wrong types
 * fail that job with the reason; other jobs go on), and the script is looked up in the worker's own
 * `trialDir` ({@link resolveTrialScript}). Trials' `ctx.progress(epoch, metrics)` becomes the job's progress.
 *
 * Fault handling is BullMQ's: the worker renews each job's lock while its trial runs; if the worker dies
 * (kill -9, power loss), the lock expires after `lockDurationMs` and any worker's stalled check moves the job
 * back to the queue, where another worker runs it again (at most `maxStalledCount` times). A dead or frozen
 * worker's job is back in the queue within `lockDurationMs + 2 · stalledIntervalMs` (90 s with the defaults). A
 * Redis outage longer than `lockDurationMs` can likewise run a trial twice; the job still completes once (a
 * worker that lost its lock cannot complete it), so a search records the trial once. Each refused job (bad
 * payload, script missing or linking outside `trialDir`) is logged as `Job <id> refused: <reason>`.
 *
 * @throws TuneError before starting when Redis is unreachable / refuses the password (naming the URL, within
 *   the connect timeout), `trialDir` is not a folder, or an option is invalid. Logs a warning when Redis has
 *   no appendonly persistence.
 */
export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const log = opts.log ?? console.log;
  const q = queueConnectionOptions(opts.queue);
  const { display } = parseQueueUrl(q.url, q.tls);
  const concurrency = opts.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new TuneError(`worker: concurrency must be an integer >= 1. Received: concurrency=${opts.concurrency}`, { code: 'ERR_CNN_TUNE_OPTION' });
  for (const k of ['lockDurationMs', 'stalledIntervalMs', 'timeoutS'] as const) {
    const v = opts[k];
    if (v !== undefined && !(Number.isFinite(v) && v > 0))
      throw new TuneError(`worker: ${k} must be a number > 0. Received: ${k}=${v}`, { code: 'ERR_CNN_TUNE_OPTION' });
  }
  const maxStalledCount = opts.maxStalledCount ?? 3;
  if (!Number.isInteger(maxStalledCount) || maxStalledCount < 0)
    throw new TuneError(`worker: maxStalledCount must be an integer >= 0. Received: maxStalledCount=${opts.maxStalledCount}`, { code: 'ERR_CNN_TUNE_OPTION' });
  const trialDir = path.resolve(opts.trialDir ?? '.');
  if (!existsSync(trialDir) || !lstatSync(realpathSync(trialDir)).isDirectory())
    throw new TuneError(`worker: --trial-dir ${trialDir} is not a folder`, { code: 'ERR_CNN_TUNE_OPTION' });
  const artifactsDir = opts.artifactsDir === undefined ? undefined : path.resolve(opts.artifactsDir);
  if (artifactsDir) await mkdir(artifactsDir, { recursive: true });
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const probe = await probeRedis(q);
  if (probe.persistenceWarning) log(`Warning: ${probe.persistenceWarning}`);
  const scripts = readdirSync(trialDir).filter((f) => EXTENSIONS.some((e) => f.endsWith(e)) && !f.endsWith('.d.ts'));
  log(
    `Worker ${name} on queue '${q.name}' at ${display} (Redis ${probe.version}): concurrency ${concurrency}, trial scripts from ${trialDir} (${scripts.join(', ') || 'none yet'})${artifactsDir ? `, artifacts in ${artifactsDir}` : ''}`,
  );

  const running = new Map<string, { proc: TrialProcess; requeue: boolean }>();
  const processor = async (job: Job, token?: string): Promise<unknown> => {
    let data: JobData;
    try {
      data = parseJobData(job.data);
    } catch (err) {
      log(`Job ${job.id} refused: ${(err as Error).message}`);
      throw new (bullmq().UnrecoverableError)((err as Error).message);
    }
    const id = String(job.id);
    let script: string;
    try {
      script = resolveTrialScript(trialDir, data.trial);
    } catch (err) {
      log(`Job ${id} refused: ${(err as Error).message}`);
      throw err;
    }
    let trialArtifacts: string | undefined;
    if (artifactsDir) {
      trialArtifacts = path.join(artifactsDir, /^[A-Za-z0-9_.-]{1,120}$/.test(id) && !id.includes('..') ? id : createHash('sha1').update(id).digest('hex'));
      await mkdir(trialArtifacts, { recursive: true });
    }
    const message =
      data.kind === 'trial'
        ? { type: 'run', config: data.config, budget: data.budget, trialId: data.trialId, seed: data.seed, rung: data.rung, artifactsDir: trialArtifacts }
        : { type: 'member', name: data.name, seed: data.seed, epochs: data.epochs, artifactsDir: trialArtifacts };
    const limits = [data.timeoutS, opts.timeoutS].filter((x): x is number => x !== undefined);
    log(`Job ${id}: ${describe(data)}`);
    const proc = startTrialProcess(script, message, {
      execArgv: opts.execArgv,
      env: opts.env,
      timeoutS: limits.length ? Math.min(...limits) : undefined,
      onLog: (line) => log(`  [${id}] ${line}`),
      onProgress: (epoch, metrics) => void job.updateProgress({ epoch, ...metrics }).catch((err: Error) => log(`  [${id}] progress not saved: ${err.message}`)),
    });
    const entry = { proc, requeue: false };
    running.set(id, entry);
    const out = await proc.outcome.finally(() => running.delete(id));
    if (entry.requeue) {
      await job.moveToWait(token);
      log(`Job ${id} put back in the queue (worker shutting down)`);
      throw new (bullmq().WaitingError)();
    }
    if (!out.ok) {
      log(`Job ${id} failed after ${out.seconds.toFixed(1)} s: ${out.error}`);
      throw new (bullmq().UnrecoverableError)(out.error);
    }
    log(`Job ${id} done in ${out.seconds.toFixed(1)} s`);
    return { value: out.value, seconds: out.seconds };
  };

  const worker = new (bullmq().Worker)(q.name, processor, {
    connection: bullConnection(q),
    concurrency,
    name,
    maxStalledCount,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
  });
  let lastError = '';
  worker.on('error', (err) => {
    if (err.message !== lastError) log(`Worker ${name}: ${err.message}`);
    lastError = err.message;
  });
  worker.on('ready', () => {
    lastError = '';
  });

  let closing: Promise<'closed' | 'cut'> | undefined;
  const requeueAll = (): void => {
    for (const e of running.values()) {
      e.requeue = true;
      e.proc.kill('SIGTERM');
      setTimeout(() => e.proc.kill('SIGKILL'), 5000).unref();
    }
  };
  const shutdown = async ({ graceS = 20 }: { graceS?: number } = {}): Promise<'closed' | 'cut'> => {
    if (!(Number.isFinite(graceS) && graceS >= 0))
      throw new TuneError(`worker: graceS must be a number >= 0. Received: graceS=${graceS}`, { code: 'ERR_CNN_TUNE_OPTION' });
    if (graceS === 0) requeueAll();
    if (closing) return closing;
    if (running.size) log(`Worker ${name} stopping: ${running.size} running trial(s) get ${graceS} s to finish, then go back to the queue`);
    else log(`Worker ${name} stopping`);
    const timer = graceS > 0 ? setTimeout(requeueAll, graceS * 1000) : undefined;
    // worker.close() waits for Redis (to release locks, end the blocking connection); when Redis is gone it would
    // wait forever, so the connections are cut after a deadline (the jobs' locks then expire and the stalled check
    // of another worker re-queues them).
    const closed = worker.close().finally(() => clearTimeout(timer));
    closing = new Promise<'closed' | 'cut'>((resolve) => {
      let cut: NodeJS.Timeout | undefined;
      const done = (how: 'closed' | 'cut'): void => {
        clearTimeout(cut);
        resolve(how);
      };
      closed.then(
        () => done('closed'),
        (err: Error) => {
          log(`Worker ${name}: ${err.message}`);
          done('closed');
        },
      );
      const cutAfter = (s: number): void => {
        clearTimeout(cut);
        cut = setTimeout(() => {
          log(`Worker ${name}: not closed in time (Redis unreachable?); cutting its connections`);
          requeueAll();
          cutConnections(worker);
          done('cut');
        }, s * 1000);
      };
      // with trials running: their grace time, 5 s for a SIGTERM'd trial before its SIGKILL, then CLOSE_TIMEOUT_S
      cutAfter((running.size ? graceS + 5 : 0) + CLOSE_TIMEOUT_S);
      forceClose = () => cutAfter(CLOSE_TIMEOUT_S);
    });
    return closing;
  };
  let forceClose = (): void => undefined;
  const shutdownOnce = (opts: { graceS?: number } = {}): Promise<'closed' | 'cut'> => {
    if (closing && opts.graceS === 0) forceClose();
    return shutdown(opts);
  };
  return { name, worker, shutdown: shutdownOnce };
}

/**
 * Ends the worker's Redis connections at once (ioredis `disconnect()`: no reconnecting, pending commands fail).
 * `worker.close()` / `worker.disconnect()` both wait for Redis first (a `QUIT`, the connection's set-up), so
 * with Redis gone they never return; this reaches the connections of BullMQ 6's queue backend directly.
 */
function cutConnections(worker: Worker): void {
  type Conn = { _client?: { disconnect?: () => unknown } } | undefined;
  const backend = (worker as unknown as { backend?: { connection?: Conn; blockingConnection?: Conn } }).backend;
  for (const c of [backend?.blockingConnection, backend?.connection]) {
    try {
      c?._client?.disconnect?.();
    } catch {
      // already ended
    }
  }
}

/** Seconds a closing worker waits for Redis (after the grace time) before it cuts its connections. */
export const CLOSE_TIMEOUT_S = 5;

/** Options of {@link runQueueWorker}. */
export interface RunQueueWorkerOptions extends QueueWorkerOptions {
  /**
   * On SIGTERM / SIGINT (Ctrl-C): seconds running trials get to finish before they go back to the queue (a second
   * signal re-queues them at once). Number >= 0. Default `20`.
   */
  graceS?: number;
}

/**
 * Runs a queue worker ({@link startQueueWorker}) until SIGTERM / SIGINT — the `cnn worker` command. The first
 * signal stops taking jobs and gives running trials `graceS` seconds before they go back to the queue; a second
 * one re-queues them at once. If Redis does not answer while closing (it went away), the connections are cut
 * `CLOSE_TIMEOUT_S` (5) seconds after the signal when no trial is running, else after the grace time plus 10 s
 * (5 s for a trial that ignores SIGTERM before its SIGKILL, then 5 s); a second signal: 5 s after it. So the worker
 * exits within 5 s of the signal when idle, and within `graceS + 10` s in any case.
 * @returns when the worker has closed (each of its trials finished, or waiting in the queue for another worker;
 *   with Redis gone, a cut-off trial's job is re-queued by the stalled check once its lock expires): `'closed'`,
 *   or `'cut'` when its connections had to be cut — BullMQ then keeps reconnecting in the background, so the
 *   caller (the `cnn worker` command) ends the process.
 * @throws TuneError (before running) as {@link startQueueWorker}, or when `graceS` is not a number >= 0.
 */
export async function runQueueWorker(opts: RunQueueWorkerOptions): Promise<'closed' | 'cut'> {
  const { graceS = 20, ...rest } = opts;
  if (!(Number.isFinite(graceS) && graceS >= 0)) throw new TuneError(`worker: graceS must be a number >= 0. Received: graceS=${opts.graceS}`);
  const log = opts.log ?? console.log;
  const w: QueueWorker = await startQueueWorker({ ...rest, log });
  let onSignal: (sig: NodeJS.Signals) => void = () => undefined;
  let how: 'closed' | 'cut';
  try {
    how = await new Promise<'closed' | 'cut'>((resolve) => {
      let signals = 0;
      onSignal = (sig) => {
        signals++;
        log(`Worker ${w.name}: ${sig}${signals > 1 ? ' again: re-queueing running trials now' : ''}`);
        w.shutdown({ graceS: signals > 1 ? 0 : graceS }).then(resolve, (err: Error) => {
          log(`Worker ${w.name}: ${err.message}`);
          resolve('cut');
        });
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  log(`Worker ${w.name} closed`);
  return how;
}
