import {
  nonNegativeInt,
  oneOf,
  parseTrainingArgs,
  resolveUserPath,
  positiveInt,
  positiveNumber,
  trainingUsage,
  UsageError,
  type TrainingDefaults,
  type TrainingFlags,
} from '@cnn/app-common';

/** Training recipes: the chapter's `standard` one, and `fast` (airbench94's, Jordan 2024, arXiv 2404.00498). */
export const RECIPE_NAMES = ['standard', 'fast'] as const;
/** A training recipe's name. */
export type RecipeName = (typeof RECIPE_NAMES)[number];

/**
 * Augmentation presets: the chapter's `standard` (RandomCrop 32 pad 4, flip, ColorJitter 0.2), airbench's
 * `flip-translate` (alternating flip + 2-pixel reflect-padded translation) or `none`.
 */
export const AUGMENT_NAMES = ['standard', 'flip-translate', 'none'] as const;

/** The chapter's CIFAR-10 recipe: SGD 0.1, momentum 0.9, weight decay 5e-4, batch 128, 50 epochs, MultiStepLR [25, 40]. */
export const CIFAR10_DEFAULTS: TrainingDefaults = {
  epochs: 50,
  batchSize: 128,
  lr: 0.1,
  optimizer: 'sgd',
  momentum: 0.9,
  weightDecay: 5e-4,
  out: 'runs/cifar10',
  fractionalEpochs: true,
};

/**
 * The fast recipe's values of the shared flags, in airbench94's decoupled form (`hyp['opt']` of
 * `airbench/lib_airbench94.py`): 9.9 epochs at batch 1024, `lr` 11.5 per 1024 examples, momentum 0.85 (Nesterov),
 * weight decay 0.0153 per 1024 examples, label smoothing 0.2 (see `fastRecipeSettings`).
 */
export const FAST_DEFAULTS: TrainingDefaults = {
  epochs: 9.9,
  batchSize: 1024,
  lr: 11.5,
  optimizer: 'sgd',
  momentum: 0.85,
  weightDecay: 0.0153,
  out: 'runs/cifar10-fast',
  fractionalEpochs: true,
};

/** Label smoothing of the fast recipe (airbench's `label_smoothing`). */
export const FAST_LABEL_SMOOTHING = 0.2;

/** Parsed command line of the CIFAR-10 app. */
export interface Cifar10Flags extends TrainingFlags {
  /** `--recipe`, default `standard`. */
  recipe: RecipeName;
  /** `--model`: a registered model with 32×32×3 input; default `cifar10net` (`standard`), `airbench94` (`fast`, the only one it takes). */
  model: string;
  /** `--data-dir`: official binary (`cifar-10-batches-bin`) or image folder (`train/`, `test/`), detected. Default: the shared JPEG archive, extracted to a cache. */
  dataDir?: string;
  /** `--augment`; default `standard` (`standard` recipe) or `flip-translate` (`fast`). */
  augment: (typeof AUGMENT_NAMES)[number];
  /** `--milestones` of MultiStepLR (gamma 0.1), epochs, default `25,40`; ignored when `--scheduler` is given (`standard` recipe only). */
  milestones: number[];
  /** `--subset N`: train on N training images drawn at random (seeded) — a class-balanced quick run. */
  subset?: number;
  /** `--mixup ALPHA`: MixUp (Beta(α, α) mixing of each batch, soft labels) after the augmentation. */
  mixup?: number;
  /** `--cutmix ALPHA`: CutMix (a Beta(α, α)-sized box from the partner image, soft labels); not with `--mixup`. */
  cutmix?: number;
  /** `--eval-every N`: test evaluation after every N-th epoch; `0` = the final model only. Default `1` (`standard`), `0` (`fast`). */
  evalEvery: number;
  /** `--tta 0|1|2`: airbench's test-time augmentation level of the final evaluation. Default `0` (`standard`), `2` (`fast`). */
  tta: 0 | 1 | 2;
  /** `--widths A,B,C`: airbench94's conv-group widths (default 64,256,256). */
  widths?: [number, number, number];
  /** `false` with `--no-whitening` (`fast`): the first conv keeps the fixed `[I; −I]` patch kernel instead of the data's whitening. */
  whitening: boolean;
  /** `false` with `--no-lookahead` (`fast`): no Lookahead weight averaging. */
  lookahead: boolean;
}

