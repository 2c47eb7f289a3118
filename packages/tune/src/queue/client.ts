import type { Job, Queue } from 'bullmq';
import { bullmq } from './peers.js';
import { bullConnection, parseQueueUrl, probeRedis, queueConnectionOptions, type QueueConnection } from './connection.js';
import type { JobData } from './payload.js';

/** A job that ended, as the submitting side sees it. */
export interface FinishedJob {
  /** The job id. */
  id: string;
  /** `true` when it completed (then `value` is the worker's return value), `false` when it failed (`error`). */
  ok: boolean;
  /** The worker's return value of a completed job. */
  value?: unknown;
  /** Reason of a failed job (e.g. the trial's error, an invalid payload, a missing trial script). */
  error?: string;
  /** Name of the worker that ran it last (BullMQ's `processedBy`). */
  worker?: string;
}

/** One job to run: its id (submitting the same id twice is harmless) and data. */
export interface JobSpec {
  id: string;
  data: JobData;
}

/** Options of {@link QueueClient.runJobs}. */
export interface RunJobsOptions {
  /** Called once per job when it completes or fails; the job is removed from Redis after it returns. */
  onFinished: (job: FinishedJob) => Promise<void> | void;
  /** Called when a running job reports new progress (`{epoch, ...metrics}`), with the worker's name. */
  onProgress?: (id: string, progress: Record<string, unknown>, worker: string | undefined) => void;
  /** Milliseconds between status polls. Default `500`. */
  pollMs?: number;
}

/** Smallest `pollMs` of searches and ensembles on a queue: each poll reads the state of every pending job, so 0 would hammer Redis. */
export const MIN_POLL_MS = 50;

/** How long finished jobs stay in Redis when nobody collects them (the submitter removes collected ones): 7 days. */
export const KEEP_FINISHED_S = 7 * 24 * 3600;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The submitting side of a cnn-tune queue (searches and ensembles): a BullMQ `Queue` that adds jobs with
 * fixed ids and polls their state until each has completed or failed. Polling (instead of queue events)
 * rides out Redis restarts: while Redis is away the client logs once and keeps trying, and a job that
 * vanished (Redis restarted without persistence) is submitted again.
 */
export class QueueClient {
  /** The BullMQ queue. */
  readonly queue: Queue;
  /** The queue's URL with the password masked. */
  readonly display: string;

  private constructor(
    queue: Queue,
    display: string,
    private readonly log: (line: string) => void,
  ) {
    this.queue = queue;
    this.display = display;
  }

  /**
   * Checks the connection ({@link probeRedis}: fails within the connect timeout naming the URL), logs a
   * persistence warning when Redis has no `appendonly`, and opens the queue.
   * @throws TuneError naming the URL when Redis is unreachable, refuses the password or the URL is invalid.
   */
  static async open(q: QueueConnection, log: (line: string) => void): Promise<QueueClient> {
    const o = queueConnectionOptions(q);
    const { display } = parseQueueUrl(o.url, o.tls);
    const probe = await probeRedis(o);
    if (probe.persistenceWarning) log(`Warning: ${probe.persistenceWarning}`);
    const queue = new (bullmq().Queue)(o.name, { connection: bullConnection(o, 2) });
    queue.on('error', () => undefined); // connection errors surface in runJobs' polling
    log(`Queue '${o.name}' on ${display} (Redis ${probe.version})`);
    return new QueueClient(queue, display, log);
  }

  /**
   * Submits `jobs` (a job whose id exists already — running, waiting or finished — is left as it is) and
   * waits until every one has completed or failed, calling `onFinished` once per job and then removing it.
   * Never gives up while Redis is unreachable (stop it with Ctrl-C; running it again continues).
   */
  async runJobs(jobs: JobSpec[], opts: RunJobsOptions): Promise<void> {
    const pollMs = opts.pollMs ?? 500;
    const pending = new Map(jobs.map((j) => [j.id, j]));
    const lastProgress = new Map<string, string>();
    let outage: string | undefined;
    const attempt = async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        const r = await fn();
        if (outage) this.log(`Redis at ${this.display} is back`);
        outage = undefined;
        return r;
      } catch (err) {
        const msg = (err as Error).message;
        if (!outage) this.log(`Redis at ${this.display} unreachable (${msg}); retrying`);
        outage = msg;
        return undefined;
      }
    };
    const add = (list: JobSpec[]): Promise<Job[]> =>
      this.queue.addBulk(
        list.map((j) => ({
          name: j.data.kind,
          data: j.data,
          opts: { jobId: j.id, attempts: 1, removeOnComplete: { age: KEEP_FINISHED_S }, removeOnFail: { age: KEEP_FINISHED_S } },
        })),
      );
    while ((await attempt(() => add([...pending.values()]))) === undefined) await sleep(pollMs);
    while (pending.size) {
      for (const spec of [...pending.values()]) {
        const step = await attempt(async (): Promise<{ fin: FinishedJob; job: Job } | undefined> => {
          // state first: a job read before its state changed would miss its result
          const state = await this.queue.getJobState(spec.id);
          const job = state === 'unknown' ? undefined : await this.queue.getJob(spec.id);
          if (!job) {
            this.log(`Job ${spec.id} vanished from Redis (restarted without persistence?); submitting it again`);
            await add([spec]);
            return undefined;
          }
          if (state === 'completed') return { job, fin: { id: spec.id, ok: true, value: job.returnvalue, worker: job.processedBy } };
          if (state === 'failed')
            return { job, fin: { id: spec.id, ok: false, error: job.failedReason || 'failed without a reason', worker: job.processedBy } };
          const p = job.progress;
          if (p && typeof p === 'object' && opts.onProgress) {
            const key = JSON.stringify(p);
            if (lastProgress.get(spec.id) !== key) {
              lastProgress.set(spec.id, key);
              opts.onProgress(spec.id, p as Record<string, unknown>, job.processedBy);
            }
          }
          return undefined;
        });
        if (step) {
          await opts.onFinished(step.fin); // its errors (e.g. writing results) are the caller's, not Redis'
          pending.delete(spec.id);
          await step.job.remove().catch(() => undefined); // else kept for KEEP_FINISHED_S
        }
      }
      if (pending.size) await sleep(pollMs);
    }
  }

  /** Closes the queue's connections. */
  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }
}
