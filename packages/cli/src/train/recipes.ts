/**
 * Training recipes as data (airbench's one-table style): one frozen hyperparameter object per recipe. The runner
 * ({@link resolveTrainConfig} → `trainClassifier`) merges the caller's values over the recipe's; benchmarks and
 * tests import these objects instead of retyping the values.
 *
 * @packageDocumentation
 */

import { BACKEND_CHOICES, PRECISION_CHOICES } from '@cnn/backend-onednn';

/** Optimizers the runner builds (`--optimizer`). */
export const OPTIMIZER_NAMES = ['adam', 'sgd'] as const;
/** An optimizer name. */
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/**
 * Training augmentation presets (`--augment`): the chapter's `standard` (RandomCrop(size, pad 4), horizontal flip,
 * ColorJitter 0.2), airbench's `flip-translate` (alternating flip + 2-pixel reflect-padded translation) or `none`.
 */
export const AUGMENT_NAMES = ['standard', 'flip-translate', 'none'] as const;
/** An augmentation preset. */
export type AugmentName = (typeof AUGMENT_NAMES)[number];

/**
 * Recipe names (`--recipe`): `standard` (the chapter's, per data set), `fast` (airbench94, CIFAR-10 only) and `muon`
 * (airbench94_muon, CIFAR-10 only).
 */
export const RECIPE_NAMES = ['standard', 'fast', 'muon'] as const;
/** A recipe name. */
export type RecipeName = (typeof RECIPE_NAMES)[number];

/** Backends `--backend` accepts (`selectBackend` of `@cnn/backend-onednn`). */
export const BACKEND_NAMES = BACKEND_CHOICES;
/** A backend name. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** A recipe's optimizer: an {@link OptimizerName}, or `muon` (the muon recipe's Muon + SGD parameter groups). */
export type RecipeOptimizer = OptimizerName | 'muon';

/**
 * The muon recipe's optimizer and schedule (airbench94_muon.py of KellerJordan/cifar10-airbench, its `main()`):
 * Muon on the conv filters, Nesterov SGD on the whitening bias, the BatchNorm biases and the head, each SGD group
 * with weight decay `weightDecayPerExample · batchSize / lr_g` (PyTorch semantics, so the decay per step is
 * `weightDecayPerExample · batchSize` scaled by the schedule).
 */
export interface MuonRecipeSettings {
  /** Muon's Newton–Schulz iterations (the reference's `zeropower_via_newtonschulz5(..., steps=3)`). */
  readonly nsSteps: number;
  /** Rescale every filter tensor to Frobenius norm √out before its update (the reference's Muon always does). */
  readonly normalizeWeights: boolean;
  /** SGD momentum (Nesterov) of the whitening-bias, BatchNorm-bias and head groups. */
  readonly sgdMomentum: number;
  /** Learning rate of the whitening bias (`bias_lr`), decayed linearly to 0 over its training epochs. */
  readonly whitenBiasLr: number;
  /** Learning rate of the BatchNorm biases (`bias_lr`). */
  readonly normBiasLr: number;
  /** Learning rate of the head (`head_lr`). */
  readonly headLr: number;
  /** Weight decay per training example: `wd = weightDecayPerExample · batchSize` (`2e-6 * batch_size`). */
  readonly weightDecayPerExample: number;
  /** Epochs the whitening bias trains (`whiten_bias_train_steps = ceil(3 · len(train_loader))`), then frozen. */
  readonly whitenBiasEpochs: number;
}

/** Compute precisions `--precision` accepts (`PRECISION_CHOICES` of `@cnn/backend-onednn`; `bf16` on onednn only). */
export const PRECISION_NAMES = PRECISION_CHOICES;
/** A precision name. */
export type PrecisionName = (typeof PRECISION_NAMES)[number];

