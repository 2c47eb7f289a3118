import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { ioredis } from './peers.js';
import { TuneError } from '../errors.js';

/** TLS files for `rediss://` URLs (PEM). */
export interface QueueTlsOptions {
  /** CA certificate(s) that signed the server's certificate (e.g. a self-signed one). Default: Node's CA store. */
  caFile?: string;
  /** Client certificate, for servers that require one (`tls-auth-clients yes`). */
  certFile?: string;
  /** Key of the client certificate. */
  keyFile?: string;
}

/** Where the queue lives: a Redis URL, or the URL with TLS files and a queue name. */
export interface QueueConnectionOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]` or `rediss://…` (TLS). The password may be percent-encoded;
   * it never appears in logs or errors (shown as `***`).
   */
  url: string;
  /**
   * Password used when the URL has none (keeps it out of command lines and `ps`; the CLI reads it from the
   * environment variable `CNN_TUNE_REDIS_PASSWORD`). Default: none.
   */
  password?: string;
  /** BullMQ queue name shared by the search / ensemble and its workers. Default `'cnn-tune'`. */
  name?: string;
  /** TLS files (only with `rediss://`). */
  tls?: QueueTlsOptions;
  /** Give up connecting at start after this many milliseconds. Default `4000` (an error within 5 s). */
  connectTimeoutMs?: number;
}

/** A queue given as a URL string or as {@link QueueConnectionOptions}. */
export type QueueConnection = string | QueueConnectionOptions;

/** A parsed queue URL: ioredis options and the URL with the password masked. */
export interface ParsedQueueUrl {
  /** ioredis options: host, port, username, password, db and, for `rediss://`, `tls`. */
  redis: RedisOptions;
  /** The URL for messages, password replaced by `***`. */
  display: string;
}

/** Default BullMQ queue name of searches, ensembles and workers. */
export const DEFAULT_QUEUE_NAME = 'cnn-tune';

/** The URL with its password (if any) replaced by `***`, for logs and errors. Unparseable input is cut to its scheme. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return String(url).replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:/@]*:)[^@/]*@/, '$1***@');
  }
}

/**
 * Parses a Redis URL into ioredis options (`redis://` plain, `rediss://` TLS):
 * `rediss://user:p%40ss@redis.example.com:6380/2` → `{host: 'redis.example.com', port: 6380, username: 'user',
 * password: 'p@ss', db: 2, tls: {servername: 'redis.example.com'}}`. With `rediss://`, `tls` files are read
 * into `tls.ca` / `tls.cert` / `tls.key`; `servername` (SNI) is set for host names, not IP addresses. The
 * default port is 6379 and the default db 0. `password` is used when the URL has none.
 * @throws TuneError naming the URL (password masked) for another scheme, no host, a port outside 1–65535, a db
 *   path that is not an integer, query parameters, TLS files with `redis://`, or an unreadable TLS file.
 */
