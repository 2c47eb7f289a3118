import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { readResults } from '../trial/results.js';
import { runSearch } from '../search/runner.js';
import { QueueClient, type FinishedJob } from './client.js';
import { bullConnection, parseQueueUrl, probeRedis, redactUrl } from './connection.js';
import { parseJobData } from './payload.js';
import { startTestRedis, type TestRedis } from '../testing/test-redis.js';
import { startQueueWorker, type QueueWorker } from './worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..', '..');
const trialDir = path.join(here, '__fixtures__', 'trials');
const tmp = mkdtempSync(path.join(tmpdir(), 'cnn-tune-queue-'));
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(tmp, { recursive: true, force: true });
});
const quiet = (): void => undefined;
const children = new Set<ChildProcess>(); // killed on exit even if afterAll never runs (no orphan workers)
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SPACE = { lr: [1e-3, 1e-2, 1e-1], batchSize: [32, 128] };
/** Short BullMQ timings: a dead worker's job is back in the queue within about 2 s. */
const FAST = { lockDurationMs: 1500, stalledIntervalMs: 500 };

async function redis(opts: Parameters<typeof startTestRedis>[0] = {}): Promise<TestRedis> {
  const r = await startTestRedis(opts);
  cleanups.push(() => r.dispose());
  return r;
}

async function worker(url: string, opts: Partial<Parameters<typeof startQueueWorker>[0]> = {}): Promise<QueueWorker> {
  const w = await startQueueWorker({ queue: url, trialDir, log: quiet, ...FAST, ...opts });
  cleanups.push(() => w.shutdown({ graceS: 0 }));
  return w;
}

/**
 * `search` or `worker` (what `cnn search` / `cnn worker` run) in its own process (src/testing/driver.ts through tsx),
 * its output collected.
 */
