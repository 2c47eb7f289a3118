import {
  oneOf,
  parseTrainingArgs,
  resolveUserPath,
  positiveInt,
  trainingUsage,
  UsageError,
  type TrainingDefaults,
  type TrainingFlags,
  positiveNumber,
} from '@cnn/app-common';

/** Augmentation presets: the chapter's `standard` (RandomCrop 32 pad 4, flip, ColorJitter 0.2) or `none`. */
export const AUGMENT_NAMES = ['standard', 'none'] as const;

/** The chapter's CIFAR-10 recipe: SGD 0.1, momentum 0.9, weight decay 5e-4, batch 128, 50 epochs, MultiStepLR [25, 40]. */
export const CIFAR10_DEFAULTS: TrainingDefaults = {
  epochs: 50,
  batchSize: 128,
  lr: 0.1,
  optimizer: 'sgd',
  momentum: 0.9,
  weightDecay: 5e-4,
  out: 'runs/cifar10',
};

/** Parsed command line of the CIFAR-10 app. */
export interface Cifar10Flags extends TrainingFlags {
  /** `--model`: a registered model with 32×32×3 input, default `cifar10net`. */
  model: string;
  /** `--data-dir`: official binary (`cifar-10-batches-bin`) or image folder (`train/`, `test/`), detected. Default: the shared JPEG archive, extracted to a cache. */
  dataDir?: string;
  /** `--augment`, default `standard`. */
  augment: (typeof AUGMENT_NAMES)[number];
  /** `--milestones` of MultiStepLR (gamma 0.1), epochs, default `25,40`; ignored when `--scheduler` is given. */
  milestones: number[];
  /** `--subset N`: train on N training images drawn at random (seeded) — a class-balanced quick run. */
  subset?: number;
  /** `--mixup ALPHA`: MixUp (Beta(α, α) mixing of each batch, soft labels) after the augmentation. */
  mixup?: number;
  /** `--cutmix ALPHA`: CutMix (a Beta(α, α)-sized box from the partner image, soft labels); not with `--mixup`. */
  cutmix?: number;
}

export const USAGE = `Usage: pnpm cifar10 -- [flags]
  --model NAME                network with 32x32x3 input (default cifar10net; also resnet18-cifar, densenet-bc)
  --data-dir DIR              official binary batches or image folder (detected); default: the offline JPEG archive
  --augment standard|none     standard = RandomCrop(32, pad 4) + horizontal flip + ColorJitter(0.2, 0.2, 0.2)
  --milestones A,B            MultiStepLR milestones in epochs, gamma 0.1 (default 25,40)
  --subset N                  train on N random training images (seeded)
  --mixup ALPHA               MixUp with Beta(ALPHA, ALPHA) weights (soft labels), e.g. 0.2
  --cutmix ALPHA              CutMix with Beta(ALPHA, ALPHA) box areas (soft labels), e.g. 1; not with --mixup
${trainingUsage(CIFAR10_DEFAULTS)}`;

function milestones(flag: string, value: string): number[] {
  const ms = value.split(',').map((v) => positiveInt(flag, v.trim()));
  for (let i = 1; i < ms.length; i++) {
    if (ms[i]! <= ms[i - 1]!) throw new UsageError(`${flag} must be increasing, got "${value}"`);
  }
  return ms;
}

/**
 * Parses the CIFAR-10 app's flags; `--milestones` becomes the `multistep` scheduler unless `--scheduler` is set.
 * @throws UsageError for unknown flags or names, non-positive numbers, non-increasing milestones.
 */
export function parseFlags(argv: string[]): Cifar10Flags {
  const { flags, values } = parseTrainingArgs(
    argv,
    CIFAR10_DEFAULTS,
    {
      model: { type: 'string', default: 'cifar10net' },
      'data-dir': { type: 'string' },
      augment: { type: 'string', default: 'standard' },
      milestones: { type: 'string', default: '25,40' },
      subset: { type: 'string' },
      mixup: { type: 'string' },
      cutmix: { type: 'string' },
    },
    USAGE,
  );
  if (values.mixup !== undefined && values.cutmix !== undefined) throw new UsageError('--mixup and --cutmix exclude each other; choose one');
  const ms = milestones('--milestones', values.milestones as string);
  return {
    ...flags,
    scheduler: flags.scheduler ?? `multistep:milestones=${ms.join('|')},gamma=0.1`,
    model: values.model as string,
    dataDir: values['data-dir'] === undefined ? undefined : resolveUserPath(values['data-dir'] as string),
    augment: oneOf('--augment', values.augment as string, AUGMENT_NAMES),
    milestones: ms,
    subset: values.subset === undefined ? undefined : positiveInt('--subset', values.subset as string),
    mixup: values.mixup === undefined ? undefined : positiveNumber('--mixup', values.mixup as string),
    cutmix: values.cutmix === undefined ? undefined : positiveNumber('--cutmix', values.cutmix as string),
  };
}
