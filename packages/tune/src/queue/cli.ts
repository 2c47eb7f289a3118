import { parseArgs } from 'node:util';
import { queueFromArgs } from '../search/cli';
import { startQueueWorker, type QueueWorker, type QueueWorkerOptions } from './worker';

/** Usage text of {@link runWorkerCli}. */
export const WORKER_USAGE = `Usage: worker --queue <url> [options]
  --queue <url>            Redis of the queue: redis://[:password@]host:port[/db], rediss:// for TLS
  --trial-dir <dir>        folder of the trial scripts jobs may name (default: current folder)
  --concurrency <n>        trials at once, each in its own process (default 1)
  --artifacts <dir>        per-trial folders for epoch checkpoints; on shared storage a trial re-run
                           after its worker died resumes from its last checkpoint
  --name <name>            worker name stored on its jobs (default host:pid)
  --queue-name <name>      queue name (default cnn-tune)
  --timeout <s>            kill a trial after this many seconds
  --grace <s>              on SIGTERM / Ctrl-C: seconds running trials get to finish before they go
                           back to the queue (default 20; a second signal re-queues at once)
  --lock-duration <ms>     a job whose worker is gone is re-run after about this long (default 30000)
  --stalled-interval <ms>  checks for such jobs (default 30000)   --max-stalled <n> (default 3)
  --tls-ca <file>          CA certificate for rediss://   --tls-cert <file> --tls-key <file>
  (the Redis password may come from the environment variable CNN_TUNE_REDIS_PASSWORD instead of the URL)`;

/** Parsed `cnn-tune worker` flags. */
export interface WorkerCliOptions extends QueueWorkerOptions {
  /** `--grace`: seconds running trials get after SIGTERM / SIGINT. */
  graceS: number;
}

function num(name: string, v: string | undefined, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw new Error(`worker: --${name} must be ${integer ? 'an integer' : 'a number'}. Received: ${v}`);
  return n;
}

/**
 * Parses the worker CLI flags ({@link WORKER_USAGE}).
 * @throws Error naming the flag when `--queue` is missing or a value is invalid.
 */
export function parseWorkerArgs(argv: string[]): WorkerCliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      queue: { type: 'string' },
      'trial-dir': { type: 'string' },
      concurrency: { type: 'string' },
      artifacts: { type: 'string' },
      name: { type: 'string' },
      'queue-name': { type: 'string' },
      timeout: { type: 'string' },
      grace: { type: 'string' },
      'lock-duration': { type: 'string' },
      'stalled-interval': { type: 'string' },
      'max-stalled': { type: 'string' },
      'tls-ca': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
    },
    strict: true,
  });
  const queue = queueFromArgs(values, 'worker');
  if (!queue) throw new Error(`worker: --queue is required\n${WORKER_USAGE}`);
  const graceS = num('grace', values.grace, false) ?? 20;
  if (graceS < 0) throw new Error(`worker: --grace must be >= 0. Received: ${values.grace}`);
  return {
    queue,
    trialDir: values['trial-dir'],
    concurrency: num('concurrency', values.concurrency, true),
    artifactsDir: values.artifacts,
    name: values.name,
    timeoutS: num('timeout', values.timeout, false),
    lockDurationMs: num('lock-duration', values['lock-duration'], true),
    stalledIntervalMs: num('stalled-interval', values['stalled-interval'], true),
    maxStalledCount: num('max-stalled', values['max-stalled'], true),
    graceS,
  };
}

/**
 * Runs `cnn-tune worker` until SIGTERM / SIGINT: the first signal stops taking jobs and gives running trials
 * `--grace` seconds before they go back to the queue; a second one re-queues them at once. Resolves when the
 * worker has closed (no trial lost: each has finished or is waiting in the queue for another worker).
 * @throws Error (before running) as {@link parseWorkerArgs} and `startQueueWorker`.
 */
export async function runWorkerCli(argv: string[], log: (line: string) => void = console.log): Promise<void> {
  const { graceS, ...opts } = parseWorkerArgs(argv);
  const w: QueueWorker = await startQueueWorker({ ...opts, log });
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++;
      log(`Worker ${w.name}: ${sig}${signals > 1 ? ' again: re-queueing running trials now' : ''}`);
      w.shutdown({ graceS: signals > 1 ? 0 : graceS }).then(resolve, (err: Error) => {
        log(`Worker ${w.name}: ${err.message}`);
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  log(`Worker ${w.name} closed`);
}
