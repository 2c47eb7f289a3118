import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_SPACE, runSearch, TuneError, type SearchOptions, type SearchSpace, type SearchStrategy, type SearchSummary } from '@cnn/tune';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { RegisterCommand } from '../program.js';
import { numberFlag, QUEUE_HELP, queueFromFlags, type QueueFlags } from './flags.js';

/** The flags of `cnn search` as commander parses them (strings; numbers are checked by {@link searchOptionsFromFlags}). */
export interface SearchFlags extends QueueFlags {
  trial: string;
  out: string;
  strategy?: string;
  space?: string;
  trials?: string;
  budget?: string;
  minBudget?: string;
  maxBudget?: string;
  eta?: string;
  metric?: string;
  mode?: string;
  parallel?: string;
  seed?: string;
  timeout?: string;
  artifacts?: string;
  pollMs?: string;
}

/**
 * `cnn search` flags → `runSearch` options (`@cnn/tune`), every value checked before anything connects or writes:
 * integers where counts are expected (`--trials`, `--parallel`, … >= 1), `--timeout` > 0 seconds, `--poll-ms`
 * >= 50, the queue URL, and no `test_*` metric. Paths are resolved against the current folder (`--trial` keeps its
 * name for the queue's workers).
 * @throws UsageError naming the flag and the received value.
 */
export function searchOptionsFromFlags(flags: SearchFlags, env: NodeJS.ProcessEnv = process.env): SearchOptions {
  const strategy = flags.strategy ?? 'random';
  if (!['grid', 'random', 'halving'].includes(strategy)) throw new UsageError(`--strategy must be grid, random or halving. Received: ${strategy}`);
  const mode = flags.mode ?? 'max';
  if (mode !== 'max' && mode !== 'min') throw new UsageError(`--mode must be max or min. Received: ${mode}`);
  if (flags.metric !== undefined && /^test_/.test(flags.metric))
    throw new UsageError(
      `--metric ${flags.metric} is measured on the test set; select on a validation metric (val_accuracy, val_loss) and keep the test set for the final report`,
    );
  const count = (flag: string, v: string | undefined): number | undefined => numberFlag(flag, v, { integer: true, min: 1 });
  const opts: SearchOptions = {
    trialScript: path.resolve(flags.trial),
    outDir: path.resolve(flags.out),
    space: DEFAULT_SPACE,
    strategy: strategy as SearchStrategy,
    trials: count('--trials', flags.trials),
    budget: count('--budget', flags.budget),
    minBudget: count('--min-budget', flags.minBudget),
    maxBudget: count('--max-budget', flags.maxBudget),
    eta: numberFlag('--eta', flags.eta, { integer: true, min: 2 }),
    metric: flags.metric,
    mode,
    parallel: count('--parallel', flags.parallel),
    seed: numberFlag('--seed', flags.seed, { integer: true, min: 0 }),
    trialTimeoutS: numberFlag('--timeout', flags.timeout, { min: 0, exclusive: true }),
    pollMs: numberFlag('--poll-ms', flags.pollMs, { integer: true, min: 50 }),
    artifactsDir: flags.artifacts === undefined ? undefined : path.resolve(flags.artifacts),
    queue: queueFromFlags(flags, env),
  };
  if (flags.space !== undefined) {
    const file = path.resolve(flags.space);
    try {
      opts.space = JSON.parse(readFileSync(file, 'utf8')) as SearchSpace;
    } catch (err) {
      throw new UsageError(`--space ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  for (const k of Object.keys(opts) as (keyof SearchOptions)[]) if (opts[k] === undefined) delete opts[k];
  return opts;
}

/**
 * Fails a search whose every trial failed (so the command exits 1), naming the first error.
 * @throws TuneError `ERR_CNN_ALL_TRIALS_FAILED`.
 */
export function assertSomeTrialFinished(s: SearchSummary, outDir: string): void {
  if (s.best || s.results.trials.length === 0) return;
  const first = s.results.trials.find((t) => t.error)?.error ?? 'no error recorded';
  throw new TuneError(`every trial failed (${s.results.trials.length}); see ${path.join(outDir, 'results.json')}. First error: ${first}`, {
    code: 'ERR_CNN_ALL_TRIALS_FAILED',
  });
}

/**
 * `cnn search`: grid, random or successive-halving hyperparameter search (`@cnn/tune`'s `runSearch`), trials in
 * local worker processes or, with `--queue`, as jobs for `cnn worker`s on any machines. Exits 1 when every trial
 * failed, 2 for a bad flag.
 */
export const registerSearch: RegisterCommand = (program: Command) => {
  program
    .command('search')
    .summary('hyperparameter search, in local worker processes or on a Redis queue')
    .description(
      'Grid, random or successive-halving search. Each trial runs a script that calls serveTrial (@cnn/tune) and ' +
        'reports validation metrics. Results go to OUT/results.json, results.csv and best.json; running the same ' +
        `command again resumes (finished trials are not re-run).${QUEUE_HELP}`,
    )
    .requiredOption('--trial <script>', "trial script (calls serveTrial); with --queue, its name in the workers' --trial-dir (mnist-trial)")
    .requiredOption('--out <dir>', 'results folder (resumed when it has results.json)')
    .option('--strategy <s>', 'grid | random | halving (default random)')
    .option('--space <file.json>', 'search space (default: lr, batchSize, weightDecay, dropout, optimizer)')
    .option('--trials <n>', 'configurations for random / halving (default 10)')
    .option('--budget <epochs>', 'epochs per grid / random trial (default 1)')
    .option('--min-budget <n>', 'halving: first-rung epochs (default 1)')
    .option('--max-budget <n>', 'halving: largest budget (default min·eta²)')
    .option('--eta <n>', 'halving: reduction factor, >= 2 (default 3)')
    .option('--metric <name>', 'objective, a validation metric (default val_accuracy; test_* is refused)')
    .option('--mode <m>', 'max | min (default max)')
    .option('--parallel <n>', 'trials at once, in local worker processes (default 1)')
    .option('--seed <n>', 'seed (default 0)')
    .option('--timeout <s>', 'kill a trial after this many seconds (> 0)')
    .option('--artifacts <dir>', 'per-trial folders for epoch checkpoints (local runs)')
    .option('--queue <url>', 'run the trials as jobs on a BullMQ queue in Redis, taken by cnn worker processes')
    .option('--queue-name <name>', 'queue name (default cnn-tune)')
    .option('--poll-ms <ms>', 'queue status polls, >= 50 (default 500)')
    .option('--tls-ca <file>', 'CA certificate for rediss://')
    .option('--tls-cert <file>', 'client certificate for rediss://')
    .option('--tls-key <file>', 'key of the client certificate')
    .action(async (flags: SearchFlags) => {
      const opts = searchOptionsFromFlags(flags);
      const summary = await runSearch(opts);
      assertSomeTrialFinished(summary, opts.outDir);
    });
};
