// Test helper (not exported): a private redis-server on a free loopback port in a temporary folder, never
// the system service. Needs the redis-server binary (Debian: apt-get install redis-server; scripts/setup.sh).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** Options of {@link startTestRedis}. */
export interface TestRedisOptions {
  /** `requirepass`. Default: none. */
  password?: string;
  /** `appendonly yes` with `appendfsync always` (survives restarts). Default `true`. */
  appendonly?: boolean;
  /** RDB `save` points (e.g. `'3600 1'`). Default `''` (none). */
  save?: string;
  /** Serve TLS only (`tls-port`) with these PEM files; no plain port. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

/** A running test Redis. */
export interface TestRedis {
  port: number;
  /** Its folder (data, log). */
  dir: string;
  /** `redis://` (or `rediss://`) URL with the password, if any. */
  url: string;
  /** Stops it (SIGTERM: it writes its AOF) and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Servers still running; killed when the test process exits, even if its cleanup never ran. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** A free TCP port on 127.0.0.1 (bound and released; a tiny race with other processes is accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Throws a clear error when redis-server is not installed. */
export function requireRedisServer(): void {
  if (spawnSync('redis-server', ['--version']).error)
    throw new Error('redis-server not found: install it (apt-get install -y redis-server, or bash scripts/setup.sh)');
}

/** Starts a private redis-server bound to 127.0.0.1 in a fresh temporary folder; resolves when it accepts connections. */
export async function startTestRedis(opts: TestRedisOptions = {}): Promise<TestRedis> {
  requireRedisServer();
  const dir = mkdtempSync(path.join(tmpdir(), 'cnn-tune-redis-'));
  const port = await freePort();
  const args = [
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--logfile',
    'redis.log',
    '--daemonize',
    'no',
    '--save',
    opts.save ?? '',
    '--appendonly',
    opts.appendonly === false ? 'no' : 'yes',
    '--appendfsync',
    'always',
    '--protected-mode',
    'yes',
    ...(opts.password ? ['--requirepass', opts.password] : []),
    ...(opts.tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          opts.tls.certFile,
          '--tls-key-file',
          opts.tls.keyFile,
          '--tls-ca-cert-file',
          opts.tls.caFile,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(port)]),
  ];
  let proc: ChildProcess | undefined;
  const log = path.join(dir, 'redis.log');
  const start = async (): Promise<void> => {
    const before = existsSync(log) ? readFileSync(log, 'utf8').length : 0;
    const p = spawn('redis-server', args, { cwd: dir, stdio: 'ignore' });
    proc = p;
    live.add(p);
    p.once('exit', () => live.delete(p));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const text = existsSync(log) ? readFileSync(log, 'utf8').slice(before) : '';
      if (/Ready to accept connections/.test(text)) return;
      if (p.exitCode !== null || Date.now() > deadline) {
        p.kill('SIGKILL');
        throw new Error(`test redis-server on port ${port} did not start: ${text.slice(-500)}`);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  };
  await start();
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  return {
    port,
    dir,
    url: `${opts.tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}`,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
