import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeJsonAtomic } from '@cnn/core/node';
import { MIN_POLL_MS, QueueClient } from '../queue/client.js';
import { parseQueueUrl, queueConnectionOptions, type QueueConnection } from '../queue/connection.js';
import { TRIAL_NAME_RE, type TrialJobData } from '../queue/payload.js';
import { formatResultsTable, readResults, sortTrials, trialId, writeResults, type SearchResults, type TrialRecord } from '../trial/results.js';
import { gridConfigs, normalizeSpace, randomConfigs, type SearchSpace, type TrialConfig } from '../trial/space.js';
import { startTrialProcess } from '../trial/process.js';
import type { RunMessage } from '../trial/serve.js';
import { refuseTestMetric, TuneError } from '../errors.js';

/** Search strategy. */
export type SearchStrategy = 'grid' | 'random' | 'halving';

/** Options of {@link runSearch}. */
export interface SearchOptions {
  /**
   * Script run in a worker process (`child_process.fork`) per trial; it calls `serveTrial(fn)`. `.ts`
   * scripts are started with `--import tsx` unless `execArgv` is given. With `queue`, only its name counts
   * (`scripts/trials/mnist-trial.ts` → `mnist-trial`): each worker runs its own copy from its `--trial-dir`.
   */
  trialScript: string;
  /**
   * Run the trials as jobs on a BullMQ queue in Redis (`redis://[:password@]host:port[/db]`, `rediss://` for
   * TLS, or {@link QueueConnectionOptions}), taken by `cnn worker`s on any number of machines, instead of
   * local worker processes. Results, resuming and `best.json` are the same. Default: local (`parallel`).
   */
  queue?: QueueConnection;
  /** With `queue`: milliseconds between job status polls, an integer >= {@link MIN_POLL_MS} (50). Default `500`. */
  pollMs?: number;
  /**
   * Folder under which each trial gets `<artifactsDir>/<trial id>/` as `ctx.artifactsDir` (epoch checkpoints:
   * a trial re-run after a crash resumes). Local runs only; queue workers have their own `--artifacts`.
   */
  artifactsDir?: string;
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
  /**
   * Name of the objective in the trials' results: a validation metric (`val_accuracy`, `val_loss`: what `fit`
   * reports for its `validation` set). A `test_*` metric is refused (`ERR_CNN_SELECT_ON_TEST`): choosing
   * hyperparameters on the test set makes its score optimistic. Default `'val_accuracy'`.
   */
  metric?: string;
  /** Maximise or minimise the metric. Default `'max'`. */
  mode?: 'max' | 'min';
  /** Trials run at the same time (local worker processes; ignored with `queue`, where workers decide). Default `1`. */
  parallel?: number;
  /** Folder of `results.json`, `results.csv` and `best.json`; an existing `results.json` is resumed. */
  outDir: string;
  /** Kill a trial after this many seconds (> 0; recorded as failed). Default: no limit. */
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
  if (!Number.isInteger(x) || x < 1) throw new TuneError(`runSearch: ${name} must be an integer >= 1. Received: ${name}=${v}`, { code: 'ERR_CNN_TUNE_OPTION' });
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
 * With `queue`, trials are BullMQ jobs in Redis instead of local processes, run by `cnn worker`s
 * ({@link startQueueWorker}) on any number of machines. A job's id is `<search id>-<trial id>` (the search id
 * is kept in `outDir/queue.json`), so submitting a trial twice is harmless and a search killed and run
 * again finds its queued, running and finished jobs; each trial is recorded exactly once, when its job
 * completes or fails, and its job is then removed from Redis. Successive halving submits a rung when the
 * previous one has finished. The plan, the trial seeds and so the results are those of a local run.
 *
 * @throws TuneError on invalid options, when `results.json` exists but was made with another metric/mode,
 *   when the trial script does not exist (local runs), or with `queue` when Redis is unreachable or refuses
 *   the password (naming the URL, within its connect timeout). Trial failures are recorded, not thrown.
 */
