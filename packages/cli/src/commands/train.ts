import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UsageError } from '../errors.js';
import type { RegisterCommand } from '../program.js';
import {
  AUGMENT_NAMES,
  BACKEND_NAMES,
  PRECISION_NAMES,
  CIFAR10_FAST_RECIPE,
  CIFAR10_MUON_RECIPE,
  CIFAR10_STANDARD_RECIPE,
  FOLDER_RECIPE,
  MNIST_RECIPE,
  OPTIMIZER_NAMES,
  RECIPE_NAMES,
} from '../train/recipes.js';
import type { TrainClassifierOptions } from '../train/config.js';
import { trainClassifier } from '../train/train-classifier.js';

/** A finite number (range checks are `trainClassifier`'s, which name the flag). */
function num(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number.');
  return n;
}

/** An integer. */
function int(value: string): number {
  const n = num(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected an integer.');
  return n;
}

/** Comma-separated integers, e.g. `25,40`. */
function ints(value: string): number[] {
  return value.split(',').map((v) => int(v.trim()));
}

/** The values of `cnn train`'s flags as commander parses them. */
export interface TrainFlags extends Omit<TrainClassifierOptions, 'source' | 'log' | 'tta' | 'widths'> {
  tta?: number;
  widths?: number[];
}

const recipes = (): string =>
  [MNIST_RECIPE, CIFAR10_STANDARD_RECIPE, CIFAR10_FAST_RECIPE, CIFAR10_MUON_RECIPE, FOLDER_RECIPE]
    .map(
      (r) =>
        `  ${`${r.title} (${r.recipe})`.padEnd(30)} ${r.model}, ${r.optimizer} lr ${r.lr}, batch ${r.batchSize}, ${r.epochs} epochs` +
        `${r.scheduler ? `, ${r.scheduler}` : ''}${r.augment !== 'none' ? `, augment ${r.augment}` : ''}${r.tta ? `, TTA ${r.tta}` : ''}, --out ${r === FOLDER_RECIPE ? 'runs/<folder name>' : r.out}`,
    )
    .join('\n');

/**
 * `cnn train SOURCE [flags]`: trains a classifier on `mnist`, `fashion-mnist`, `cifar10` or a folder of class
 * sub-folders and writes the run folder — {@link trainClassifier} with the flags as options. Bad values exit 2
 * (`UsageError` / commander's own errors), failures exit 1.
 */
export const registerTrain: RegisterCommand = (program: Command) => {
  defineTrain(program, async (options) => {
    await trainClassifier(options);
  });
};

/** `flags` as {@link TrainClassifierOptions} for `source`. */
function toOptions(source: string, flags: TrainFlags): TrainClassifierOptions {
  return { ...flags, source, tta: flags.tta as TrainClassifierOptions['tta'], widths: flags.widths as TrainClassifierOptions['widths'] };
}

/**
 * Parses `cnn train`'s arguments (`SOURCE [flags]`, without `train`) into {@link TrainClassifierOptions} without
 * training, as the command does (a lone `--`, as `pnpm <script> -- …` passes, is dropped).
 * @throws UsageError with commander's message for an unknown flag, a missing SOURCE or a malformed value.
 */
export function parseTrainArgs(argv: string[]): TrainClassifierOptions {
  let result: TrainClassifierOptions | undefined;
  const program = new Command('cnn').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  defineTrain(program, (options) => {
    result = options;
  });
  try {
    program.parse(['train', ...argv.filter((a) => a !== '--')], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) throw new UsageError(err.message.replace(/^error: /, ''), { cause: err });
    throw err;
  }
  if (!result) throw new UsageError('cnn train: nothing parsed');
  return result;
}

function defineTrain(program: Command, run: (options: TrainClassifierOptions) => void | Promise<void>): void {
  program
    .command('train')
    .description('train a classifier on mnist, fashion-mnist, cifar10 or a folder of class sub-folders, and write the run folder')
    .argument('<SOURCE>', 'mnist | fashion-mnist | cifar10 | DIR (DIR/<class>/<image>.png|jpg)')
    .option('--model <name>', "network (registered in @cnn/models; default: the recipe's)")
    .addOption(
      new Option('--recipe <name>', 'standard (default) | fast (cifar10 only: airbench94) | muon (cifar10 only: airbench94_muon)').choices(RECIPE_NAMES),
    )
    .option('--data-dir <dir>', 'built-ins: where the data files are (MNIST IDX; CIFAR-10 binary batches or train/ + test/ folders)')
    .option('--test-dir <dir>', 'folders: a separate test folder with the same classes')
    .option('--image-size <n>', "folders: resize images to N x N (the model's input size)", int)
    .option(
      '--valid-pct <p>',
      'fraction held out for validation, in (0, 1), seeded and stratified (default 0.1 for folders, else 0.1 only with a selecting flag)',
      num,
    )
    .option('--limit <n>', 'train on the first N training images', int)
    .option('--subset <n>', 'train on N random training images (seeded)', int)
    .option('--epochs <n>', 'epochs (cifar10: may be fractional)', num)
    .option('--batch-size <n>', 'training batch size', int)
    .option('--lr <x>', 'initial learning rate (fast recipe: per 1024 examples)', num)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZER_NAMES))
    .option('--momentum <x>', 'SGD momentum, in [0, 1)', num)
    .option('--nesterov', 'Nesterov momentum for SGD')
    .option('--weight-decay <x>', 'L2 weight decay, PyTorch semantics (fast recipe: per 1024 examples)', num)
    .option(
      '--scheduler <spec>',
      'LR schedule: multistep:milestones=5|8,gamma=0.1 | step:stepSize=5 | cosine:tMax=10 | onecycle:maxLr=0.01 | plateau:patience=2',
    )
    .option('--milestones <a,b>', 'cifar10 standard: MultiStepLR milestones in epochs, gamma 0.1 (default 25,40)', ints)
    .addOption(new Option('--augment <name>', 'standard = crop + flip + colour jitter; flip-translate = airbench; none').choices(AUGMENT_NAMES))
    .option('--mixup <alpha>', 'MixUp with Beta(alpha, alpha) weights (soft labels)', num)
    .option('--cutmix <alpha>', 'CutMix with Beta(alpha, alpha) box areas; not with --mixup', num)
    .option('--label-smoothing <x>', 'label smoothing of the training loss, in [0, 1)', num)
    .option('--clip-norm <x>', 'clip gradients to global L2 norm X', num)
    .option('--early-stopping-patience <n>', 'stop after N epochs without a lower val_loss; restores the best weights', int)
    .option('--save-best', 'keep the best-val_accuracy model in OUT/best (a validation set is split off)')
    .option('--eval-every <n>', 'evaluate validation/test after every N-th epoch; 0 = the final model only', int)
    .addOption(
      new Option('--tta <level>', 'test-time augmentation of the final test evaluation: 0, 1 (mirror), 2 (+ 1-px translations)')
        .choices(['0', '1', '2'])
        .argParser(Number),
    )
    .option('--widths <a,b,c>', 'airbench94 conv-group widths (default 64,256,256)', ints)
    .option('--no-whitening', 'fast and muon recipes: fixed [I; -I] patch kernel instead of patch whitening')
    .option('--no-lookahead', 'fast recipe: no Lookahead weight averaging')
    .option('--resume', 'continue from OUT/checkpoint (refused when it holds another run)')
    .option('--lr-find', 'learning-rate range test: writes OUT/lr-find.png, prints suggestions, exits')
    .option('--debug-every <n>', 'gradient/weight statistics + activation histograms every N batches (OUT/debug/)', int)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(BACKEND_NAMES).default('auto'))
    .addOption(
      new Option(
        '--precision <name>',
        'conv/matmul precision: float32 (default) | bf16 (onednn only, CPUs with AVX512_BF16/AMX: bf16 oneDNN kernels, float32 master weights, batch norm and loss)',
      ).choices(PRECISION_NAMES),
    )
    .option('--seed <n>', 'random seed: initialisation, shuffling, split, dropout, augmentation', int, 0)
    .option('--out <dir>', "run folder (default: the recipe's, e.g. runs/mnist, runs/<folder name>)")
    .option('--log-every <n>', 'plain progress line every N batches when not on a TTY', int, 100)
    .addHelpText(
      'after',
      `\nRecipes (every flag overrides its value):\n${recipes()}\n\nWrites OUT/model/ (with class names, normalisation, image size), history.json, summary.json, analysis.json, report.html, checkpoint/, best/.`,
    )
    .action(async (source: string, flags: TrainFlags) => {
      await run(toOptions(source, flags));
    });
}
