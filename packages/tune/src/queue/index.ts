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
} from './connection';
export { parseJobData, JOB_PAYLOAD_VERSION, TRIAL_NAME_RE, type JobData, type TrialJobData, type MemberJobData } from './payload';
export { QueueClient, KEEP_FINISHED_S, type FinishedJob, type JobSpec, type RunJobsOptions } from './client';
export { startQueueWorker, resolveTrialScript, type QueueWorker, type QueueWorkerOptions } from './worker';
export { parseWorkerArgs, runWorkerCli, WORKER_USAGE, type WorkerCliOptions } from './cli';