export async function runSearch(opts: SearchOptions): Promise<SearchSummary> {
  const strategy = opts.strategy ?? 'random';
  if (!['grid', 'random', 'halving'].includes(strategy))
    throw new TuneError(`runSearch: strategy must be 'grid', 'random' or 'halving'. Received: strategy=${String(strategy)}`, { code: 'ERR_CNN_TUNE_OPTION' });
  const metric = opts.metric ?? 'val_accuracy';
  const mode = opts.mode ?? 'max';
  if (mode !== 'max' && mode !== 'min')
    throw new TuneError(`runSearch: mode must be 'max' or 'min'. Received: mode=${String(mode)}`, { code: 'ERR_CNN_TUNE_OPTION' });
  refuseTestMetric('runSearch', metric);
  const parallel = positiveInt('parallel', opts.parallel, 1);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new TuneError(`runSearch: seed must be an integer >= 0. Received: seed=${opts.seed}`);
  // Every number is checked here, before anything connects to Redis or writes to outDir.
  const trials = strategy === 'grid' ? 0 : positiveInt('trials', opts.trials, 10);
  const budget = strategy === 'halving' ? 0 : positiveInt('budget', opts.budget, 1);
  const eta = opts.eta ?? 3;
  if (!(Number.isInteger(eta) && eta >= 2)) throw new TuneError(`runSearch: eta must be an integer >= 2. Received: eta=${opts.eta}`);
  const minBudget = positiveInt('minBudget', opts.minBudget, 1);
  const maxBudget = positiveInt('maxBudget', opts.maxBudget, minBudget * eta * eta);
  if (maxBudget < minBudget) throw new TuneError(`runSearch: maxBudget (${maxBudget}) must be >= minBudget (${minBudget})`);
  if (opts.trialTimeoutS !== undefined && !(Number.isFinite(opts.trialTimeoutS) && opts.trialTimeoutS > 0))
    throw new TuneError(`runSearch: trialTimeoutS must be a number of seconds > 0. Received: trialTimeoutS=${opts.trialTimeoutS}`);
  const pollMs = opts.pollMs ?? 500;
  if (!(Number.isInteger(pollMs) && pollMs >= MIN_POLL_MS))
    throw new TuneError(
      `runSearch: pollMs must be an integer >= ${MIN_POLL_MS} (each poll reads every pending job from Redis). Received: pollMs=${opts.pollMs}`,
    );
  const log = opts.log ?? console.log;
  const script = path.resolve(opts.trialScript);
  const trialName = path.basename(opts.trialScript).replace(/\.[cm]?[jt]s$/, '');
  if (opts.queue !== undefined) {
    if (!TRIAL_NAME_RE.test(trialName))
      throw new TuneError(`runSearch: with queue, the trial script's name must be letters, digits, '_', '.', '-'. Received: ${trialName}`, {
        code: 'ERR_CNN_TUNE_OPTION',
      });
    const q = queueConnectionOptions(opts.queue);
    parseQueueUrl(q.url, q.tls); // a bad URL fails before anything is written
  } else if (!existsSync(script)) throw new TuneError(`runSearch: trialScript ${script} does not exist`, { code: 'ERR_CNN_TRIAL_SCRIPT' });
  if (strategy === 'grid')
    gridConfigs(opts.space); // a bad space fails before anything is written
  else normalizeSpace(opts.space);
  const artifactsDir = opts.artifactsDir === undefined ? undefined : path.resolve(opts.artifactsDir);
  const outDir = path.resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  const resultsFile = path.join(outDir, 'results.json');
  const previous = await readResults(resultsFile);
  if (previous && (previous.metric !== metric || previous.mode !== mode)) {
    throw new TuneError(`runSearch: ${resultsFile} was made for ${previous.mode} ${previous.metric}, not ${mode} ${metric}; use another outDir`, {
      code: 'ERR_CNN_RESULTS_FILE',
    });
  }
  const results: SearchResults = previous ?? { version: 1, strategy, metric, mode, trials: [] };
  const done = new Map(results.trials.map((t) => [t.id, t]));
  if (previous) log(`Resuming ${resultsFile}: ${previous.trials.length} finished trial(s) will not be re-run`);
  let saving: Promise<void> = Promise.resolve();
  let ran = 0;
  let reused = 0;
  let client: QueueClient | undefined;
  let searchId = '';
  if (opts.queue !== undefined) {
    // The search's id on the queue, kept in outDir so that a restarted search finds its jobs again.
    const idFile = path.join(outDir, 'queue.json');
    const stored = existsSync(idFile) ? (JSON.parse(await readFile(idFile, 'utf8')) as { searchId?: unknown }).searchId : undefined;
    client = await QueueClient.open(opts.queue, log);
    searchId = typeof stored === 'string' && /^[0-9a-f]{8}$/.test(stored) ? stored : randomBytes(4).toString('hex');
    if (stored !== searchId) await writeJsonAtomic(idFile, { searchId, trial: trialName });
    log(`Search ${searchId}: trials are jobs '${searchId}-<trial id>' for workers with '${trialName}' in their --trial-dir`);
  }

  const toRecord = (t: PlannedTrial, id: string, o: { ok: boolean; value?: unknown; error?: string; seconds: number; worker?: string }): TrialRecord => {
    const metrics: Record<string, number> = !o.ok ? {} : typeof o.value === 'number' ? { [metric]: o.value } : ((o.value as Record<string, number>) ?? {});
    const m = metrics[metric];
    const ok = o.ok && typeof m === 'number' && Number.isFinite(m);
    return {
      id,
      config: t.config,
      budget: t.budget,
      rung: t.rung,
      status: ok ? 'done' : 'failed',
      metric: ok ? m : null,
      metrics,
      seconds: o.seconds,
      finishedAt: new Date().toISOString(),
      ...(o.worker ? { worker: o.worker } : {}),
      ...(ok ? {} : { error: o.error ?? `trial reported no finite '${metric}' (got ${JSON.stringify(metrics)})` }),
    };
  };

  const trialArtifacts = async (id: string): Promise<string | undefined> => {
    if (!artifactsDir) return undefined;
    const dir = path.join(artifactsDir, id);
    await mkdir(dir, { recursive: true });
    return dir;
  };

  /** Runs unique unfinished trials in local worker processes, `parallel` at a time. */
  const runLocal = async (todo: { t: PlannedTrial; id: string }[], record: (t: PlannedTrial, rec: TrialRecord) => Promise<void>): Promise<void> => {
    let next = 0;
    const loop = async (): Promise<void> => {
      while (next < todo.length) {
        const { t, id } = todo[next++];
        log(`Trial ${id} (rung ${t.rung}, budget ${t.budget}): ${JSON.stringify(t.config)}`);
        const msg: RunMessage = {
          type: 'run',
          config: t.config,
          budget: t.budget,
          trialId: id,
          seed: seedFor(id, seed),
          rung: t.rung,
          artifactsDir: await trialArtifacts(id),
        };
        const o = await startTrialProcess(script, msg, {
          execArgv: opts.execArgv,
          env: { ...process.env, ...opts.env },
          timeoutS: opts.trialTimeoutS,
          onLog: (line) => log(`  [${id}] ${line}`),
        }).outcome;
        await record(t, toRecord(t, id, o));
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, Math.max(1, todo.length)) }, loop));
  };

  /** Runs unique unfinished trials as jobs on the queue (id `<searchId>-<trialId>`), recording each as it ends. */
  const runQueued = async (todo: { t: PlannedTrial; id: string }[], record: (t: PlannedTrial, rec: TrialRecord) => Promise<void>): Promise<void> => {
    const byJob = new Map(todo.map((x) => [`${searchId}-${x.id}`, x]));
    const jobs = todo.map(({ t, id }) => {
      const data: TrialJobData = {
        v: 1,
        kind: 'trial',
        trial: trialName,
        trialId: id,
        config: t.config,
        budget: t.budget,
        rung: t.rung,
        seed: seedFor(id, seed),
        ...(opts.trialTimeoutS ? { timeoutS: opts.trialTimeoutS } : {}),
      };
      log(`Trial ${id} (rung ${t.rung}, budget ${t.budget}) queued: ${JSON.stringify(t.config)}`);
      return { id: `${searchId}-${id}`, data };
    });
    await client!.runJobs(jobs, {
      pollMs,
      onProgress: (jobId, p, worker) => {
        const { epoch, ...m } = p;
        log(
          `  [${byJob.get(jobId)!.id}] epoch ${String(epoch)}: ${Object.entries(m)
            .map(([k, v]) => `${k} ${typeof v === 'number' ? +v.toFixed(4) : String(v)}`)
            .join(', ')} (${worker ?? '?'})`,
        );
      },
      onFinished: async (f) => {
        const { t, id } = byJob.get(f.id)!;
        const r = f.value as { value?: unknown; seconds?: number } | undefined;
        await record(
          t,
          toRecord(
            t,
            id,
            f.ok ? { ok: true, value: r?.value, seconds: r?.seconds ?? 0, worker: f.worker } : { ok: false, error: f.error, seconds: 0, worker: f.worker },
          ),
        );
      },
    });
  };

  /** Runs the planned trials (reusing finished ones); returns their records in plan order. */
  const runAll = async (plan: PlannedTrial[]): Promise<TrialRecord[]> => {
    const todo = new Map<string, { t: PlannedTrial; id: string }>();
    for (const t of plan) {
      const id = trialId(t.config, t.budget);
      if (done.has(id)) reused++;
      else if (!todo.has(id)) todo.set(id, { t, id }); // a duplicate draw runs once
    }
    const record = async (_t: PlannedTrial, rec: TrialRecord): Promise<void> => {
      if (done.has(rec.id)) return; // recorded exactly once
      ran++;
      done.set(rec.id, rec);
      results.trials.push(rec);
      log(
        `Trial ${rec.id} ${rec.status}: ${metric} ${rec.metric ?? '-'} (${rec.seconds.toFixed(1)} s${rec.worker ? ` on ${rec.worker}` : ''})${rec.error ? ` — ${rec.error}` : ''}`,
      );
      saving = saving.then(() => writeResults(outDir, results));
      await saving;
    };
    await (client ? runQueued : runLocal)([...todo.values()], record);
    return plan.map((t) => done.get(trialId(t.config, t.budget))!);
  };

  let best: TrialRecord | undefined;
  try {
    if (strategy === 'halving') {
      let configs = randomConfigs(opts.space, trials, seed);
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
      const configs = strategy === 'grid' ? gridConfigs(opts.space) : randomConfigs(opts.space, trials, seed);
      const recs = await runAll(configs.map((config) => ({ config, budget, rung: 0 })));
      best = sortTrials(
        recs.filter((r) => r.status === 'done'),
        mode,
      )[0];
    }
  } finally {
    await client?.close();
  }
  await saving;
  await writeResults(outDir, results);
  if (best) await writeJsonAtomic(path.join(outDir, 'best.json'), { id: best.id, metric, value: best.metric, budget: best.budget, config: best.config });
  log(formatResultsTable(results));
  log(best ? `Best ${metric} ${best.metric} with ${JSON.stringify(best.config)} (trial ${best.id}, budget ${best.budget})` : 'No trial finished successfully');
  log(`Ran ${ran} trial(s), reused ${reused}; results in ${resultsFile} and results.csv`);
  return { results, best, ran, reused };
}
