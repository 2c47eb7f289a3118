import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { formatResultsTable, readResults, resultsCsv, trialId } from '../trial/results.js';
import { runSearch } from './runner.js';
import { gridConfigs, randomConfigs } from '../trial/space.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..', '..');
const trial = path.join(here, '__fixtures__', 'quadratic-trial.ts');
const tmp = mkdtempSync(path.join(tmpdir(), 'cnn-tune-search-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const quiet = (): void => undefined;
const SPACE = { lr: [1e-3, 1e-2, 1e-1], batchSize: [32, 128] };

describe('search spaces', () => {
  it('grid = cartesian product; random draws are seeded and in range', () => {
    expect(gridConfigs(SPACE)).toEqual([
      { lr: 1e-3, batchSize: 32 },
      { lr: 1e-3, batchSize: 128 },
      { lr: 1e-2, batchSize: 32 },
      { lr: 1e-2, batchSize: 128 },
      { lr: 1e-1, batchSize: 32 },
      { lr: 1e-1, batchSize: 128 },
    ]);
    const space = {
      lr: { type: 'loguniform' as const, min: 1e-4, max: 1e-1 },
      dropout: { type: 'uniform' as const, min: 0, max: 0.5 },
      batchSize: [32, 64],
      layers: { type: 'int' as const, min: 1, max: 3 },
    };
    const a = randomConfigs(space, 50, 7);
    expect(randomConfigs(space, 50, 7)).toEqual(a);
    expect(randomConfigs(space, 50, 8)).not.toEqual(a);
    for (const c of a) {
      expect(c.lr).toBeGreaterThanOrEqual(1e-4);
      expect(c.lr).toBeLessThanOrEqual(1e-1);
      expect([32, 64]).toContain(c.batchSize);
      expect([1, 2, 3]).toContain(c.layers);
    }
    // log-uniform: about a third of the draws per decade
    expect(a.filter((c) => (c.lr as number) < 1e-3).length).toBeGreaterThan(8);
    expect(() => gridConfigs(space)).toThrow("gridConfigs: 'lr' is a loguniform range; a grid needs a list of values");
    expect(() => randomConfigs({ lr: { type: 'loguniform', min: 0, max: 1 } }, 1)).toThrow("'lr' (loguniform) needs min > 0");
    expect(trialId({ a: 1, b: 'x' }, 2)).toBe(trialId({ b: 'x', a: 1 }, 2));
    expect(trialId({ a: 1 }, 2)).not.toBe(trialId({ a: 1 }, 3));
  });
});

describe('runSearch (trials in worker processes)', () => {
  it('grid with --parallel 2: results table JSON + CSV, failures recorded, best config', async () => {
    const out = path.join(tmp, 'grid');
    const space = { lr: [1e-3, 1e-2, 1e-1], batchSize: [32], optimizer: ['adam', 'fail'] };
    const s = await runSearch({ trialScript: trial, outDir: out, strategy: 'grid', space, parallel: 2, log: quiet });
    expect(s.ran).toBe(6);
    expect(s.best?.config).toEqual({ lr: 1e-2, batchSize: 32, optimizer: 'adam' });
    expect(s.best?.metric).toBeCloseTo(1.01, 10);
    const r = (await readResults(path.join(out, 'results.json')))!;
    expect(r.trials.length).toBe(6);
    const failed = r.trials.filter((t) => t.status === 'failed');
    expect(failed.length).toBe(3);
    expect(failed[0].error).toMatch(/boom: this optimizer always fails/);
    const csv = readFileSync(path.join(out, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('rank,id,status,budget,rung,val_accuracy,seconds,lr,batchSize,optimizer,val_loss,error');
    expect(csv[1]).toMatch(/^1,[0-9a-f]{12},done,1,0,1.01,[\d.]+,0.01,32,adam,/);
    expect(csv).toHaveLength(7);
    expect(resultsCsv(r).trim().split('\n')).toHaveLength(7);
    expect(formatResultsTable(r).split('\n')[2]).toMatch(/^\s*1\s+[0-9a-f]{12}\s+1\s+1\.0100\s+0\.0100\s+32\s+adam/);
    expect(JSON.parse(readFileSync(path.join(out, 'best.json'), 'utf8')).config).toEqual({ lr: 1e-2, batchSize: 32, optimizer: 'adam' });
    // a second run reuses everything
    const again = await runSearch({ trialScript: trial, outDir: out, strategy: 'grid', space, log: quiet });
    expect([again.ran, again.reused]).toEqual([0, 6]);
  });

  it('successive halving promotes the best 1/eta with eta× the budget', async () => {
    const out = path.join(tmp, 'halving');
    const s = await runSearch({
      trialScript: trial,
      outDir: out,
      strategy: 'halving',
      space: { lr: { type: 'loguniform', min: 1e-4, max: 1 }, batchSize: [32, 128] },
      trials: 4,
      minBudget: 1,
      eta: 2,
      maxBudget: 4,
      seed: 3,
      parallel: 2,
      log: quiet,
    });
    const r = s.results.trials;
    expect(r.filter((t) => t.rung === 0).length).toBe(4);
    expect(r.filter((t) => t.rung === 1).map((t) => t.budget)).toEqual([2, 2]);
    expect(r.filter((t) => t.rung === 2).map((t) => t.budget)).toEqual([4]);
    const rung0 = r.filter((t) => t.rung === 0).sort((a, b) => b.metric! - a.metric!);
    expect(new Set(r.filter((t) => t.rung === 1).map((t) => JSON.stringify(t.config)))).toEqual(
      new Set(rung0.slice(0, 2).map((t) => JSON.stringify(t.config))),
    );
    expect(s.best?.config).toEqual(rung0[0].config);
    expect(s.best?.budget).toBe(4);
  });

  it('a killed search resumes without re-running finished trials', async () => {
    const out = path.join(tmp, 'killed');
    const runsLog = path.join(tmp, 'runs.log');
    const spaceFile = path.join(tmp, 'space.json');
    writeFileSync(spaceFile, JSON.stringify({ lr: [1e-4, 1e-3, 1e-2, 1e-1], batchSize: [32, 128] }));
    const env = { ...process.env, TRIAL_SLEEP_MS: '300', RUNS_LOG: runsLog };
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/testing/driver.ts',
        'search',
        JSON.stringify({ trialScript: trial, outDir: out, strategy: 'grid', space: JSON.parse(readFileSync(spaceFile, 'utf8')), parallel: 2 }),
      ],
      { cwd: pkg, env, stdio: 'ignore' },
    );
    const resultsFile = path.join(out, 'results.json');
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = existsSync(resultsFile) ? await readResults(resultsFile).catch(() => undefined) : undefined;
      if (r && r.trials.length >= 2) break;
      if (Date.now() > deadline) throw new Error('search did not record 2 trials in 60 s');
      await new Promise((res) => setTimeout(res, 50));
    }
    child.kill('SIGKILL');
    await new Promise((res) => child.once('exit', res));
    await new Promise((res) => setTimeout(res, 800)); // orphaned workers exit on disconnect
    const before = (await readResults(resultsFile))!;
    expect(before.trials.length).toBeGreaterThanOrEqual(2);
    expect(before.trials.length).toBeLessThan(8);
    const s = await runSearch({
      trialScript: trial,
      outDir: out,
      strategy: 'grid',
      space: JSON.parse(readFileSync(spaceFile, 'utf8')),
      parallel: 2,
      env: { RUNS_LOG: runsLog, TRIAL_SLEEP_MS: '0' },
      log: quiet,
    });
    expect(s.reused).toBe(before.trials.length);
    expect(s.ran).toBe(8 - before.trials.length);
    expect(new Set(s.results.trials.map((t) => t.id)).size).toBe(8);
    const runs = readFileSync(runsLog, 'utf8').trim().split('\n');
    for (const t of before.trials) expect(runs.filter((id) => id === t.id)).toHaveLength(1);
    expect(s.best?.config).toEqual({ lr: 1e-2, batchSize: 32 });
  });

  it('rejects a missing trial script and a results file made for another metric', async () => {
    await expect(runSearch({ trialScript: '/nope/t.ts', outDir: path.join(tmp, 'x'), space: SPACE, log: quiet })).rejects.toThrow(
      'runSearch: trialScript /nope/t.ts does not exist',
    );
    await expect(runSearch({ trialScript: trial, outDir: path.join(tmp, 'grid'), space: SPACE, metric: 'val_loss', mode: 'min', log: quiet })).rejects.toThrow(
      /was made for max val_accuracy, not min val_loss/,
    );
  });

  it('keeps the error line of a trial that throws on import (not only its last stderr lines)', async () => {
    const s = await runSearch({
      trialScript: path.join(here, '__fixtures__', 'throw-at-import.ts'),
      outDir: path.join(tmp, 'import-error'),
      strategy: 'grid',
      space: { lr: [0.01] },
      log: quiet,
    });
    expect(s.best).toBeUndefined();
    const [t] = s.results.trials;
    expect(t.status).toBe('failed');
    expect(t.error).toMatch(/^trial process exited with code 1 before reporting: Error: boom at import: dataset folder missing \| at .*throw-at-import\.ts:5/);
    expect(t.error).not.toMatch(/Node\.js v/);
  });

  it('validates every number, the queue URL and the metric before anything connects or writes', async () => {
    const out = path.join(tmp, 'never-written');
    const base = { trialScript: trial, outDir: out, space: SPACE, log: quiet };
    const q = { ...base, trialScript: 'quadratic-trial', queue: 'redis://127.0.0.1:1' }; // nothing listens there
    const cases: [object, RegExp | string, string][] = [
      [{ ...base, trialTimeoutS: -1 }, 'runSearch: trialTimeoutS must be a number of seconds > 0. Received: trialTimeoutS=-1', 'ERR_CNN_TUNE_OPTION'],
      [{ ...q, pollMs: 0 }, /^runSearch: pollMs must be an integer >= 50 .*Received: pollMs=0$/, 'ERR_CNN_TUNE_OPTION'],
      [{ ...q, strategy: 'random', trials: 0 }, 'runSearch: trials must be an integer >= 1. Received: trials=0', 'ERR_CNN_TUNE_OPTION'],
      [{ ...q, strategy: 'halving', eta: 1 }, 'runSearch: eta must be an integer >= 2. Received: eta=1', 'ERR_CNN_TUNE_OPTION'],
      [{ ...q, queue: 'redis://127.0.0.1:99999' }, 'queue: redis://127.0.0.1:99999 has port 99999; expected 1-65535', 'ERR_CNN_QUEUE_URL'],
      [{ ...q, metric: 'test_accuracy' }, /^runSearch: metric 'test_accuracy' is measured on the test set/, 'ERR_CNN_SELECT_ON_TEST'],
    ];
    for (const [opts, message, code] of cases) {
      const err = await runSearch(opts as Parameters<typeof runSearch>[0]).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(err?.message).toMatch(typeof message === 'string' ? new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
      expect(err?.code).toBe(code);
    }
    expect(existsSync(out)).toBe(false);
  });
});
