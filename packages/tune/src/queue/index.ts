// The queue: Redis connection, job payloads, the submitting client and the one queue worker (uses trial/).
export {
  parseQueueUrl,
  redactUrl,
  probeRedis,
  queueConnectionOptions,
  bullConnection,
  DEFAULT_QUEUE_NAME,
  type QueueConnection,
  type QueueConnectionOptions,
  type QueueTlsOptions,
  type ParsedQueueUrl,
  type RedisProbe,
} from './connection.js';
export { parseJobData, JOB_PAYLOAD_VERSION, TRIAL_NAME_RE, type JobData, type TrialJobData, type MemberJobData } from './payload.js';
export { QueueClient, KEEP_FINISHED_S, MIN_POLL_MS, type FinishedJob, type JobSpec, type RunJobsOptions } from './client.js';
export { startQueueWorker, runQueueWorker, resolveTrialScript, type QueueWorker, type QueueWorkerOptions, type RunQueueWorkerOptions } from './worker.js';