function cli(
  cmd: 'search' | 'worker',
  opts: object,
  env: Record<string, string> = {},
): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/testing/driver.ts', cmd, JSON.stringify(opts)], {
    cwd: pkg,
    env: { ...process.env, OMP_NUM_THREADS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  children.add(proc);
  const exited = new Promise<number | null>((resolve) =>
    proc.once('exit', (code) => {
      children.delete(proc);
      resolve(code);
    }),
  );
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  return { proc, out: () => out, exited };
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const runsLog = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

describe('queue URLs and payloads', () => {
  it('parses redis:// and rediss:// URLs into ioredis options; masks passwords', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6390').redis).toEqual({ host: '127.0.0.1', port: 6390, db: 0 });
    expect(parseQueueUrl('redis://redis.lan').redis).toEqual({ host: 'redis.lan', port: 6379, db: 0 });
    const p = parseQueueUrl('redis://alice:p%40ss%3Aword@10.0.0.5:7000/3');
    expect(p.redis).toEqual({ host: '10.0.0.5', port: 7000, db: 3, username: 'alice', password: 'p@ss:word' });
    expect(p.display).toBe('redis://alice:***@10.0.0.5:7000/3');
    const ca = path.join(tmp, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nxyz\n-----END CERTIFICATE-----\n');
    const t = parseQueueUrl('rediss://:secret@redis.example.com:6380', { caFile: ca });
    expect(t.redis).toMatchObject({ host: 'redis.example.com', port: 6380, password: 'secret', tls: { servername: 'redis.example.com' } });
    expect(String((t.redis.tls as { ca: Buffer }).ca)).toContain('xyz');
    expect(parseQueueUrl('rediss://127.0.0.1:6380').redis.tls).toEqual({}); // no SNI for an IP address
    expect(bullConnection('redis://:pw@h:1')).toMatchObject({ host: 'h', port: 1, password: 'pw', maxRetriesPerRequest: null });
    expect(redactUrl('redis://:hunter2@h:1')).toBe('redis://:***@h:1');
    expect(() => parseQueueUrl('http://h:1')).toThrow('queue: http://h:1 must start with redis:// or rediss:// (TLS). Received scheme: http:');
    expect(() => parseQueueUrl('redis://:hunter2@h:99999')).toThrow(
      'queue: redis://:***@h:99999 has port 99999; expected 1-65535', // was "is not a URL" (WHATWG URL refuses the port)
    );
    expect(() => parseQueueUrl('redis://h:1/abc')).toThrow('has path /abc; the path may only be a database number');
    expect(() => parseQueueUrl('redis://h:1?tls=true')).toThrow('has query parameters (?tls=true)');
    expect(() => parseQueueUrl('redis://h:1', { caFile: ca })).toThrow('TLS files (caFile) given for redis://h:1; use a rediss:// URL for TLS');
    expect(() => parseQueueUrl('rediss://h:1', { caFile: '/nope.pem' })).toThrow(/cannot read TLS caFile \/nope\.pem/);
  });

  it('validates job payloads: unknown keys, wrong types, paths as trial names', () => {
    const good = {
      v: 1,
      kind: 'trial',
      trial: 'mnist-trial',
      trialId: '0123456789ab',
      config: { lr: 0.01, optimizer: 'adam', nesterov: true },
      budget: 3,
      rung: 0,
      seed: 7,
    };
    expect(parseJobData(good)).toEqual(good);
    expect(parseJobData({ v: 1, kind: 'member', trial: 'm', name: 'resnet', seed: 1, epochs: 2 })).toMatchObject({ kind: 'member' });
    expect(() => parseJobData({ ...good, script: '/bin/sh' })).toThrow(
      "job payload: unknown key 'script' (a trial job has v, kind, trial, trialId, config, budget, rung, seed, timeoutS)",
    );
    expect(() => parseJobData({ ...good, budget: '3' })).toThrow('job payload: budget must be an integer >= 1. Received: budget="3"');
    expect(() => parseJobData({ ...good, trial: '../../etc/x' })).toThrow(/trial must be a script name .* Received: trial="\.\.\/\.\.\/etc\/x"/);
    expect(() => parseJobData({ ...good, trial: '/abs/path' })).toThrow(/trial must be a script name/);
    expect(() => parseJobData({ ...good, config: { lr: { $gt: 1 } } })).toThrow(
      'job payload: config.lr must be a finite number, a string (≤ 1000 chars) or a boolean. Received: config.lr={"$gt":1}',
    );
    expect(() => parseJobData({ ...good, config: [1] })).toThrow('config must be an object');
    expect(() => parseJobData({ ...good, v: 2 })).toThrow('job payload: v must be 1. Received: v=2');
    expect(() => parseJobData({ ...good, kind: 'shell' })).toThrow("kind must be 'trial' or 'member'");
    const { seed: _s, ...noSeed } = good;
    expect(() => parseJobData(noSeed)).toThrow('job payload: missing seed');
    expect(() => parseJobData('x')).toThrow('job payload: must be an object');
  });
});

describe('connecting', () => {
  it('an unreachable Redis fails within 5 s naming the URL (refused port and a silent server)', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s)); // accepts and never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    cleanups.push(
      () =>
        new Promise((r) => {
          for (const s of sockets) s.destroy();
          silent.close(r);
        }),
    );
    const silentUrl = `redis://:pw@127.0.0.1:${(silent.address() as { port: number }).port}`;
    const closed = await (await import('../testing/test-redis.js')).freePort();
    let t0 = Date.now();
    await expect(probeRedis(`redis://127.0.0.1:${closed}`)).rejects.toThrow(`queue: cannot reach Redis at redis://127.0.0.1:${closed}: `);
    expect(Date.now() - t0).toBeLessThan(5000);
    t0 = Date.now();
    await expect(
      runSearch({ trialScript: 'noisy-quadratic', outDir: path.join(tmp, 'unreachable'), space: SPACE, queue: silentUrl, log: quiet }),
    ).rejects.toThrow(`queue: cannot reach Redis at ${silentUrl.replace(':pw@', ':***@')}: no answer within 4000 ms`);
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(startQueueWorker({ queue: `redis://127.0.0.1:${closed}`, trialDir, log: quiet })).rejects.toThrow(
      `cannot reach Redis at redis://127.0.0.1:${closed}`,
    );
  });

  it('a wrong or missing password is refused, naming the URL (password masked)', async () => {
    const r = await redis({ password: 's3cret', appendonly: true });
    const wrong = `redis://:nope@127.0.0.1:${r.port}`;
    const err = await probeRedis(wrong).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      new RegExp(`^queue: Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${r.port} refused the user name / password \\(WRONGPASS`),
    );
    expect((err as Error).message).not.toContain('nope');
    await expect(probeRedis(`redis://127.0.0.1:${r.port}`)).rejects.toThrow(
      `queue: Redis at redis://127.0.0.1:${r.port} needs a password: use redis://:PASSWORD@host:port or set CNN_TUNE_REDIS_PASSWORD (NOAUTH`,
    );
    await expect(startQueueWorker({ queue: wrong, trialDir, log: quiet })).rejects.toThrow('refused the user name / password');
    expect(await probeRedis(r.url)).toEqual({ version: expect.stringMatching(/^\d+\.\d+/), persistenceWarning: undefined });
  });

  it('warns at start when Redis has no persistence', async () => {
    const none = await redis({ appendonly: false });
    const rdb = await redis({ appendonly: false, save: '3600 1' });
    expect((await probeRedis(none.url)).persistenceWarning).toBe(
      `Redis at ${none.url} has no persistence (appendonly no, no save points): a restart loses every queued job; set appendonly yes`,
    );
    expect((await probeRedis(rdb.url)).persistenceWarning).toBe(
      `Redis at ${rdb.url} has appendonly no (RDB snapshots only, save "3600 1"): a restart loses the jobs since the last snapshot; set appendonly yes`,
    );
    const lines: string[] = [];
    const w = await startQueueWorker({ queue: none.url, trialDir, log: (l) => lines.push(l) });
    await w.shutdown();
    const c = await QueueClient.open(none.url, (l) => lines.push(l));
    await c.close();
    expect(lines.filter((l) => l.startsWith(`Warning: Redis at ${none.url} has no persistence`))).toHaveLength(2);
  });

  it('rediss:// with a self-signed certificate: runs a trial over TLS; refuses the server without its CA', async () => {
    const certFile = path.join(tmp, 'cert.pem');
    const keyFile = path.join(tmp, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const r = await redis({ password: 'tls-pw', tls: { certFile, keyFile, caFile: certFile } });
    expect(r.url).toMatch(/^rediss:\/\//);
    await expect(probeRedis(r.url)).rejects.toThrow(/cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*self[- ]signed certificate/);
    const queue = { url: r.url, tls: { caFile: certFile }, name: 'tls' };
    await worker(r.url, { queue });
    const s = await runSearch({ trialScript: 'noisy-quadratic', outDir: path.join(tmp, 'tls'), space: { lr: [1e-2] }, queue, pollMs: 50, log: quiet });
    expect(s.results.trials.map((t) => t.error ?? t.status)).toEqual(['done']);
  });
});

