import { fork } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import { writeJsonAtomic } from '@cnn/data/node';
import { formatResultsTable, readResults, sortTrials, trialId, writeResults, type SearchResults, type TrialRecord } from './results';
import { gridConfigs, randomConfigs, type SearchSpace, type TrialConfig } from './space';
import type { RunMessage, WorkerMessage } from './worker';

/** Search strategy. */
export type SearchStrategy = 'grid' | 'random' | 'halving';

/** Options of {@link runSearch}. */
export interface SearchOptions {
  /**
   * Script run in a worker process (`child_process.fork`) per trial; it calls `serveTrial(fn)`. `.ts`
   * scripts are started with `--import tsx` unless `execArgv` is given.
   */
  trialScript: string;
  /** Hyperparameters to search. */
  space: SearchSpace;
  /** `grid` (every combination), `random` (`trials` seeded draws) or `halving` (successive halving). Default `'random'`. */
  strategy?: SearchStrategy;
  /** Configurations drawn for `random` and `halving`. Default `10`. */
  trials?: number;
  /** Seed of the random draws and trial seeds. Default `0`. */
  seed?: number;
  /** Budget (epochs) of each grid/random trial. Default `1`. */
  budget?: number;
  /** Successive halving: budget of the first rung. Default `1`. */
  minBudget?: number;
  /** Successive halving: largest budget; rungs use `minBudget · eta^k <= maxBudget`. Default `minBudget · eta²`. */
  maxBudget?: number;
  /** Successive halving: keep the best `1/eta` of each rung and multiply the budget by `eta`. Default `3`. */
  eta?: number;
  /** Name of the objective in the trials' results. Default `'val_accuracy'`. */
  metric?: string;
  /** Maximise or minimise the metric. Default `'max'`. */
  mode?: 'max' | 'min';
  /** Trials run at the same time (worker processes). Default `1`. */
  parallel?: number;
  /** Folder of `results.json`, `results.csv` and `best.json`; an existing `results.json` is resumed. */
  outDir: string;
  /** Kill a trial after this many seconds (recorded as failed). Default: no limit. */
  trialTimeoutS?: number;
  /** Node options of the workers. Default `['--import', 'tsx']` for TypeScript scripts, else `[]`. */
  execArgv?: string[];
  /** Extra environment of the workers. */
  env?: Record<string, string>;
  /** Line sink. Default `console.log`. */
  log?: (line: string) => void;
}

/** Result of {@link runSearch}. */
export interface SearchSummary {
  /** Everything in `results.json` (including trials of earlier, interrupted runs). */
  results: SearchResults;
  /** The best finished trial (for halving: of the last rung reached), or `undefined` when all failed. */
  best: TrialRecord | undefined;
  /** Trials run by this call. */
  ran: number;
  /** Trials found finished in `results.json` and not re-run. */
  reused: number;
}

interface PlannedTrial {
  config: TrialConfig;
  budget: number;
  rung: number;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1) throw new Error(`runSearch: ${name} must be an integer >= 1. Received: ${name}=${v}`);
  return x;
}

function seedFor(id: string, seed: number): number {
  return (parseInt(id.slice(0, 8), 16) ^ seed) >>> 1;
}

/**
 * Hyperparameter search with trials in worker processes and a resumable results table.
 *
 * - `grid`: every combination of the choices, each for `budget` epochs;
 * - `random`: `trials` configurations drawn with `seed` (log-uniform / uniform / int / choice);
 * - `halving`: successive halving (Jamieson & Talwalkar, 2016; the synchronous core of Hyperband): `trials`
 *   random configurations get `minBudget`; the best `⌈n/eta⌉` are promoted with `eta`× the budget, until
 *   `maxBudget`.
 *
 * Every finished trial is appended to `outDir/results.json` and `results.csv` (atomic writes) as soon as it
 * ends. A trial's id hashes its config and budget, so running the same search again (after a crash or
 * Ctrl-C) reuses every finished trial — finished trials are never re-run — and runs only the rest
 * (random draws are seeded, promotions recomputed from the stored metrics). At the end: the sorted table
 * is logged, and `best.json` holds the best config.
 *
 * @throws Error on invalid options, when `results.json` exists but was made with another metric/mode, or
 *   when the trial script does not exist. Trial failures are recorded, not thrown.
 */
