// The same successive-halving search twice: through a BullMQ queue in Redis with 2 `cnn worker`
// processes, and with local worker processes (--parallel 2); prints both wall times and checks that both find
// the same best config (same plan, same trial seeds). Starts its own private redis-server on a free loopback
// port in a temporary folder unless --queue names one (then its workers are started here all the same).
//   pnpm --filter @cnn/tune queue-vs-local --out results/queue-vs-local.json
//   options: --trial mnist-trial (in scripts/trials) --trials 9 --eta 3 --min-budget 1 --seed 0 --workers 2
//            --queue redis://… (an existing Redis) --train-n / --valid-pct (TRIAL_TRAIN_N / TRIAL_VALID_PCT)
//            --checkpoints (workers get --artifacts: a checkpoint per epoch, as when faults are expected)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '@cnn/data/node';
import { runSearch, type SearchSummary } from '../src/search/runner.js';
import { DEFAULT_SPACE } from '../src/trial/space.js';
import { startTestRedis, type TestRedis } from '../src/testing/test-redis.js';
import { markdownTable } from './common.js';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: f } = parseArgs({
  options: {
    trial: { type: 'string', default: 'mnist-trial' },
    trials: { type: 'string', default: '9' },
    eta: { type: 'string', default: '3' },
    'min-budget': { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
    workers: { type: 'string', default: '2' },
    queue: { type: 'string' },
    checkpoints: { type: 'boolean', default: false },
    'train-n': { type: 'string' },
    'valid-pct': { type: 'string' },
    out: { type: 'string' },
  },
});
const workers = Number(f.workers);
const trialDir = path.join(pkg, 'scripts', 'trials');
const env: Record<string, string> = {
  ...(f['train-n'] ? { TRIAL_TRAIN_N: f['train-n'] } : {}),
  ...(f['valid-pct'] ? { TRIAL_VALID_PCT: f['valid-pct'] } : {}),
};
const common = {
  strategy: 'halving' as const,
  space: DEFAULT_SPACE,
  trials: Number(f.trials),
  eta: Number(f.eta),
  minBudget: Number(f['min-budget']),
  seed: Number(f.seed),
  log: (line: string) => {
    if (!line.startsWith('  [')) console.log(line);
  },
};
const tmp = mkdtempSync(path.join(tmpdir(), 'cnn-tune-queue-vs-local-'));
let redis: TestRedis | undefined;
const procs: ChildProcess[] = [];
try {
  redis = f.queue ? undefined : await startTestRedis({ appendonly: true });
  const url = f.queue ?? redis!.url;
  for (let i = 1; i <= workers; i++) {
    const p = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/testing/driver.ts',
        'worker',
        JSON.stringify({ queue: url, trialDir, name: `w${i}`, ...(f.checkpoints ? { artifactsDir: path.join(tmp, 'artifacts') } : {}) }),
      ],
      { cwd: pkg, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    procs.push(p);
  }
  const timed = async (label: string, run: () => Promise<SearchSummary>): Promise<{ label: string; seconds: number; s: SearchSummary }> => {
    console.log(`\n== ${label}`);
    const t0 = performance.now();
    const s = await run();
    return { label, seconds: (performance.now() - t0) / 1000, s };
  };
  const queued = await timed(`queue, ${workers} workers`, () => runSearch({ ...common, trialScript: f.trial!, queue: url, outDir: path.join(tmp, 'queue') }));
  for (const p of procs) p.kill('SIGTERM');
  const local = await timed(`local, --parallel ${workers}`, () =>
    runSearch({ ...common, trialScript: path.join(trialDir, `${f.trial}.ts`), parallel: workers, env, outDir: path.join(tmp, 'local') }),
  );
  const same = JSON.stringify(queued.s.best?.config) === JSON.stringify(local.s.best?.config) && queued.s.best?.metric === local.s.best?.metric;
  const table = markdownTable(
    ['runner', 'trials', 'wall time', `best ${queued.s.best ? 'val_accuracy' : ''}`, 'best config'],
    [queued, local].map((r) => [
      r.label,
      r.s.results.trials.length,
      `${r.seconds.toFixed(1)} s`,
      r.s.best?.metric?.toFixed(4) ?? '-',
      `\`${JSON.stringify(r.s.best?.config)}\``,
    ]),
  );
  console.log(`\n${table}\n\nsame best config and metric: ${same ? 'yes' : 'NO'}`);
  if (f.out) {
    mkdirSync(path.dirname(path.resolve(f.out)), { recursive: true });
    await writeJsonAtomic(path.resolve(f.out), {
      date: new Date().toISOString(),
      trial: f.trial,
      trials: common.trials,
      checkpoints: f.checkpoints,
      eta: common.eta,
      minBudget: common.minBudget,
      seed: common.seed,
      workers,
      env,
      queue: { seconds: queued.seconds, best: queued.s.best },
      local: { seconds: local.seconds, best: local.s.best },
      sameBest: same,
      table,
    });
    console.log(`wrote ${f.out}`);
  }
  if (!same) process.exitCode = 1;
} finally {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  await redis?.dispose();
  rmSync(tmp, { recursive: true, force: true });
}
