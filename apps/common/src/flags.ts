import * as path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseSchedulerSpec } from '@cnn/train';

/** Backends `--backend` accepts (see `selectBackend` in `@cnn/backend-onednn`). */
export const BACKEND_NAMES = ['auto', 'onednn', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
/** Optimizers `--optimizer` accepts. */
export const OPTIMIZER_NAMES = ['adam', 'sgd'] as const;

/**
 * A path from the command line, resolved against the directory the user ran the command in: pnpm runs an
 * app's script inside the app's folder but records the caller's directory in `INIT_CWD`, so
 * `pnpm mnist -- --out runs/x` at the repository root writes `./runs/x` there.
 */
export function resolveUserPath(p: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

/** Thrown for a bad command line; the apps print the message and exit with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `value` when it is one of `allowed`. @throws UsageError `Unknown FLAG "x"; expected one of …`. */
export function oneOf<T extends readonly string[]>(flag: string, value: string, allowed: T): T[number] {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`Unknown ${flag} "${value}"; expected one of ${allowed.join(', ')}`);
  }
  return value as T[number];
}

/** An integer ≥ 1. @throws UsageError `FLAG must be a positive integer, got "x"`. */
export function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n <= 0) {
    throw new UsageError(`${flag} must be a positive integer, got "${value}"`);
  }
  return n;
}

/** An integer ≥ 0. @throws UsageError `FLAG must be a non-negative integer, got "x"`. */
export function nonNegativeInt(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new UsageError(`${flag} must be a non-negative integer, got "${value}"`);
  }
  return n;
}

/** A finite number > 0. @throws UsageError `FLAG must be a positive number, got "x"`. */
export function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`${flag} must be a positive number, got "${value}"`);
  }
  return n;
}

/** A number in [0, 1) (momentum, label smoothing). @throws UsageError `FLAG must be in [0, 1), got "x"`. */
export function fraction(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n < 1)) throw new UsageError(`${flag} must be in [0, 1), got "${value}"`);
  return n;
}

/** Flags every training app shares; each app adds its data and model flags. */
export interface TrainingFlags {
  /** `--epochs`. */
  epochs: number;
  /** `--batch-size` (training; evaluation uses its own batch size). */
  batchSize: number;
  /** `--lr`: initial learning rate. */
  lr: number;
  /** `--optimizer adam|sgd`. */
  optimizer: (typeof OPTIMIZER_NAMES)[number];
  /** `--momentum` for SGD. */
  momentum: number;
  /** `--nesterov`: Nesterov momentum for SGD (`torch.optim.SGD(nesterov=True)`). */
  nesterov: boolean;
  /** `--weight-decay`: L2 penalty with PyTorch's semantics (added to the gradient). */
  weightDecay: number;
  /** `--backend`, default `auto` (onednn when its addon loads, else cpu with a warning). */
  backend: (typeof BACKEND_NAMES)[number];
  /** `--seed`: initialisation, shuffling, dropout, augmentation. */
  seed: number;
  /** `--out DIR`, absolute (relative paths are resolved with {@link resolveUserPath}). */
  out: string;
  /** `--log-every N` batches for plain progress lines (non-TTY). */
  logEvery: number;
  /** `--scheduler SPEC`, e.g. `multistep:milestones=25|40,gamma=0.1` (`parseSchedulerSpec` in `@cnn/train`). */
  scheduler?: string;
  /**
   * `--early-stopping-patience N`: stop after N epochs without a better validation loss; restore the best weights.
   * Needs a validation set (ignored, with a line, without one: early stopping never selects on the test set).
   */
  earlyStoppingPatience?: number;
  /** `--resume`: continue from `OUT/checkpoint` (written after every epoch) when it exists. */
  resume: boolean;
  /** `--lr-find`: run the learning-rate range test, write `OUT/lr-find.png`, print suggestions, and exit. */
  lrFind: boolean;
  /** `--clip-norm X`: clip gradients to global L2 norm X. */
  clipNorm?: number;
  /** `--label-smoothing X` in [0, 1): the training loss's label smoothing (`CrossEntropyLoss(label_smoothing=X)`); default 0. */
  labelSmoothing: number;
  /** `--debug-every N`: gradient/weight statistics and activation histograms every N batches (`OUT/debug/`). */
  debugEvery?: number;
  /** `--help`. */
  help: boolean;
}