export const USAGE = `Usage: pnpm cifar10 -- [flags]
  --recipe standard|fast      standard = the chapter's recipe (default); fast = airbench94's (Jordan 2024): airbench94
                              net, batch 1024, 9.9 epochs, Nesterov SGD with airbench's decoupled hyperparameters,
                              label smoothing 0.2, warm-up + linear decay, Lookahead, patch whitening, alternating
                              flip + 2-px translation, TTA level 2 (see the README)
  --model NAME                network with 32x32x3 input (standard: default cifar10net; also resnet18-cifar,
                              densenet-bc, airbench94; fast: airbench94 only)
  --data-dir DIR              official binary batches or image folder (detected); default: the offline JPEG archive
  --augment standard|flip-translate|none
                              standard = RandomCrop(32, pad 4) + horizontal flip + ColorJitter(0.2, 0.2, 0.2);
                              flip-translate = alternating flip + 2-px reflect translation (default of fast)
  --milestones A,B            MultiStepLR milestones in epochs, gamma 0.1 (standard; default 25,40)
  --subset N                  train on N random training images (seeded)
  --mixup ALPHA               MixUp with Beta(ALPHA, ALPHA) weights (soft labels), e.g. 0.2
  --cutmix ALPHA              CutMix with Beta(ALPHA, ALPHA) box areas (soft labels), e.g. 1; not with --mixup
  --eval-every N              evaluate the test set after every N-th epoch; 0 = the final model only
                              (default: 1 for standard, 0 for fast, whose wall time counts evaluation)
  --tta 0|1|2                 test-time augmentation of the final evaluation: 0 none, 1 mirror, 2 mirror +
                              1-px translations (default: 0 for standard, 2 for fast)
  --widths A,B,C              airbench94 conv-group widths (default 64,256,256)
  --no-whitening              fast: the first conv keeps a fixed [I; -I] patch kernel instead of patch whitening
  --no-lookahead              fast: no Lookahead weight averaging
  In the fast recipe --lr, --weight-decay are airbench's decoupled values (per 1024 examples; defaults 11.5,
  0.0153), --momentum defaults to 0.85 (always Nesterov), --label-smoothing to 0.2, --epochs to 9.9,
  --batch-size to 1024, --out to runs/cifar10-fast.
${trainingUsage(CIFAR10_DEFAULTS)}`;

function milestones(flag: string, value: string): number[] {
  const ms = value.split(',').map((v) => positiveInt(flag, v.trim()));
  for (let i = 1; i < ms.length; i++) {
    if (ms[i]! <= ms[i - 1]!) throw new UsageError(`${flag} must be increasing, got "${value}"`);
  }
  return ms;
}

function widths(flag: string, value: string): [number, number, number] {
  const ws = value.split(',').map((v) => positiveInt(flag, v.trim()));
  if (ws.length !== 3) throw new UsageError(`${flag} must be three positive integers A,B,C (the conv-group widths), got "${value}"`);
  return ws as [number, number, number];
}

/** The `--recipe` value of a command line (`--recipe X` or `--recipe=X`), validated; `standard` when absent. */
function recipeArg(argv: string[]): RecipeName {
  let value: string | undefined;
  argv.forEach((a, i) => {
    if (a === '--recipe' && i + 1 < argv.length) value = argv[i + 1];
    else if (a.startsWith('--recipe=')) value = a.slice('--recipe='.length);
  });
  return value === undefined ? 'standard' : oneOf('--recipe', value, RECIPE_NAMES);
}

/**
 * Parses the CIFAR-10 app's flags. `--recipe` picks the defaults of the shared flags (the chapter's, or
 * {@link FAST_DEFAULTS}); `--milestones` becomes the `multistep` scheduler of the standard recipe unless
 * `--scheduler` is set.
 * @throws UsageError for unknown flags or names (`Unknown --recipe "x"; expected one of standard, fast`),
 *   non-positive numbers, non-increasing milestones, and flags the recipe does not take (naming them).
 */