describe('workers', () => {
  it('a malformed payload, a missing or crashing trial script fail their own jobs with the reason; the others run', async () => {
    const r = await redis();
    const wlog: string[] = [];
    const w = await worker(r.url, { log: (l) => wlog.push(l) });
    const good = {
      v: 1,
      kind: 'trial',
      trial: 'noisy-quadratic',
      trialId: '0123456789ab',
      config: { lr: 0.01, batchSize: 32 },
      budget: 1,
      rung: 0,
      seed: 7,
    } as const;
    const c = await QueueClient.open(r.url, quiet);
    cleanups.push(() => c.close());
    const fin = new Map<string, FinishedJob>();
    const jobs = [
      { id: 'bad-key', data: { ...good, script: '/bin/sh' } },
      { id: 'bad-type', data: { ...good, budget: 'three' } },
      { id: 'bad-name', data: { ...good, trial: '../../search/__fixtures__/quadratic-trial' } },
      { id: 'missing', data: { ...good, trial: 'no-such-trial' } },
      { id: 'crash', data: { ...good, trial: 'crash' } },
      { id: 'good', data: good },
    ];
    await c.runJobs(jobs as never, { pollMs: 50, onFinished: (f) => void fin.set(f.id, f) });
    const reason = (id: string): string | undefined => fin.get(id)?.error;
    expect(reason('bad-key')).toBe("job payload: unknown key 'script' (a trial job has v, kind, trial, trialId, config, budget, rung, seed, timeoutS)");
    expect(reason('bad-type')).toBe('job payload: budget must be an integer >= 1. Received: budget="three"');
    expect(reason('bad-name')).toMatch(/^job payload: trial must be a script name/);
    expect(reason('missing')).toBe(
      `trial script 'no-such-trial' not found in --trial-dir ${trialDir} (looked for no-such-trial.ts, no-such-trial.mts, no-such-trial.js, no-such-trial.mjs, no-such-trial.cjs)`,
    );
    expect(reason('crash')).toMatch(/^trial process exited with code 7 before reporting/);
    // the worker's own log says why it refused each job (not only the search's results)
    expect(wlog).toContain(`Job missing refused: ${reason('missing')}`);
    expect(wlog.find((l) => l.startsWith('Job bad-key refused: '))).toBe(`Job bad-key refused: ${reason('bad-key')}`);
    const ok = fin.get('good')!;
    expect(ok.ok).toBe(true);
    expect((ok.value as { value: { val_accuracy: number; seed: number } }).value).toEqual({ val_accuracy: 1 + 0.01 + 1e-4 * (7 % 97), seed: 7 });
    expect(ok.worker).toBe(w.name);
    expect(w.worker.isRunning()).toBe(true);
    expect(await c.queue.getJobCounts('completed', 'failed', 'wait', 'active')).toEqual({ completed: 0, failed: 0, wait: 0, active: 0 }); // collected jobs are removed
    await expect(startQueueWorker({ queue: r.url, trialDir: path.join(tmp, 'nope'), log: quiet })).rejects.toThrow(
      `worker: --trial-dir ${path.join(tmp, 'nope')} is not a folder`,
    );
  });

  it('on shutdown a worker finishes its trial within the grace time, or puts it back in the queue for another worker', async () => {
    const r = await redis();
    const log = path.join(tmp, 'shutdown-runs.log');
    const artifactsDir = path.join(tmp, 'shutdown-artifacts');
    const env = { ...process.env, TRIAL_EPOCH_MS: '300', RUNS_LOG: log };
    const lines: string[] = [];
    const a = await worker(r.url, { name: 'a', env, artifactsDir, log: (l) => lines.push(l) });
    const search = runSearch({
      trialScript: 'noisy-quadratic',
      outDir: path.join(tmp, 'shutdown'),
      space: { lr: [1e-3, 1e-2] },
      budget: 4,
      queue: r.url,
      pollMs: 50,
      log: quiet,
    });
    const q = new Queue('cnn-tune', { connection: bullConnection(r.url) });
    cleanups.push(() => q.close());
    const active = async (name: string) =>
      (await q.getActive()).find((j) => j.processedBy === name && ((j.progress as { epoch?: number } | undefined)?.epoch ?? 0) >= 1);
    const first = await until('a trial at epoch 1 on worker a', () => active('a'));
    await a.shutdown({ graceS: 30 }); // finishes the running trial, takes no new one
    const b = await worker(r.url, { name: 'b', env, artifactsDir, log: (l) => lines.push(l) });
    const second = await until('a trial at epoch 1 on worker b', () => active('b'));
    await b.shutdown({ graceS: 0 }); // puts it back
    expect(lines).toContain(`Job ${second.id} put back in the queue (worker shutting down)`);
    expect(await second.getState()).toBe('waiting');
    await worker(r.url, { name: 'c', env, artifactsDir });
    const s = await search;
    expect(s.results.trials.map((t) => [t.id, t.worker]).sort()).toEqual(
      [
        [first.data.trialId, 'a'],
        [second.data.trialId, 'c'],
      ].sort(),
    );
    const runs = runsLog(log);
    expect(runs.filter((l) => l.startsWith('done '))).toHaveLength(2);
    // c resumed the re-queued trial from b's last epoch checkpoint
    const starts = runs.filter((l) => l.startsWith(`start ${second.data.trialId} `)).map((l) => Number(l.split(' ')[2]));
    expect(starts).toHaveLength(2);
    expect(starts[0]).toBe(0);
    expect(starts[1]).toBeGreaterThanOrEqual(1);
  });

  it('refuses, and logs, a trial script that links outside --trial-dir', async () => {
    const r = await redis();
    const dir = mkdtempSync(path.join(tmp, 'links-'));
    symlinkSync(path.join(trialDir, 'noisy-quadratic.ts'), path.join(dir, 'evil.ts'));
    const wlog: string[] = [];
    await worker(r.url, { trialDir: dir, log: (l) => wlog.push(l) });
    const c = await QueueClient.open(r.url, quiet);
    cleanups.push(() => c.close());
    const data = { v: 1, kind: 'trial', trial: 'evil', trialId: '0123456789ab', config: { lr: 0.01 }, budget: 1, rung: 0, seed: 1 } as const;
    let fin: FinishedJob | undefined;
    await c.runJobs([{ id: 'link', data }], { pollMs: 50, onFinished: (f) => void (fin = f) });
    const real = realpathSync(dir);
    expect(fin?.error).toBe(`trial script ${path.join(real, 'evil.ts')} links outside --trial-dir ${real}; refused`);
    expect(wlog).toContain(`Job link refused: ${fin?.error}`);
  });

  it('SIGTERM (or Ctrl-C) after Redis went away: the worker exits within seconds', async () => {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const r = await redis();
      const w = cli('worker', { queue: r.url, trialDir, name: 'gone', ...FAST });
      await until('worker up', () => /Worker gone on queue/.test(w.out()));
      await r.stop();
      await sleep(1500); // the worker notices and starts retrying
      const t0 = Date.now();
      w.proc.kill(sig);
      const code = await Promise.race([w.exited, sleep(15_000).then(() => 'still running')]);
      expect(code, w.out()).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000); // idle: CLOSE_TIMEOUT_S (5 s) plus slack
      expect(w.out()).toMatch(new RegExp(`Worker gone: ${sig}`));
      expect(w.out()).toMatch(/Worker gone closed/);
    }
  });

  it('a frozen worker (SIGSTOP): its job is re-run by another worker within lockDuration + 2 × stalledInterval', async () => {
    const r = await redis();
    const log = path.join(tmp, 'frozen-runs.log');
    const env = { TRIAL_EPOCH_MS: '400', RUNS_LOG: log };
    const frozen = cli('worker', { queue: r.url, trialDir, name: 'frozen', ...FAST }, env);
    await until('frozen worker up', () => /Worker frozen on queue/.test(frozen.out()));
    const search = runSearch({
      trialScript: 'noisy-quadratic',
      outDir: path.join(tmp, 'frozen'),
      space: { lr: [1e-2] },
      budget: 20,
      queue: r.url,
      pollMs: 50,
      log: quiet,
    });
    await until('the trial started', () => runsLog(log).some((l) => l.startsWith('start ')));
    frozen.proc.kill('SIGSTOP');
    const t0 = Date.now();
    cleanups.push(() => frozen.proc.kill('SIGCONT'));
    const other = await worker(r.url, { name: 'other', env: { ...process.env, ...env, TRIAL_EPOCH_MS: '0' } });
    const q = new Queue('cnn-tune', { connection: bullConnection(r.url) });
    cleanups.push(() => q.close());
    // taken by the other worker (its processedBy) once the stalled check has moved it back to the queue
    await until('the job taken by the other worker', async () => (await q.getActive()).some((j) => j.processedBy === 'other') || undefined, 20_000);
    const waited = Date.now() - t0;
    expect(waited).toBeLessThan(FAST.lockDurationMs + 2 * FAST.stalledIntervalMs + 2000); // + polling and a loaded machine's timers
    const s = await search;
    expect(s.results.trials).toHaveLength(1);
    expect(s.results.trials[0].worker).toBe(other.name);
    frozen.proc.kill('SIGKILL');
  });
});

