import * as path from 'node:path';
import type { QueueConnectionOptions } from '@cnn/tune';
import { parseQueueUrl } from '@cnn/tune';
import { UsageError } from '../errors.js';

/** How a numeric flag is checked by {@link numberFlag}. */
export interface NumberRule {
  /** Only integers. */
  integer?: boolean;
  /** Smallest allowed value. */
  min?: number;
  /** `min` itself is not allowed (a value must be > min). */
  exclusive?: boolean;
}

/**
 * The number a flag's text holds, checked against `rule`, or `undefined` when the flag was not given.
 * @throws UsageError naming the flag and the received text (`--timeout must be a number > 0. Received: -1`).
 */
export function numberFlag(flag: string, text: string | undefined, rule: NumberRule = {}): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  const kind = rule.integer ? 'an integer' : 'a number';
  const bound = rule.min === undefined ? '' : ` ${rule.exclusive ? '>' : '>='} ${rule.min}`;
  const ok =
    text.trim() !== '' &&
    Number.isFinite(n) &&
    (!rule.integer || Number.isInteger(n)) &&
    (rule.min === undefined || (rule.exclusive ? n > rule.min : n >= rule.min));
  if (!ok) throw new UsageError(`${flag} must be ${kind}${bound}. Received: ${text}`);
  return n;
}

/** The queue flags shared by `cnn search` and `cnn worker`. */
export interface QueueFlags {
  queue?: string;
  queueName?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/**
 * The queue of `--queue`, `--queue-name`, `--tls-ca`, `--tls-cert`, `--tls-key` (paths resolved against the
 * current folder), or `undefined` without `--queue`. The password may come from the environment variable
 * `CNN_TUNE_REDIS_PASSWORD` (when the URL has none). The URL is checked here, before anything connects.
 * @throws UsageError naming the flag: TLS / queue-name flags without `--queue`, or a URL that is not a Redis URL
 *   (`--queue redis://h:99999 has port 99999; expected 1-65535`).
 */
export function queueFromFlags(flags: QueueFlags, env: NodeJS.ProcessEnv = process.env): QueueConnectionOptions | undefined {
  const named = { '--queue-name': flags.queueName, '--tls-ca': flags.tlsCa, '--tls-cert': flags.tlsCert, '--tls-key': flags.tlsKey };
  if (flags.queue === undefined) {
    const extra = Object.entries(named).find(([, v]) => v !== undefined);
    if (extra) throw new UsageError(`${extra[0]} needs --queue`);
    return undefined;
  }
  const abs = (p: string | undefined): string | undefined => (p === undefined ? undefined : path.resolve(p));
  const tls = { caFile: abs(flags.tlsCa), certFile: abs(flags.tlsCert), keyFile: abs(flags.tlsKey) };
  const hasTls = Object.values(tls).some((v) => v !== undefined);
  try {
    parseQueueUrl(flags.queue, hasTls ? tls : {});
  } catch (err) {
    throw new UsageError(`--queue ${(err as Error).message.replace(/^queue: /, '')}`, { cause: err });
  }
  const password = env.CNN_TUNE_REDIS_PASSWORD || undefined;
  return {
    url: flags.queue,
    ...(flags.queueName === undefined ? {} : { name: flags.queueName }),
    ...(hasTls ? { tls } : {}),
    ...(password ? { password } : {}),
  };
}

/** The Redis help lines shared by both commands. */
export const QUEUE_HELP = `
The queue is a Redis server (redis://[:password@]host:port[/db], rediss:// for TLS); the password may come from
the environment variable CNN_TUNE_REDIS_PASSWORD instead of the URL.`;
