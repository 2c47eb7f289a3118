import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { searchOptionsFromFlags } from './search.js';
import { workerOptionsFromFlags } from './worker.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..', '..');
const tmp = mkdtempSync(path.join(tmpdir(), 'cnn-search-cli-'));
// tsx's loader by path: the command runs in a temporary folder, where `--import tsx` would not resolve
const tsx = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `cnn ARGS` (src/bin.ts through tsx) in `cwd`; its exit status and output. */
function cnn(args: string[], cwd = tmp): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', tsx, path.join(pkg, 'src', 'bin.ts'), ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('cnn search / cnn worker flags', () => {
  it('parse into the options of runSearch and runQueueWorker (paths against the current folder)', () => {
    expect(
      searchOptionsFromFlags(
        { trial: 't.mjs', out: 'o', strategy: 'halving', trials: '6', eta: '2', parallel: '2', timeout: '1.5', queue: 'redis://h:1', pollMs: '50' },
        { CNN_TUNE_REDIS_PASSWORD: 'env-secret' },
      ),
    ).toEqual({
      trialScript: path.resolve('t.mjs'),
      outDir: path.resolve('o'),
      space: expect.any(Object),
      strategy: 'halving',
      trials: 6,
      eta: 2,
      mode: 'max',
      parallel: 2,
      trialTimeoutS: 1.5,
      pollMs: 50,
      queue: { url: 'redis://h:1', password: 'env-secret' },
    });
    const ca = path.join(tmp, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
    expect(workerOptionsFromFlags({ queue: 'rediss://h:1', tlsCa: ca, concurrency: '2', grace: '0', lockDuration: '1500' }, {})).toEqual({
      queue: { url: 'rediss://h:1', tls: { caFile: ca, certFile: undefined, keyFile: undefined } },
      trialDir: path.resolve('.'),
      concurrency: 2,
      graceS: 0,
      lockDurationMs: 1500,
    });
  });

  it('refuse bad numbers, a bad Redis URL and a test_* metric with an error naming the flag (exit 2), before anything is written', () => {
    const out = path.join(tmp, 'never');
    const base = ['search', '--trial', 'x', '--out', out];
    const cases: [string[], string][] = [
      [[...base, '--timeout', '-1'], 'error: --timeout must be a number > 0. Received: -1'],
      [[...base, '--poll-ms', '0', '--queue', 'redis://127.0.0.1:1'], 'error: --poll-ms must be an integer >= 50. Received: 0'],
      [[...base, '--trials', '0', '--queue', 'redis://127.0.0.1:1'], 'error: --trials must be an integer >= 1. Received: 0'],
      [[...base, '--queue', 'redis://127.0.0.1:99999'], 'error: --queue redis://127.0.0.1:99999 has port 99999; expected 1-65535'],
      [[...base, '--metric', 'test_accuracy'], 'error: --metric test_accuracy is measured on the test set'],
      [[...base, '--tls-ca', 'ca.pem'], 'error: --tls-ca needs --queue'],
      [['worker', '--concurrency', '2'], 'error: --queue is required'],
      [['worker', '--queue', 'rediss://h:1', '--tls-ca', 'no-such-ca.pem'], 'error: --queue cannot read TLS caFile'],
      [['worker', '--queue', 'redis://h:1', '--grace', '-1'], 'error: --grace must be a number >= 0. Received: -1'],
      [['worker', '--queue', 'redis://h:1', '--concurrency', 'two'], 'error: --concurrency must be an integer >= 1. Received: two'],
    ];
    for (const [args, message] of cases) {
      const r = cnn(args);
      expect(r.out, args.join(' ')).toContain(message);
      expect(r.status, args.join(' ')).toBe(2);
    }
    expect(existsSync(out)).toBe(false);
  });

  it('a search whose every trial failed exits 1 naming the error; one that found a best config exits 0', () => {
    const failed = cnn([
      'search',
      '--trial',
      path.join(here, '__fixtures__', 'failing-trial.mjs'),
      '--out',
      'failed',
      '--strategy',
      'grid',
      '--space',
      spaceFile(),
    ]);
    expect(failed.out).toMatch(/error: every trial failed \(2\); see .*failed\/results\.json\. First error: Error: boom: this trial always fails/);
    expect(failed.status).toBe(1);
    const ok = cnn(['search', '--trial', path.join(here, '__fixtures__', 'good-trial.mjs'), '--out', 'ok', '--strategy', 'grid', '--space', spaceFile()]);
    expect(ok.status, ok.out).toBe(0);
    expect(JSON.parse(readFileSync(path.join(tmp, 'ok', 'best.json'), 'utf8')).config).toEqual({ lr: 0.01 });
  });
});

function spaceFile(): string {
  const f = path.join(tmp, 'space.json');
  if (!existsSync(f)) writeFileSync(f, JSON.stringify({ lr: [0.001, 0.01] }));
  return f;
}
