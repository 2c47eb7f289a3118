import type { TrialConfig } from '../trial/space.js';
import { TuneError } from '../errors.js';

/** Version of the job payloads below (a worker refuses other versions). */
export const JOB_PAYLOAD_VERSION = 1;

/**
 * A search trial as a BullMQ job's data. It carries a configuration only: `trial` names a script that each
 * worker looks up in its own `--trial-dir` (never a path or code).
 */
export interface TrialJobData {
  /** {@link JOB_PAYLOAD_VERSION}. */
  v: 1;
  kind: 'trial';
  /** Name of the trial script in the worker's trial folder, without extension (e.g. `mnist-trial`). */
  trial: string;
  /** The trial's id (`trialId(config, budget)`). */
  trialId: string;
  /** Hyperparameters (numbers, strings, booleans). */
  config: TrialConfig;
  /** Epochs to train. */
  budget: number;
  /** Successive-halving rung (0 for grid / random). */
  rung: number;
  /** Seed of the trial. */
  seed: number;
  /** Kill the trial after this many seconds. */
  timeoutS?: number;
}

/** An ensemble member as a BullMQ job's data (see `trainEnsemble({queue})`). */
export interface MemberJobData {
  v: 1;
  kind: 'member';
  /** Name of the member script (calls `serveEnsembleMember`) in the worker's trial folder. */
  trial: string;
  /** Member name (one of the script's members). */
  name: string;
  /** Seed of the member. */
  seed: number;
  /** Epochs to train. */
  epochs: number;
  /** Kill the member's training after this many seconds. */
  timeoutS?: number;
}

/** Data of a job on a cnn-tune queue. */
export type JobData = TrialJobData | MemberJobData;

/** Names of trial scripts: letters, digits, `_`, `.`, `-`; no path separators, no `..`, at most 100 characters. */
export const TRIAL_NAME_RE = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

const KEYS = {
  trial: ['v', 'kind', 'trial', 'trialId', 'config', 'budget', 'rung', 'seed', 'timeoutS'],
  member: ['v', 'kind', 'trial', 'name', 'seed', 'epochs', 'timeoutS'],
} as const;
const OPTIONAL = new Set(['timeoutS']);

const show = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v) : (JSON.stringify(v) ?? String(v)).slice(0, 80);

function int(data: Record<string, unknown>, key: string, min: number): number {
  const v = data[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > Number.MAX_SAFE_INTEGER)
    throw new TuneError(`job payload: ${key} must be an integer >= ${min}. Received: ${key}=${show(v)}`, { code: 'ERR_CNN_JOB_PAYLOAD' });
  return v;
}

/**
 * Validates a job's data before a worker acts on it: exactly the keys of {@link TrialJobData} or
 * {@link MemberJobData} (`timeoutS` optional), each of its type; `trial` must be a bare script name
 * ({@link TRIAL_NAME_RE}); config keys are identifiers, values finite numbers, strings (≤ 1000 chars) or
 * booleans (at most 100 of them).
 * @returns the data, typed.
 * @throws TuneError naming the first bad field and what was expected ("job payload: unknown key 'script'…").
 */
export function parseJobData(data: unknown): JobData {
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new TuneError(`job payload: must be an object. Received: ${show(data)}`, { code: 'ERR_CNN_JOB_PAYLOAD' });
  const d = data as Record<string, unknown>;
  if (d.v !== JOB_PAYLOAD_VERSION)
    throw new TuneError(`job payload: v must be ${JOB_PAYLOAD_VERSION}. Received: v=${show(d.v)}`, { code: 'ERR_CNN_JOB_PAYLOAD' });
  if (d.kind !== 'trial' && d.kind !== 'member')
    throw new TuneError(`job payload: kind must be 'trial' or 'member'. Received: kind=${show(d.kind)}`, { code: 'ERR_CNN_JOB_PAYLOAD' });
  const allowed: readonly string[] = KEYS[d.kind];
  const unknown = Object.keys(d).filter((k) => !allowed.includes(k));
  if (unknown.length)
    throw new TuneError(
      `job payload: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k.slice(0, 40)}'`).join(', ')} (a ${d.kind} job has ${allowed.join(', ')})`,
      { code: 'ERR_CNN_JOB_PAYLOAD' },
    );
  const missing = allowed.filter((k) => !OPTIONAL.has(k) && !(k in d));
  if (missing.length) throw new TuneError(`job payload: missing ${missing.join(', ')}`, { code: 'ERR_CNN_JOB_PAYLOAD' });
  if (typeof d.trial !== 'string' || !TRIAL_NAME_RE.test(d.trial))
    throw new TuneError(`job payload: trial must be a script name (letters, digits, '_', '.', '-'; no '/' or '..'). Received: trial=${show(d.trial)}`, {
      code: 'ERR_CNN_JOB_PAYLOAD',
    });
  if (d.timeoutS !== undefined && !(typeof d.timeoutS === 'number' && Number.isFinite(d.timeoutS) && d.timeoutS > 0))
    throw new TuneError(`job payload: timeoutS must be a number > 0. Received: timeoutS=${show(d.timeoutS)}`, { code: 'ERR_CNN_JOB_PAYLOAD' });
  int(d, 'seed', 0);
  if (d.kind === 'member') {
    if (typeof d.name !== 'string' || d.name.length === 0 || d.name.length > 200)
      throw new TuneError(`job payload: name must be a non-empty string (≤ 200 chars). Received: name=${show(d.name)}`, { code: 'ERR_CNN_JOB_PAYLOAD' });
    int(d, 'epochs', 1);
    return d as unknown as MemberJobData;
  }
  if (typeof d.trialId !== 'string' || !/^[0-9a-f]{12}$/.test(d.trialId))
    throw new TuneError(`job payload: trialId must be 12 hex digits. Received: trialId=${show(d.trialId)}`, { code: 'ERR_CNN_JOB_PAYLOAD' });
  int(d, 'budget', 1);
  int(d, 'rung', 0);
  const c = d.config;
  if (!c || typeof c !== 'object' || Array.isArray(c))
    throw new TuneError(`job payload: config must be an object of hyperparameters. Received: config=${show(c)}`, { code: 'ERR_CNN_JOB_PAYLOAD' });
  const entries = Object.entries(c as Record<string, unknown>);
  if (entries.length > 100) throw new TuneError(`job payload: config has ${entries.length} keys; at most 100`, { code: 'ERR_CNN_JOB_PAYLOAD' });
  for (const [k, v] of entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/.test(k))
      throw new TuneError(`job payload: config key ${show(k)} must be an identifier`, { code: 'ERR_CNN_JOB_PAYLOAD' });
    const ok = (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 1000);
    if (!ok)
      throw new TuneError(`job payload: config.${k} must be a finite number, a string (≤ 1000 chars) or a boolean. Received: config.${k}=${show(v)}`, {
        code: 'ERR_CNN_JOB_PAYLOAD',
      });
  }
  return d as unknown as TrialJobData;
}