/** One training recipe: every hyperparameter the runner needs, as plain values. */
export interface TrainingRecipe {
  /** `standard`, `fast` or `muon`. */
  readonly recipe: RecipeName;
  /** Human name, e.g. `MNIST (the chapter's recipe)`. */
  readonly title: string;
  /** Registered model (`@cnn/models`' `getModel`). */
  readonly model: string;
  /** Epochs; may be fractional when {@link TrainingRecipe.fractionalEpochs} (airbench's 9.9). */
  readonly epochs: number;
  /** Whether `epochs` may be fractional (`fit` then trains `ceil(batches · epochs)` batches). */
  readonly fractionalEpochs: boolean;
  /** Training batch size. */
  readonly batchSize: number;
  /** Evaluation batch size (validation and test). */
  readonly evalBatchSize: number;
  /** Initial learning rate (the fast recipe: airbench's decoupled value per 1024 examples; the muon recipe: Muon's). */
  readonly lr: number;
  /** Optimizer (`muon`: the muon recipe's groups, see {@link TrainingRecipe.muon}). */
  readonly optimizer: RecipeOptimizer;
  /** SGD momentum (the muon recipe: Muon's). */
  readonly momentum: number;
  /** Nesterov momentum (SGD; the muon recipe: Muon's). */
  readonly nesterov: boolean;
  /**
   * L2 weight decay, PyTorch semantics (the fast recipe: airbench's decoupled value per 1024 examples; the muon
   * recipe: 0 for Muon, its SGD groups' decay is {@link MuonRecipeSettings.weightDecayPerExample}).
   */
  readonly weightDecay: number;
  /** Label smoothing of the training loss. */
  readonly labelSmoothing: number;
  /** Training loss reduction over a batch. */
  readonly reduction: 'mean' | 'sum';
  /** LR schedule spec (`parseSchedulerSpec` of `@cnn/train`), e.g. `multistep:milestones=25|40,gamma=0.1`; none when absent. */
  readonly scheduler?: string;
  /** Training augmentation. */
  readonly augment: AugmentName;
  /** Evaluate validation / test after every N-th epoch; 0 = the final model only. */
  readonly evalEvery: number;
  /** airbench's test-time augmentation level of the final evaluation (0 = none). */
  readonly tta: 0 | 1 | 2;
  /** Drop the last short training batch. */
  readonly dropLast: boolean;
  /** airbench94's patch whitening and Lookahead (the fast recipe only). */
  readonly whitening: boolean;
  /** Lookahead weight averaging (the fast recipe only). */
  readonly lookahead: boolean;
  /** The muon recipe's parameter groups and their hyperparameters (that recipe only). */
  readonly muon?: MuonRecipeSettings;
  /** Default run folder (relative to the working directory). */
  readonly out: string;
}

/** The chapter's MNIST recipe: MNISTNet, Adam 1e-3, batch 64, 10 epochs, no augmentation. Also Fashion-MNIST's. */
export const MNIST_RECIPE: TrainingRecipe = Object.freeze({
  recipe: 'standard',
  title: 'MNIST',
  model: 'mnistnet',
  epochs: 10,
  fractionalEpochs: false,
  batchSize: 64,
  evalBatchSize: 1000,
  lr: 1e-3,
  optimizer: 'adam',
  momentum: 0.9,
  nesterov: false,
  weightDecay: 0,
  labelSmoothing: 0,
  reduction: 'mean',
  augment: 'none',
  evalEvery: 1,
  tta: 0,
  dropLast: false,
  whitening: false,
  lookahead: false,
  out: 'runs/mnist',
} as const);

/**
 * The chapter's CIFAR-10 recipe: CIFAR10Net, SGD 0.1 (momentum 0.9, weight decay 5e-4), batch 128, 50 epochs,
 * MultiStepLR [25, 40] × 0.1, RandomCrop(32, pad 4) + flip + ColorJitter 0.2.
 */
export const CIFAR10_STANDARD_RECIPE: TrainingRecipe = Object.freeze({
  recipe: 'standard',
  title: 'CIFAR-10',
  model: 'cifar10net',
  epochs: 50,
  fractionalEpochs: true,
  batchSize: 128,
  evalBatchSize: 500,
  lr: 0.1,
  optimizer: 'sgd',
  momentum: 0.9,
  nesterov: false,
  weightDecay: 5e-4,
  labelSmoothing: 0,
  reduction: 'mean',
  scheduler: 'multistep:milestones=25|40,gamma=0.1',
  augment: 'standard',
  evalEvery: 1,
  tta: 0,
  dropLast: false,
  whitening: false,
  lookahead: false,
  out: 'runs/cifar10',
} as const);

/**
 * The fast CIFAR-10 recipe, airbench94 (K. Jordan, arXiv 2404.00498; `hyp` of `airbench/lib_airbench94.py`):
 * 9.9 epochs at batch 1024 (last short batch dropped), Nesterov SGD with the decoupled `lr` 11.5 and weight
 * decay 0.0153 per 1024 examples, momentum 0.85, label smoothing 0.2 on a summed loss, warm-up + linear decay per
 * batch, Lookahead, patch whitening, alternating flip + 2-px translation, evaluated once at the end with TTA level 2.
 * Its fixed values without a flag are `AIRBENCH94_RECIPE`.
 */
export const CIFAR10_FAST_RECIPE: TrainingRecipe = Object.freeze({
  recipe: 'fast',
  title: 'CIFAR-10, fast recipe',
  model: 'airbench94',
  epochs: 9.9,
  fractionalEpochs: true,
  batchSize: 1024,
  evalBatchSize: 500,
  lr: 11.5,
  optimizer: 'sgd',
  momentum: 0.85,
  nesterov: true,
  weightDecay: 0.0153,
  labelSmoothing: 0.2,
  reduction: 'sum',
  augment: 'flip-translate',
  evalEvery: 0,
  tta: 2,
  dropLast: true,
  whitening: true,
  lookahead: true,
  out: 'runs/cifar10-fast',
} as const);