/** Defaults an app chooses for the shared flags (its chapter recipe). */
export interface TrainingDefaults {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: (typeof OPTIMIZER_NAMES)[number];
  momentum?: number;
  weightDecay?: number;
  out: string;
  scheduler?: string;
  /**
   * Whether `--epochs` may be fractional (e.g. airbench's `9.9`: `fit` then trains `ceil(batches · epochs)`
   * batches). Default `false`: a positive integer.
   */
  fractionalEpochs?: boolean;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Usage lines of the shared flags, with an app's defaults. */
export function trainingUsage(d: TrainingDefaults): string {
  return `  --epochs N                  epochs (default ${d.epochs}${d.fractionalEpochs ? '; fractional: ceil(batches x N) batches in all' : ''})
  --batch-size N              training batch size (default ${d.batchSize})
  --lr X                      initial learning rate (default ${d.lr})
  --optimizer adam|sgd        optimizer (default ${d.optimizer})
  --momentum X                SGD momentum (default ${d.momentum ?? 0.9})
  --nesterov                  Nesterov momentum for SGD
  --weight-decay X            L2 weight decay, PyTorch semantics (default ${d.weightDecay ?? 0})
  --scheduler SPEC            LR schedule, e.g. multistep:milestones=5|8,gamma=0.1 | step:stepSize=5 |
                              cosine:tMax=10 | onecycle:maxLr=0.01 | plateau:patience=2 (default ${d.scheduler ?? 'none'})
  --early-stopping-patience N stop after N epochs without a lower validation loss; restores the best weights
                              (needs a validation set; never selects on the test set)
  --clip-norm X               clip gradients to global L2 norm X
  --label-smoothing X         label smoothing of the training loss, in [0, 1) (default 0)
  --resume                    continue from OUT/checkpoint (saved after every epoch)
  --lr-find                   learning-rate range test: writes OUT/lr-find.png, prints suggestions, exits
  --debug-every N             gradient/weight statistics + activation histograms every N batches
  --backend auto|onednn|webgpu|tensorflow|wasm|cpu   tfjs backend (default auto)
  --seed N                    random seed (default 0)
  --out DIR                   output directory (default ${d.out})
  --log-every N               plain progress line every N batches when not on a TTY (default 100)
  -h, --help                  this help`;
}

const TRAINING_OPTIONS: Options = {
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  momentum: { type: 'string' },
  nesterov: { type: 'boolean', default: false },
  'weight-decay': { type: 'string' },
  scheduler: { type: 'string' },
  'early-stopping-patience': { type: 'string' },
  'clip-norm': { type: 'string' },
  'label-smoothing': { type: 'string' },
  resume: { type: 'boolean', default: false },
  'lr-find': { type: 'boolean', default: false },
  'debug-every': { type: 'string' },
  backend: { type: 'string', default: 'auto' },
  seed: { type: 'string', default: '0' },
  out: { type: 'string' },
  'log-every': { type: 'string', default: '100' },
  help: { type: 'boolean', short: 'h', default: false },
};

/**
 * Parses an app's command line: the shared training flags plus the app's own `options` (node:util
 * `parseArgs` syntax). A lone `--`, as `pnpm <script> -- …` passes, is ignored.
 * @returns the shared flags and the app's raw values (strings/booleans) for it to validate.
 * @throws UsageError for unknown flags, bad names and non-positive numbers.
 */
export function parseTrainingArgs(
  argv: string[],
  defaults: TrainingDefaults,
  options: Options,
  usage: string,
): { flags: TrainingFlags; values: Record<string, string | boolean | undefined> } {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    values = parseArgs({
      args: argv.filter((a) => a !== '--'),
      options: { ...TRAINING_OPTIONS, ...options },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${usage}`);
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const opt = <T>(k: string, read: (flag: string, v: string) => T): T | undefined => (str(k) === undefined ? undefined : read(`--${k}`, str(k)!));
  const flags: TrainingFlags = {
    epochs: opt('epochs', defaults.fractionalEpochs ? positiveNumber : positiveInt) ?? defaults.epochs,
    batchSize: opt('batch-size', positiveInt) ?? defaults.batchSize,
    lr: opt('lr', positiveNumber) ?? defaults.lr,
    optimizer: str('optimizer') === undefined ? defaults.optimizer : oneOf('--optimizer', str('optimizer')!, OPTIMIZER_NAMES),
    momentum: opt('momentum', fraction) ?? defaults.momentum ?? 0.9,
    nesterov: values.nesterov === true,
    weightDecay:
      opt('weight-decay', (f, v) => {
        const n = Number(v);
        if (v.trim() === '' || !(n >= 0) || !Number.isFinite(n)) throw new UsageError(`${f} must be a non-negative number, got "${v}"`);
        return n;
      }) ??
      defaults.weightDecay ??
      0,
    scheduler:
      opt('scheduler', (f, v) => {
        try {
          parseSchedulerSpec(v);
        } catch (err) {
          throw new UsageError(`${f}: ${(err as Error).message}`);
        }
        return v;
      }) ?? defaults.scheduler,
    earlyStoppingPatience: opt('early-stopping-patience', positiveInt),
    clipNorm: opt('clip-norm', positiveNumber),
    labelSmoothing: opt('label-smoothing', fraction) ?? 0,
    resume: values.resume === true,
    lrFind: values['lr-find'] === true,
    debugEvery: opt('debug-every', positiveInt),
    backend: oneOf('--backend', str('backend')!, BACKEND_NAMES),
    seed: nonNegativeInt('--seed', str('seed')!),
    out: resolveUserPath(str('out') ?? defaults.out),
    logEvery: positiveInt('--log-every', str('log-every')!),
    help: values.help === true,
  };
  return { flags, values: values as Record<string, string | boolean | undefined> };
}