export function parseQueueUrl(url: string, tls: QueueTlsOptions = {}, password?: string): ParsedQueueUrl {
  if (typeof url !== 'string' || url === '')
    throw new TuneError(`queue: the URL must be a non-empty string like redis://host:6379. Received: ${JSON.stringify(url)}`, { code: 'ERR_CNN_QUEUE_URL' });
  const display = redactUrl(url);
  // WHATWG URL refuses a port above 65535 as "not a URL": name the port instead.
  const rawPort = /^rediss?:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/i.exec(url)?.[1];
  if (rawPort !== undefined && !(Number(rawPort) >= 1 && Number(rawPort) <= 65535))
    throw new TuneError(`queue: ${display} has port ${rawPort}; expected 1-65535`, { code: 'ERR_CNN_QUEUE_URL' });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TuneError(`queue: ${display} is not a URL; expected redis://[:password@]host[:port][/db] or rediss://… (TLS)`, { code: 'ERR_CNN_QUEUE_URL' });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new TuneError(`queue: ${display} must start with redis:// or rediss:// (TLS). Received scheme: ${u.protocol}`, { code: 'ERR_CNN_QUEUE_URL' });
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new TuneError(`queue: ${display} has no host`, { code: 'ERR_CNN_QUEUE_URL' });
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new TuneError(`queue: ${display} has port ${u.port}; expected 1-65535`, { code: 'ERR_CNN_QUEUE_URL' });
  const dbPath = u.pathname.replace(/^\//, '');
  if (dbPath !== '' && !/^\d+$/.test(dbPath))
    throw new TuneError(`queue: ${display} has path /${dbPath}; the path may only be a database number like /0`, { code: 'ERR_CNN_QUEUE_URL' });
  if (u.search) throw new TuneError(`queue: ${display} has query parameters (${u.search}); none are supported`, { code: 'ERR_CNN_QUEUE_URL' });
  const redis: RedisOptions = { host, port, db: dbPath === '' ? 0 : Number(dbPath) };
  if (u.username) redis.username = decodeURIComponent(u.username);
  if (u.password) redis.password = decodeURIComponent(u.password);
  else if (password) redis.password = password;
  const files = Object.entries(tls).filter(([, v]) => v !== undefined);
  if (u.protocol === 'rediss:') {
    const read = (name: string, file: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new TuneError(`queue: cannot read TLS ${name} ${file}: ${(err as Error).message}`, { code: 'ERR_CNN_QUEUE_URL', cause: err });
      }
    };
    redis.tls = {
      ...(isIP(host) ? {} : { servername: host }),
      ...(tls.caFile ? { ca: read('caFile', tls.caFile) } : {}),
      ...(tls.certFile ? { cert: read('certFile', tls.certFile) } : {}),
      ...(tls.keyFile ? { key: read('keyFile', tls.keyFile) } : {}),
    };
  } else if (files.length) {
    throw new TuneError(`queue: TLS files (${files.map(([k]) => k).join(', ')}) given for ${display}; use a rediss:// URL for TLS`, {
      code: 'ERR_CNN_QUEUE_URL',
    });
  }
  return { redis, display };
}

/** Normalises a {@link QueueConnection} into options with defaults filled in. */
export function queueConnectionOptions(
  q: QueueConnection,
): Required<Pick<QueueConnectionOptions, 'url' | 'name' | 'connectTimeoutMs'>> & { tls: QueueTlsOptions; password?: string } {
  const o: QueueConnectionOptions = typeof q === 'string' ? { url: q } : q;
  if (!o || typeof o !== 'object' || typeof o.url !== 'string')
    throw new TuneError(`queue: expected a redis:// URL or {url, name?, tls?}. Received: ${JSON.stringify(q)}`, { code: 'ERR_CNN_QUEUE_URL' });
  const name = o.name ?? DEFAULT_QUEUE_NAME;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(name))
    throw new TuneError(`queue: name must be letters, digits, '_', '.' or '-' (no ':'). Received: name=${JSON.stringify(name)}`, { code: 'ERR_CNN_QUEUE_URL' });
  const connectTimeoutMs = o.connectTimeoutMs ?? 4000;
  if (!(Number.isFinite(connectTimeoutMs) && connectTimeoutMs > 0))
    throw new TuneError(`queue: connectTimeoutMs must be > 0. Received: connectTimeoutMs=${o.connectTimeoutMs}`, { code: 'ERR_CNN_TUNE_OPTION' });
  if (o.password !== undefined && typeof o.password !== 'string') throw new TuneError('queue: password must be a string', { code: 'ERR_CNN_QUEUE_URL' });
  return { url: o.url, name, connectTimeoutMs, tls: o.tls ?? {}, ...(o.password ? { password: o.password } : {}) };
}

/** What {@link probeRedis} found. */
export interface RedisProbe {
  /** `redis_version` from `INFO server` (e.g. `7.0.15`), or `unknown`. */
  version: string;
  /** A warning about persistence (no `appendonly`), or `undefined` when the queue survives a restart or `CONFIG` is not allowed. */
  persistenceWarning: string | undefined;
}

