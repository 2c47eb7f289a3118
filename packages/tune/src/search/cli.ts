import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { QueueConnectionOptions } from '../queue/connection';
import { runSearch, type SearchOptions, type SearchStrategy, type SearchSummary } from './runner';
import { DEFAULT_SPACE, type SearchSpace } from './space';

/** Usage text of {@link runSearchCli}. */
export const SEARCH_USAGE = `Usage: search --trial <script> --out <dir> [options]
  --trial <script>     trial worker script (calls serveTrial); with --queue its name (mnist-trial)
  --out <dir>          results folder (resumed when it has results.json)
  --strategy <s>       grid | random | halving (default random)
  --space <file.json>  search space (default: lr, batchSize, weightDecay, dropout, optimizer)
  --trials <n>         configurations for random/halving (default 10)
  --budget <epochs>    epochs per grid/random trial (default 1)
  --min-budget <n>     halving: first-rung epochs (default 1)
  --max-budget <n>     halving: largest budget (default min·eta²)
  --eta <n>            halving: reduction factor (default 3)
  --metric <name>      objective (default val_accuracy)   --mode max|min (default max)
  --parallel <n>       trials at once, in worker processes (default 1)
  --seed <n>           seed (default 0)             --timeout <s> per trial
  --artifacts <dir>    per-trial folders for epoch checkpoints (local runs)
  --queue <url>        run the trials on a BullMQ queue in Redis (redis://[:password@]host:port[/db],
                       rediss:// for TLS) taken by 'cnn-tune worker's on any machines
  --queue-name <name>  queue name (default cnn-tune)  --poll-ms <ms> status polls (default 500)
  --tls-ca <file>      CA certificate for rediss://   --tls-cert <file> --tls-key <file> client certificate
  (the Redis password may come from the environment variable CNN_TUNE_REDIS_PASSWORD instead of the URL)`;

function int(name: string, v: string | undefined, cmd = 'search'): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${cmd}: --${name} must be an integer. Received: ${v}`);
  return n;
}

/**
 * The queue of `--queue`, `--queue-name`, `--tls-ca`, `--tls-cert`, `--tls-key` (or `undefined` without `--queue`);
 * the environment variable `CNN_TUNE_REDIS_PASSWORD` gives the password when the URL has none.
 * @throws Error naming the flag when TLS or queue-name flags come without `--queue`.
 */
export function queueFromArgs(values: Record<string, string | boolean | undefined>, cmd: string): QueueConnectionOptions | undefined {
  const extra = ['queue-name', 'tls-ca', 'tls-cert', 'tls-key'].filter((k) => values[k] !== undefined);
  if (values.queue === undefined) {
    if (extra.length) throw new Error(`${cmd}: --${extra[0]} needs --queue`);
    return undefined;
  }
  const tls = {
    caFile: values['tls-ca'] as string | undefined,
    certFile: values['tls-cert'] as string | undefined,
    keyFile: values['tls-key'] as string | undefined,
  };
  const password = process.env.CNN_TUNE_REDIS_PASSWORD || undefined;
  return {
    url: String(values.queue),
    name: values['queue-name'] as string | undefined,
    tls: Object.values(tls).some((v) => v !== undefined) ? tls : undefined,
    ...(password ? { password } : {}),
  };
}

/**
 * Parses the search CLI flags ({@link SEARCH_USAGE}) into {@link SearchOptions}.
 * @throws Error naming the flag when a value is invalid or `--trial` / `--out` is missing.
 */
export function parseSearchArgs(argv: string[]): SearchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      trial: { type: 'string' },
      out: { type: 'string' },
      strategy: { type: 'string' },
      space: { type: 'string' },
      trials: { type: 'string' },
      budget: { type: 'string' },
      'min-budget': { type: 'string' },
      'max-budget': { type: 'string' },
      eta: { type: 'string' },
      metric: { type: 'string' },
      mode: { type: 'string' },
      parallel: { type: 'string' },
      seed: { type: 'string' },
      timeout: { type: 'string' },
      artifacts: { type: 'string' },
      queue: { type: 'string' },
      'queue-name': { type: 'string' },
      'poll-ms': { type: 'string' },
      'tls-ca': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
    },
    strict: true,
  });
  if (!values.trial) throw new Error(`search: --trial is required\n${SEARCH_USAGE}`);
  if (!values.out) throw new Error(`search: --out is required\n${SEARCH_USAGE}`);
  let space: SearchSpace = DEFAULT_SPACE;
  if (values.space) {
    try {
      space = JSON.parse(readFileSync(values.space, 'utf8'));
    } catch (err) {
      throw new Error(`search: --space ${values.space}: ${(err as Error).message}`, { cause: err });
    }
  }
  return {
    trialScript: values.trial,
    outDir: values.out,
    space,
    strategy: values.strategy as SearchStrategy | undefined,
    trials: int('trials', values.trials),
    budget: int('budget', values.budget),
    minBudget: int('min-budget', values['min-budget']),
    maxBudget: int('max-budget', values['max-budget']),
    eta: int('eta', values.eta),
    metric: values.metric,
    mode: values.mode as 'max' | 'min' | undefined,
    parallel: int('parallel', values.parallel),
    seed: int('seed', values.seed),
    trialTimeoutS: int('timeout', values.timeout),
    artifactsDir: values.artifacts,
    pollMs: int('poll-ms', values['poll-ms']),
    queue: queueFromArgs(values, 'search'),
  };
}

/** Runs a search from CLI flags (see {@link SEARCH_USAGE}). */
export async function runSearchCli(argv: string[], log: (line: string) => void = console.log): Promise<SearchSummary> {
  return runSearch({ ...parseSearchArgs(argv), log });
}