describe('searches on a queue', () => {
  it('6-trial search, two worker processes, one killed with SIGKILL mid-trial: every trial finishes, recorded once, best = local run', async () => {
    const r = await redis({ password: 'ci-secret', appendonly: true });
    const log = path.join(tmp, 'kill-runs.log');
    const artifacts = path.join(tmp, 'kill-artifacts');
    const env = { TRIAL_EPOCH_MS: '250', RUNS_LOG: log };
    const flags = { trialDir, artifactsDir: artifacts, lockDurationMs: 1500, stalledIntervalMs: 500 };
    const w1 = cli('worker', { queue: r.url, ...flags, name: 'w1' }, env);
    const w2 = cli('worker', { queue: { url: `redis://127.0.0.1:${r.port}`, password: 'ci-secret' }, ...flags, name: 'w2' }, env);
    await until('both workers up', () => /Worker w1 on queue/.test(w1.out()) && /Worker w2 on queue/.test(w2.out()));
    const out = path.join(tmp, 'kill');
    const lines: string[] = [];
    const search = runSearch({
      trialScript: 'noisy-quadratic',
      outDir: out,
      strategy: 'grid',
      space: SPACE,
      budget: 3,
      seed: 5,
      queue: r.url,
      pollMs: 50,
      log: (l) => lines.push(l),
    });
    const q = new Queue('cnn-tune', { connection: bullConnection(r.url) });
    cleanups.push(() => q.close());
    const victim = await until('a trial of w1 at epoch 1', async () =>
      (await q.getActive()).find((j) => j.processedBy === 'w1' && ((j.progress as { epoch?: number } | undefined)?.epoch ?? 0) >= 1),
    );
    w1.proc.kill('SIGKILL');
    expect(await w1.exited).toBe(null);
    const s = await search;
    expect(s.results.trials).toHaveLength(6);
    expect(new Set(s.results.trials.map((t) => t.id)).size).toBe(6);
    expect(s.results.trials.every((t) => t.status === 'done')).toBe(true);
    const onDisk = (await readResults(path.join(out, 'results.json')))!;
    expect(onDisk.trials.map((t) => t.id).sort()).toEqual(s.results.trials.map((t) => t.id).sort());
    // the killed trial was taken over by w2, from w1's epoch checkpoint
    const rec = s.results.trials.find((t) => t.id === victim.data.trialId)!;
    expect(rec.worker).toBe('w2');
    const runs = runsLog(log);
    const starts = runs.filter((l) => l.startsWith(`start ${rec.id} `));
    expect(starts).toHaveLength(2);
    expect(Number(starts[1].split(' ')[2])).toBeGreaterThanOrEqual(1);
    for (const t of s.results.trials) expect(runs.filter((l) => l === `done ${t.id}`)).toHaveLength(1);
    expect(lines.some((l) => /^ {2}\[[0-9a-f]{12}\] epoch \d: val_accuracy [\d.]+ \(w[12]\)$/.test(l))).toBe(true);
    // the same search run locally: same trials, same metrics, same best
    const local = await runSearch({
      trialScript: path.join(trialDir, 'noisy-quadratic.ts'),
      outDir: path.join(tmp, 'kill-local'),
      strategy: 'grid',
      space: SPACE,
      budget: 3,
      seed: 5,
      parallel: 2,
      log: quiet,
    });
    const metrics = (x: typeof s) => Object.fromEntries(x.results.trials.map((t) => [t.id, t.metrics]));
    expect(metrics(s)).toEqual(metrics(local));
    expect(s.best!.config).toEqual(local.best!.config);
    expect(s.best!.config).toEqual({ lr: 1e-2, batchSize: 32 });
    expect(JSON.parse(readFileSync(path.join(out, 'best.json'), 'utf8')).config).toEqual(local.best!.config);
    // SIGTERM stops the idle worker cleanly
    w2.proc.kill('SIGTERM');
    expect(await w2.exited).toBe(0);
    expect(w2.out()).toMatch(/Worker w2 closed/);
  });

  it('successive halving through the queue; the search process killed and run again re-runs no finished trial', async () => {
    const r = await redis();
    const log = path.join(tmp, 'producer-runs.log');
    await worker(r.url, { name: 'p1', concurrency: 2, env: { ...process.env, TRIAL_EPOCH_MS: '150', RUNS_LOG: log } });
    const out = path.join(tmp, 'producer');
    const spaceFile = path.join(tmp, 'space.json');
    const space = { lr: { type: 'loguniform' as const, min: 1e-4, max: 1 }, batchSize: [32, 128] };
    writeFileSync(spaceFile, JSON.stringify(space));
    const p = cli('search', {
      trialScript: 'noisy-quadratic',
      outDir: out,
      strategy: 'halving',
      trials: 6,
      eta: 2,
      minBudget: 1,
      maxBudget: 4,
      seed: 3,
      space,
      pollMs: 50,
      queue: r.url,
    });
    await until(
      '2 recorded trials',
      async () => ((await readResults(path.join(out, 'results.json')).catch(() => undefined))?.trials.length ?? 0) >= 2 || undefined,
    );
    p.proc.kill('SIGKILL');
    await p.exited;
    const before = (await readResults(path.join(out, 'results.json')))!;
    const searchId = JSON.parse(readFileSync(path.join(out, 'queue.json'), 'utf8')).searchId;
    expect(searchId).toMatch(/^[0-9a-f]{8}$/);
    const s = await runSearch({
      trialScript: 'noisy-quadratic',
      outDir: out,
      strategy: 'halving',
      space,
      trials: 6,
      eta: 2,
      minBudget: 1,
      maxBudget: 4,
      seed: 3,
      queue: r.url,
      pollMs: 50,
      log: quiet,
    });
    expect(JSON.parse(readFileSync(path.join(out, 'queue.json'), 'utf8')).searchId).toBe(searchId);
    expect(s.reused).toBe(before.trials.length);
    const ids = s.results.trials.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(s.results.trials.map((t) => t.rung).sort()).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2]);
    const runs = runsLog(log);
    for (const id of ids) expect(runs.filter((l) => l === `done ${id}`)).toHaveLength(1); // nothing ran twice
    const local = await runSearch({
      trialScript: path.join(trialDir, 'noisy-quadratic.ts'),
      outDir: path.join(tmp, 'producer-local'),
      strategy: 'halving',
      space,
      trials: 6,
      eta: 2,
      minBudget: 1,
      maxBudget: 4,
      seed: 3,
      parallel: 2,
      log: quiet,
    });
    expect(s.best!.config).toEqual(local.best!.config);
    expect(s.best!.metric).toBe(local.best!.metric);
    expect(new Set(ids)).toEqual(new Set(local.results.trials.map((t) => t.id)));
  }, 240_000); // 40 s alone; more on a loaded machine

  it.each([true, false])('Redis restarted mid-search (appendonly %s): the search completes, each trial recorded once', async (appendonly) => {
    const r = await redis({ appendonly });
    await worker(r.url, { name: 'r1', env: { ...process.env, TRIAL_EPOCH_MS: '200' } });
    const out = path.join(tmp, `restart-${appendonly}`);
    const lines: string[] = [];
    const search = runSearch({
      trialScript: 'noisy-quadratic',
      outDir: out,
      strategy: 'grid',
      space: { lr: [1e-3, 1e-2, 1e-1, 1] },
      budget: 2,
      queue: r.url,
      pollMs: 50,
      log: (l) => lines.push(l),
    });
    const recorded = async () => (await readResults(path.join(out, 'results.json')).catch(() => undefined))?.trials.length ?? 0;
    await until('1 recorded trial', async () => (await recorded()) >= 1 || undefined);
    await r.stop();
    expect(await recorded()).toBeLessThan(4);
    await sleep(500);
    await r.restart();
    const s = await search;
    expect(s.results.trials).toHaveLength(4);
    expect(new Set(s.results.trials.map((t) => t.id)).size).toBe(4);
    expect(s.results.trials.every((t) => t.status === 'done')).toBe(true);
    // with appendonly the jobs survive the restart; without, the search submits the lost ones again
    expect(lines.some((l) => /^Job [0-9a-f]{8}-[0-9a-f]{12} vanished from Redis/.test(l))).toBe(!appendonly);
  });
});