/**
 * Connects once to the queue's Redis, checks the password with `PING`, reads the server version and its
 * persistence settings, and disconnects. Called by searches, ensembles and workers before they start, so
 * a wrong URL fails fast instead of retrying forever.
 *
 * Persistence: with `appendonly no` a Redis restart loses jobs written since the last RDB snapshot (or all
 * of them without `save` points); the warning says so. (Searches re-submit trials whose jobs vanished, so
 * nothing recorded is lost, but running trials start again.)
 * @throws TuneError naming the URL (password masked) within `connectTimeoutMs` (default 4 s) when Redis is
 *   unreachable or silent, refuses the password (`WRONGPASS`), needs one (`NOAUTH`), or the URL is invalid.
 */
export async function probeRedis(q: QueueConnection): Promise<RedisProbe> {
  const o = queueConnectionOptions(q);
  const { redis, display } = parseQueueUrl(o.url, o.tls, o.password);
  const client = new (ioredis().Redis)({
    ...redis,
    lazyConnect: true,
    connectTimeout: o.connectTimeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
  });
  let lastError: Error | undefined; // ioredis reports the cause (WRONGPASS, ECONNREFUSED, TLS) here, then rejects with "Connection is closed"
  client.on('error', (err: Error) => {
    lastError = err;
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TuneError(`no answer within ${o.connectTimeoutMs} ms`, { code: 'ERR_CNN_QUEUE_UNREACHABLE' })), o.connectTimeoutMs);
  });
  try {
    const work = (async (): Promise<RedisProbe> => {
      await client.connect();
      await client.ping();
      const info = await client.info('server').catch(() => '');
      const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
      let persistenceWarning: string | undefined;
      try {
        const aof = (await client.config('GET', 'appendonly')) as string[];
        const save = (await client.config('GET', 'save')) as string[];
        if (aof[1] !== 'yes') {
          persistenceWarning = save[1]
            ? `Redis at ${display} has appendonly no (RDB snapshots only, save "${save[1]}"): a restart loses the jobs since the last snapshot; set appendonly yes`
            : `Redis at ${display} has no persistence (appendonly no, no save points): a restart loses every queued job; set appendonly yes`;
        }
      } catch {
        // CONFIG is often disabled on managed Redis: nothing to check
      }
      return { version, persistenceWarning };
    })();
    return await Promise.race([work, timeout]);
  } catch (e) {
    const err = lastError && /Connection is closed/.test((e as Error)?.message) ? lastError : e;
    const msg = (err as Error).message ?? String(err);
    if (/WRONGPASS|invalid password|invalid username-password/i.test(msg))
      throw new TuneError(`queue: Redis at ${display} refused the user name / password (${msg.trim()})`, { code: 'ERR_CNN_QUEUE_UNREACHABLE', cause: err });
    if (/NOAUTH/i.test(msg))
      throw new TuneError(`queue: Redis at ${display} needs a password: use redis://:PASSWORD@host:port or set CNN_TUNE_REDIS_PASSWORD (${msg.trim()})`, {
        code: 'ERR_CNN_QUEUE_UNREACHABLE',
        cause: err,
      });
    throw new TuneError(`queue: cannot reach Redis at ${display}: ${msg}`, { code: 'ERR_CNN_QUEUE_UNREACHABLE', cause: err });
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/**
 * ioredis options for BullMQ's own connections to the queue (it duplicates them per Queue / Worker): the
 * parsed URL, a connect timeout and `maxRetriesPerRequest` — `null` for workers (commands wait through a
 * Redis restart instead of failing, as BullMQ requires), `retries` for the submitting side (default `null`),
 * whose polling then sees an outage as errors, logs it and retries.
 */
export function bullConnection(q: QueueConnection, retries: number | null = null): BullRedisOptions {
  const o = queueConnectionOptions(q);
  return { ...parseQueueUrl(o.url, o.tls, o.password).redis, maxRetriesPerRequest: retries, connectTimeout: o.connectTimeoutMs } as BullRedisOptions;
}