export function parseFlags(argv: string[]): Cifar10Flags {
  const recipe = recipeArg(argv);
  const fast = recipe === 'fast';
  const { flags, values } = parseTrainingArgs(
    argv,
    fast ? FAST_DEFAULTS : CIFAR10_DEFAULTS,
    {
      recipe: { type: 'string', default: 'standard' },
      model: { type: 'string' },
      'data-dir': { type: 'string' },
      augment: { type: 'string' },
      milestones: { type: 'string' },
      subset: { type: 'string' },
      mixup: { type: 'string' },
      cutmix: { type: 'string' },
      'eval-every': { type: 'string' },
      tta: { type: 'string' },
      widths: { type: 'string' },
      'no-whitening': { type: 'boolean', default: false },
      'no-lookahead': { type: 'boolean', default: false },
    },
    USAGE,
  );
  const given = (k: string): boolean => values[k] !== undefined && values[k] !== false;
  if (given('mixup') && given('cutmix')) throw new UsageError('--mixup and --cutmix exclude each other; choose one');
  const notFor = (keys: string[], why: string): void => {
    const bad = keys.filter(given).map((k) => `--${k}`);
    if (bad.length > 0) throw new UsageError(`${bad.join(', ')}: ${why}`);
  };
  if (fast) {
    notFor(
      ['scheduler', 'milestones', 'early-stopping-patience', 'lr-find'],
      'not taken by --recipe fast (its schedule is fixed: warm-up + linear decay per batch; the test set is evaluated at the end)',
    );
    if (flags.optimizer !== 'sgd') throw new UsageError('--optimizer: --recipe fast uses Nesterov SGD with parameter groups');
    if (given('model') && values.model !== 'airbench94') throw new UsageError(`--model ${String(values.model)}: --recipe fast trains airbench94 only`);
  } else {
    notFor(['no-whitening', 'no-lookahead'], 'only for --recipe fast');
  }
  const model = (values.model as string | undefined) ?? (fast ? 'airbench94' : 'cifar10net');
  if (given('widths') && model !== 'airbench94') throw new UsageError(`--widths: only for --model airbench94 (this run trains ${model})`);
  const ms = milestones('--milestones', (values.milestones as string | undefined) ?? '25,40');
  const evalEvery = nonNegativeInt('--eval-every', (values['eval-every'] as string | undefined) ?? (fast ? '0' : '1'));
  if (evalEvery !== 1) {
    if (flags.earlyStoppingPatience !== undefined)
      throw new UsageError(`--early-stopping-patience needs the test loss of every epoch; drop it or use --eval-every 1 (got --eval-every ${evalEvery})`);
    if (flags.scheduler?.startsWith('plateau'))
      throw new UsageError(`--scheduler plateau needs the test loss of every epoch; use --eval-every 1 (got --eval-every ${evalEvery})`);
  }
  const tta = Number(oneOf('--tta', (values.tta as string | undefined) ?? (fast ? '2' : '0'), ['0', '1', '2'] as const));
  return {
    ...flags,
    recipe,
    scheduler: fast ? undefined : (flags.scheduler ?? `multistep:milestones=${ms.join('|')},gamma=0.1`),
    nesterov: fast ? true : flags.nesterov,
    labelSmoothing: fast && !given('label-smoothing') ? FAST_LABEL_SMOOTHING : flags.labelSmoothing,
    model,
    dataDir: values['data-dir'] === undefined ? undefined : resolveUserPath(values['data-dir'] as string),
    augment: oneOf('--augment', (values.augment as string | undefined) ?? (fast ? 'flip-translate' : 'standard'), AUGMENT_NAMES),
    milestones: ms,
    subset: values.subset === undefined ? undefined : positiveInt('--subset', values.subset as string),
    mixup: values.mixup === undefined ? undefined : positiveNumber('--mixup', values.mixup as string),
    cutmix: values.cutmix === undefined ? undefined : positiveNumber('--cutmix', values.cutmix as string),
    evalEvery,
    tta: tta as 0 | 1 | 2,
    widths: values.widths === undefined ? undefined : widths('--widths', values.widths as string),
    whitening: values['no-whitening'] !== true,
    lookahead: values['no-lookahead'] !== true,
  };
}
