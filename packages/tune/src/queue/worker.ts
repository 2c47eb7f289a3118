import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type { Job, Worker } from 'bullmq';
import { startTrialProcess, type TrialProcess } from '../search/trial-process';
import { bullConnection, parseQueueUrl, probeRedis, queueConnectionOptions, type QueueConnection } from './connection';
import { parseJobData, TRIAL_NAME_RE, type JobData } from './payload';
import { bullmq } from './peers';

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
   * once. Resolves when the worker is closed.
   */
  shutdown(opts?: { graceS?: number }): Promise<void>;
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
 * Starts a long-running worker on a cnn-tune queue (the `cnn-tune worker` command): it takes search trials
 * and ensemble members submitted by `runSearch({queue})` / `trainEnsemble({queue})` from any machine and runs
 * each in a fresh child process (`startTrialProcess`, as the local runner does): a crashing trial fails
 * its job, not the worker. Job payloads are validated first (`parseJobData`: unknown keys or wrong types
 * fail that job with the reason; other jobs go on), and the script is looked up in the worker's own
 * `trialDir` ({@link resolveTrialScript}). Trials' `ctx.progress(epoch, metrics)` becomes the job's progress.
 *
 * Fault handling is BullMQ's: the worker renews each job's lock while its trial runs; if the worker dies
 * (kill -9, power loss), the lock expires after `lockDurationMs` and any worker's stalled check moves the job
 * back to the queue, where another worker runs it again (at most `maxStalledCount` times).
 *
 * @throws Error before starting when Redis is unreachable / refuses the password (naming the URL, within
 *   the connect timeout), `trialDir` is not a folder, or an option is invalid. Logs a warning when Redis has
 *   no appendonly persistence.
 */
export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const log = opts.log ?? console.log;
  const q = queueConnectionOptions(opts.queue);
  const { display } = parseQueueUrl(q.url, q.tls);
  const concurrency = opts.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`worker: concurrency must be an integer >= 1. Received: concurrency=${opts.concurrency}`);
  for (const k of ['lockDurationMs', 'stalledIntervalMs', 'timeoutS'] as const) {
    const v = opts[k];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new Error(`worker: ${k} must be a number > 0. Received: ${k}=${v}`);
  }
  const maxStalledCount = opts.maxStalledCount ?? 3;
  if (!Number.isInteger(maxStalledCount) || maxStalledCount < 0)
    throw new Error(`worker: maxStalledCount must be an integer >= 0. Received: maxStalledCount=${opts.maxStalledCount}`);
  const trialDir = path.resolve(opts.trialDir ?? '.');
  if (!existsSync(trialDir) || !lstatSync(realpathSync(trialDir)).isDirectory()) throw new Error(`worker: --trial-dir ${trialDir} is not a folder`);
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
    const script = resolveTrialScript(trialDir, data.trial);
    const id = String(job.id);
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

  let closing: Promise<void> | undefined;
  const requeueAll = (): void => {
    for (const e of running.values()) {
      e.requeue = true;
      e.proc.kill('SIGTERM');
      setTimeout(() => e.proc.kill('SIGKILL'), 5000).unref();
    }
  };
  const shutdown = async ({ graceS = 20 }: { graceS?: number } = {}): Promise<void> => {
    if (!(Number.isFinite(graceS) && graceS >= 0)) throw new Error(`worker: graceS must be a number >= 0. Received: graceS=${graceS}`);
    if (graceS === 0) requeueAll();
    if (closing) return closing;
    if (running.size) log(`Worker ${name} stopping: ${running.size} running trial(s) get ${graceS} s to finish, then go back to the queue`);
    else log(`Worker ${name} stopping`);
    const timer = graceS > 0 ? setTimeout(requeueAll, graceS * 1000) : undefined;
    closing = worker.close().finally(() => clearTimeout(timer));
    return closing;
  };
  return { name, worker, shutdown };
}
