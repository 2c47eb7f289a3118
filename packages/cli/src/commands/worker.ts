import * as path from 'node:path';
import { runQueueWorker, type RunQueueWorkerOptions } from '@cnn/tune';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { RegisterCommand } from '../program.js';
import { numberFlag, QUEUE_HELP, queueFromFlags, type QueueFlags } from './flags.js';

/** The flags of `cnn worker` as commander parses them. */
export interface WorkerFlags extends QueueFlags {
  trialDir?: string;
  concurrency?: string;
  artifacts?: string;
  name?: string;
  timeout?: string;
  grace?: string;
  lockDuration?: string;
  stalledInterval?: string;
  maxStalled?: string;
}

/**
 * `cnn worker` flags → `runQueueWorker` options (`@cnn/tune`), every value checked before it connects: `--queue`
 * required and a Redis URL, `--concurrency` integer >= 1, `--timeout` > 0 s, `--grace` >= 0 s, `--lock-duration` /
 * `--stalled-interval` integers >= 100 ms, `--max-stalled` integer >= 0. Folders are resolved against the current one.
 * @throws UsageError naming the flag and the received value.
 */
export function workerOptionsFromFlags(flags: WorkerFlags, env: NodeJS.ProcessEnv = process.env): RunQueueWorkerOptions {
  const queue = queueFromFlags(flags, env);
  if (!queue) throw new UsageError('--queue is required (the Redis of the queue, e.g. redis://host:6379)');
  const opts: RunQueueWorkerOptions = {
    queue,
    trialDir: path.resolve(flags.trialDir ?? '.'),
    concurrency: numberFlag('--concurrency', flags.concurrency, { integer: true, min: 1 }),
    artifactsDir: flags.artifacts === undefined ? undefined : path.resolve(flags.artifacts),
    name: flags.name,
    timeoutS: numberFlag('--timeout', flags.timeout, { min: 0, exclusive: true }),
    graceS: numberFlag('--grace', flags.grace, { min: 0 }),
    lockDurationMs: numberFlag('--lock-duration', flags.lockDuration, { integer: true, min: 100 }),
    stalledIntervalMs: numberFlag('--stalled-interval', flags.stalledInterval, { integer: true, min: 100 }),
    maxStalledCount: numberFlag('--max-stalled', flags.maxStalled, { integer: true, min: 0 }),
  };
  for (const k of Object.keys(opts) as (keyof RunQueueWorkerOptions)[]) if (opts[k] === undefined) delete opts[k];
  return opts;
}

/**
 * `cnn worker`: takes search trials and ensemble members from a queue (Redis + BullMQ) and runs each in a child
 * process, until SIGTERM / Ctrl-C (`@cnn/tune`'s `runQueueWorker`); exits within `--grace` + 10 s (5 s when idle) even when Redis
 * is gone.
 */
export const registerWorker: RegisterCommand = (program: Command) => {
  program
    .command('worker')
    .summary('run trials and ensemble members from a Redis queue (for cnn search --queue)')
    .description(
      'Takes jobs from the queue and runs each in its own process with a trial script from --trial-dir (jobs name a ' +
        'script, never a path). SIGTERM / Ctrl-C: running trials get --grace seconds, then go back to the queue; a ' +
        'second signal re-queues them at once. A job whose worker died or froze is re-run by another worker within ' +
        `--lock-duration + 2 × --stalled-interval (about 90 s with the defaults).${QUEUE_HELP}`,
    )
    .option('--queue <url>', 'Redis of the queue (required)')
    .option('--trial-dir <dir>', 'folder of the trial scripts jobs may name (default: current folder)')
    .option('--concurrency <n>', 'trials at once, each in its own process (default 1)')
    .option('--artifacts <dir>', 'per-trial checkpoint folders; on shared storage a re-run trial resumes')
    .option('--name <name>', 'worker name stored on its jobs (default host:pid)')
    .option('--queue-name <name>', 'queue name (default cnn-tune)')
    .option('--timeout <s>', 'kill a trial after this many seconds (> 0)')
    .option('--grace <s>', 'on SIGTERM / Ctrl-C: seconds running trials get before they go back to the queue (default 20)')
    .option('--lock-duration <ms>', 'a job whose worker stopped renewing its lock this long is stalled (default 30000)')
    .option('--stalled-interval <ms>', 'checks for stalled jobs (default 30000)')
    .option('--max-stalled <n>', 'times a job may be recovered from a stalled state before it fails (default 3)')
    .option('--tls-ca <file>', 'CA certificate for rediss://')
    .option('--tls-cert <file>', 'client certificate for rediss://')
    .option('--tls-key <file>', 'key of the client certificate')
    .action(async (flags: WorkerFlags) => {
      const how = await runQueueWorker(workerOptionsFromFlags(flags));
      // Connections cut because Redis did not answer: BullMQ keeps reconnecting in the background, so end here.
      if (how === 'cut') process.exit(0);
    });
};