export async function runSearch(opts: SearchOptions): Promise<SearchSummary> {
  const strategy = opts.strategy ?? 'random';
  if (!['grid', 'random', 'halving'].includes(strategy))
    throw new Error(`runSearch: strategy must be 'grid', 'random' or 'halving'. Received: strategy=${String(strategy)}`);
  const metric = opts.metric ?? 'val_accuracy';
  const mode = opts.mode ?? 'max';
  if (mode !== 'max' && mode !== 'min') throw new Error(`runSearch: mode must be 'max' or 'min'. Received: mode=${String(mode)}`);
  const parallel = positiveInt('parallel', opts.parallel, 1);
  const seed = opts.seed ?? 0;
  const log = opts.log ?? console.log;
  const script = path.resolve(opts.trialScript);
  const { existsSync } = await import('node:fs');
  if (!existsSync(script)) throw new Error(`runSearch: trialScript ${script} does not exist`);
  const outDir = path.resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  const resultsFile = path.join(outDir, 'results.json');
  const previous = await readResults(resultsFile);
  if (previous && (previous.metric !== metric || previous.mode !== mode)) {
    throw new Error(`runSearch: ${resultsFile} was made for ${previous.mode} ${previous.metric}, not ${mode} ${metric}; use another outDir`);
  }
  const results: SearchResults = previous ?? { version: 1, strategy, metric, mode, trials: [] };
  const done = new Map(results.trials.map((t) => [t.id, t]));
  if (previous) log(`Resuming ${resultsFile}: ${previous.trials.length} finished trial(s) will not be re-run`);
  const execArgv = opts.execArgv ?? (/\.[cm]?ts$/.test(script) ? ['--import', 'tsx'] : []);
  let saving: Promise<void> = Promise.resolve();
  let ran = 0;
  let reused = 0;

  const runOne = (t: PlannedTrial, id: string): Promise<TrialRecord> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const child = fork(script, [], { execArgv, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      let stderr = '';
      let settled = false;
      let reply: WorkerMessage | undefined;
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-2000);
      });
      child.stdout?.on('data', () => undefined);
      const timer = opts.trialTimeoutS
        ? setTimeout(() => {
            stderr += `\nkilled after ${opts.trialTimeoutS} s (trialTimeoutS)`;
            child.kill('SIGKILL');
          }, opts.trialTimeoutS * 1000)
        : undefined;
      const finish = (status: 'done' | 'failed', metrics: Record<string, number>, error?: string): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        const m = metrics[metric];
        const ok = status === 'done' && typeof m === 'number' && Number.isFinite(m);
        resolve({
          id,
          config: t.config,
          budget: t.budget,
          rung: t.rung,
          status: ok ? 'done' : 'failed',
          metric: ok ? m : null,
          metrics,
          seconds: (performance.now() - t0) / 1000,
          finishedAt: new Date().toISOString(),
          ...(ok ? {} : { error: error ?? `trial reported no finite '${metric}' (got ${JSON.stringify(metrics)})` }),
        });
      };
      child.on('message', (raw) => {
        const m = raw as WorkerMessage;
        if (m?.type === 'log') log(`  [${id}] ${m.line}`);
        else reply = m;
      });
      child.on('error', (err) => finish('failed', {}, `worker failed to start: ${err.message}`));
      child.on('exit', (code, signal) => {
        if (reply?.type === 'result') {
          const metrics = typeof reply.value === 'number' ? { [metric]: reply.value } : reply.value;
          finish('done', metrics);
        } else if (reply?.type === 'error') finish('failed', {}, reply.message.split('\n').slice(0, 3).join(' | '));
        else
          finish(
            'failed',
            {},
            `worker exited with ${signal ? `signal ${signal}` : `code ${code}`} before reporting: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          );
      });
      const msg: RunMessage = { type: 'run', config: t.config, budget: t.budget, trialId: id, seed: seedFor(id, seed), rung: t.rung };
      child.send(msg);
    });

  /** Runs the planned trials (reusing finished ones) with `parallel` workers; returns their records in plan order. */
  const runAll = async (plan: PlannedTrial[]): Promise<TrialRecord[]> => {
    const out: TrialRecord[] = new Array(plan.length);
    const pending: number[] = [];
    plan.forEach((t, i) => {
      const id = trialId(t.config, t.budget);
      const rec = done.get(id);
      if (rec) {
        out[i] = rec;
        reused++;
      } else pending.push(i);
    });
    let next = 0;
    const inFlight = new Set<string>();
    const workerLoop = async (): Promise<void> => {
      while (next < pending.length) {
        const i = pending[next++];
        const t = plan[i];
        const id = trialId(t.config, t.budget);
        if (done.has(id) || inFlight.has(id)) {
          // a duplicate draw of a trial already finished/running in this plan
          while (inFlight.has(id)) await new Promise((r) => setTimeout(r, 50));
          out[i] = done.get(id)!;
          continue;
        }
        inFlight.add(id);
        log(`Trial ${id} (rung ${t.rung}, budget ${t.budget}): ${JSON.stringify(t.config)}`);
        const rec = await runOne(t, id);
        inFlight.delete(id);
        ran++;
        done.set(id, rec);
        results.trials.push(rec);
        out[i] = rec;
        log(`Trial ${id} ${rec.status}: ${metric} ${rec.metric ?? '-'} (${rec.seconds.toFixed(1)} s)${rec.error ? ` — ${rec.error}` : ''}`);
        saving = saving.then(() => writeResults(outDir, results));
        await saving;
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, Math.max(1, pending.length)) }, workerLoop));
    return out;
  };

  let best: TrialRecord | undefined;
  if (strategy === 'halving') {
    const n = positiveInt('trials', opts.trials, 10);
    const eta = opts.eta ?? 3;
    if (!(Number.isInteger(eta) && eta >= 2)) throw new Error(`runSearch: eta must be an integer >= 2. Received: eta=${opts.eta}`);
    const minBudget = positiveInt('minBudget', opts.minBudget, 1);
    const maxBudget = positiveInt('maxBudget', opts.maxBudget, minBudget * eta * eta);
    if (maxBudget < minBudget) throw new Error(`runSearch: maxBudget (${maxBudget}) must be >= minBudget (${minBudget})`);
    let configs = randomConfigs(opts.space, n, seed);
    let budget = minBudget;
    let rung = 0;
    let recs: TrialRecord[] = [];
    for (;;) {
      log(`Rung ${rung}: ${configs.length} config(s) × budget ${budget}`);
      recs = await runAll(configs.map((config) => ({ config, budget, rung })));
      const keep = Math.ceil(configs.length / eta);
      if (budget * eta > maxBudget || configs.length === 1) break;
      const ranked = sortTrials(
        recs.filter((r) => r.status === 'done'),
        mode,
      );
      const seen = new Set<string>();
      configs = ranked
        .filter((r) => !seen.has(JSON.stringify(r.config)) && seen.add(JSON.stringify(r.config)))
        .slice(0, keep)
        .map((r) => r.config);
      if (configs.length === 0) break;
      budget *= eta;
      rung++;
    }
    best = sortTrials(
      recs.filter((r) => r.status === 'done'),
      mode,
    )[0];
  } else {
    const budget = positiveInt('budget', opts.budget, 1);
    const configs = strategy === 'grid' ? gridConfigs(opts.space) : randomConfigs(opts.space, positiveInt('trials', opts.trials, 10), seed);
    const recs = await runAll(configs.map((config) => ({ config, budget, rung: 0 })));
    best = sortTrials(
      recs.filter((r) => r.status === 'done'),
      mode,
    )[0];
  }
  await saving;
  await writeResults(outDir, results);
  if (best) await writeJsonAtomic(path.join(outDir, 'best.json'), { id: best.id, metric, value: best.metric, budget: best.budget, config: best.config });
  log(formatResultsTable(results));
  log(best ? `Best ${metric} ${best.metric} with ${JSON.stringify(best.config)} (trial ${best.id}, budget ${best.budget})` : 'No trial finished successfully');
  log(`Ran ${ran} trial(s), reused ${reused}; results in ${resultsFile} and results.csv`);
  return { results, best, ran, reused };
}