/**
 * The Muon CIFAR-10 recipe, airbench94_muon (K. Jordan; `airbench94_muon.py` of KellerJordan/cifar10-airbench,
 * 94.01% mean over 200 runs in the reference): airbench94's network, data and evaluation with another optimizer —
 * Muon (lr 0.24, Nesterov momentum 0.6, 3 Newton–Schulz iterations, filters renormalised to Frobenius norm √out
 * each step) on the conv filters, Nesterov SGD (momentum 0.85) on the whitening bias (lr 0.053, trained 3 epochs),
 * the BatchNorm biases (lr 0.053) and the head (lr 0.67), weight decay `2e-6 · batch` per step; every rate decays
 * linearly to 0 per batch without warm-up (the whitening bias' over its 3 epochs); batch 2000, 8 epochs, no
 * Lookahead; the head's weights rescaled to standard deviation 1 and its logits divided by the width (256) instead of
 * airbench94's `× 1/9`; label smoothing 0.2 on a summed loss; TTA level 2.
 */
export const CIFAR10_MUON_RECIPE: TrainingRecipe = Object.freeze({
  recipe: 'muon',
  title: 'CIFAR-10, Muon recipe',
  model: 'airbench94',
  epochs: 8,
  fractionalEpochs: true,
  batchSize: 2000,
  evalBatchSize: 500,
  lr: 0.24,
  optimizer: 'muon',
  momentum: 0.6,
  nesterov: true,
  weightDecay: 0,
  labelSmoothing: 0.2,
  reduction: 'sum',
  augment: 'flip-translate',
  evalEvery: 0,
  tta: 2,
  dropLast: true,
  whitening: true,
  lookahead: false,
  muon: Object.freeze({
    nsSteps: 3,
    normalizeWeights: true,
    sgdMomentum: 0.85,
    whitenBiasLr: 0.053,
    normBiasLr: 0.053,
    headLr: 0.67,
    weightDecayPerExample: 2e-6,
    whitenBiasEpochs: 3,
  }),
  out: 'runs/cifar10-muon',
} as const);

/**
 * The recipe for a folder of your own images: CIFAR10Net (32×32×3 input; `--image-size 32` resizes), Adam 1e-3,
 * batch 32, 10 epochs, flip + crop augmentation off (images of any content), evaluated every epoch.
 */
export const FOLDER_RECIPE: TrainingRecipe = Object.freeze({
  recipe: 'standard',
  title: 'image folder',
  model: 'cifar10net',
  epochs: 10,
  fractionalEpochs: false,
  batchSize: 32,
  evalBatchSize: 256,
  lr: 1e-3,
  optimizer: 'adam',
  momentum: 0.9,
  nesterov: false,
  weightDecay: 0,
  labelSmoothing: 0,
  reduction: 'mean',
  augment: 'none',
  evalEvery: 1,
  tta: 0,
  dropLast: false,
  whitening: false,
  lookahead: false,
  out: 'runs/folder',
} as const);

/** The built-in data sets `cnn train` names. */
export const BUILTIN_SOURCES = ['mnist', 'fashion-mnist', 'cifar10'] as const;
/** A built-in data set. */
export type BuiltinSource = (typeof BUILTIN_SOURCES)[number];

/**
 * The recipe of a source: `mnist` / `fashion-mnist` → {@link MNIST_RECIPE} (out `runs/<source>`); `cifar10` →
 * {@link CIFAR10_STANDARD_RECIPE}, {@link CIFAR10_FAST_RECIPE} or {@link CIFAR10_MUON_RECIPE}; an image folder → {@link FOLDER_RECIPE} (out
 * `runs/<folder name>`). Returns `undefined` for a recipe the source has not (the caller reports it).
 */
export function recipeFor(source: string, recipe: RecipeName, folderName?: string): TrainingRecipe | undefined {
  if (source === 'cifar10') return recipe === 'fast' ? CIFAR10_FAST_RECIPE : recipe === 'muon' ? CIFAR10_MUON_RECIPE : CIFAR10_STANDARD_RECIPE;
  if (recipe !== 'standard') return undefined;
  if (source === 'mnist') return MNIST_RECIPE;
  if (source === 'fashion-mnist') return Object.freeze({ ...MNIST_RECIPE, title: 'Fashion-MNIST', out: 'runs/fashion-mnist' });
  return Object.freeze({ ...FOLDER_RECIPE, out: `runs/${folderName ?? 'folder'}` });
}
