/**
 * The fast CIFAR-10 recipe (`--recipe fast`): airbench94 (K. Jordan, "94% on CIFAR-10 in 3.29 seconds on a single
 * GPU", arXiv 2404.00498; reference code `airbench/lib_airbench94.py` and `airbench/utils.py` of
 * KellerJordan/cifar10-airbench) built from the toolkit's parts.
 *
 * @packageDocumentation
 */
import { CnnError } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { LRSchedulerCallback } from '@cnn/callbacks';
import { AlternatingFlip, Compose, RandomCrop, RandomHorizontalFlip } from '@cnn/augment';
import { CIFAR10_MEAN, CIFAR10_STD, DataLoader, createRng, deriveSeed, shuffleInPlace, type ImageDataset } from '@cnn/data';
import { WhiteningConv2D, initWhiteningAsync } from '@cnn/models';
import {
  LinearLR,
  LookaheadCallback,
  ParamGroupOptimizer,
  SGD,
  SequentialLR,
  airbenchLookaheadAlpha,
  Callback,
  type LRScheduler,
  type Optimizer,
} from '@cnn/train';

/** airbench94's fixed hyperparameters (`hyp` and `train()` of the reference) that have no flag. */
export const AIRBENCH94_RECIPE = Object.freeze({
  /** Learning-rate multiplier of the BatchNorm biases (`bias_scaler`; their weight decay is not scaled). */
  biasScaler: 64,
  /** Epochs during which the whitening bias trains (`whiten_bias_epochs`), then frozen. */
  whitenBiasEpochs: 3,
  /** Fraction of the steps spent warming up (`lr_peak`, the peak's position). */
  warmupFraction: 0.23,
  /** LR factor at step 0 (warm-up start). */
  lrStartFactor: 0.2,
  /** LR factor at the last step (`lr_end`). */
  lrEndFactor: 0.07,
  /** Lookahead period in optimizer steps. */
  lookaheadEvery: 5,
  /**
   * Training images the whitening is computed from: airbench's `train_loader.images[:5000]`, the first 5,000 of the
   * official order, which mixes the classes. Drawn here at random (seeded, see {@link whiteningIndices}): the offline
   * archive is stored class by class, and its first 5,000 images are all airplanes.
   */
  whiteningImages: 5000,
  /** Eigenvalue regulariser of the whitening (`init_whitening_conv(..., eps=5e-4)`). */
  whiteningEps: 5e-4,
  /** Translation in pixels (`aug['translate']`), reflect padding. */
  translate: 2,
});

/** One parameter group's PyTorch-style SGD settings (`weight_decay` added to the gradient). */
export interface SgdGroupSettings {
  lr: number;
  weightDecay: number;
}

/** The fast recipe's optimizer settings, see {@link fastOptimizerSettings}. */
export interface FastOptimizerSettings {
  /** `1024 · (1 + 1/(1 − momentum))`: airbench's `kilostep_scale`. */
  kilostepScale: number;
  /** The BatchNorm biases' group. */
  normBiases: SgdGroupSettings;
  /** Every other trainable parameter (conv kernels, head, whitening bias). */
  others: SgdGroupSettings;
  /** Momentum (Nesterov). */
  momentum: number;
}

/**
 * Converts airbench's decoupled hyperparameters into `torch.optim.SGD` parameter-group settings exactly as its
 * `train()` does: `kilostep = 1024·(1 + 1/(1 − momentum))`, `lr = lrPer1024 / kilostep`,
 * `wd = weightDecayPer1024 · batchSize / kilostep`, `lr_biases = lr · biasScaler`; group "norm biases"
 * `{lr: lr_biases, weight_decay: wd / lr_biases}`, group "others" `{lr, weight_decay: wd / lr}` — so every group's
 * decay per step `lr_g · weight_decay_g` is `wd`, whatever its learning rate.
 *
 * Defaults (11.5, 0.85, 0.0153, 1024, 64): `lr = 1.4649e-3`, `lr_biases = 0.09375`, `weight_decay` 1.3623 (others)
 * and 0.021286 (biases).
 * @throws CnnError (code `ERR_CNN_INVALID_OPTION`) unless `lr`, `weightDecay` (>= 0), `batchSize`, `biasScaler` are positive and `momentum ∈ [0, 1)`.
 */
export function fastOptimizerSettings(opts: {
  lr: number;
  momentum: number;
  weightDecay: number;
  batchSize: number;
  biasScaler?: number;
}): FastOptimizerSettings {
  const { lr, momentum, weightDecay, batchSize } = opts;
  const biasScaler = opts.biasScaler ?? AIRBENCH94_RECIPE.biasScaler;
  if (!(lr > 0) || !(weightDecay >= 0) || !(batchSize > 0) || !(biasScaler > 0) || !(momentum >= 0 && momentum < 1)) {
    throw new CnnError(
      `fastOptimizerSettings: expected lr > 0, weightDecay >= 0, batchSize > 0, biasScaler > 0, momentum in [0, 1). Received: ${JSON.stringify(opts)}`,
      { code: 'ERR_CNN_INVALID_OPTION' },
    );
  }
  const kilostepScale = 1024 * (1 + 1 / (1 - momentum));
  const base = lr / kilostepScale;
  const wd = (weightDecay * batchSize) / kilostepScale;
  const biasLr = base * biasScaler;
  return { kilostepScale, momentum, normBiases: { lr: biasLr, weightDecay: wd / biasLr }, others: { lr: base, weightDecay: wd / base } };
}

/**
 * Whether a trainable parameter is a BatchNorm bias of airbench94 (`block1.norm1/beta` …): airbench puts the
 * parameters whose name contains `norm` (only the biases train; the scales are frozen) in their own group.
 */
export function isNormBias(name: string): boolean {
  return /(^|\.)norm\d*\/beta$/.test(name);
}

/**
 * The fast recipe's optimizer: Nesterov SGD in two parameter groups ({@link fastOptimizerSettings}), BatchNorm
 * biases first. Its `lr` is the "others" group's rate; a scheduler scales both groups alike (as PyTorch's
 * `LambdaLR` scales every `param_group`).
 */
export function createFastOptimizer(settings: FastOptimizerSettings): ParamGroupOptimizer {
  const sgd = (g: SgdGroupSettings): SGD => new SGD({ lr: g.lr, weightDecay: g.weightDecay, momentum: settings.momentum, nesterov: true });
  return new ParamGroupOptimizer(
    [
      { name: 'norm-biases', params: isNormBias, optimizer: sgd(settings.normBiases) },
      { name: 'others', params: () => true, optimizer: sgd(settings.others) },
    ],
    { baseLr: settings.others.lr },
  );
}

/** Warm-up steps of a run of `totalSteps`: Python's `int(totalSteps · 0.23)` (airbench's `warmup_steps`). */
export function warmupSteps(totalSteps: number, fraction: number = AIRBENCH94_RECIPE.warmupFraction): number {
  return Math.trunc(totalSteps * fraction);
}

/**
 * airbench's learning-rate schedule, stepped once per batch: a linear warm-up of the factor from 0.2 to 1 over
 * `W = int(0.23 · totalSteps)` steps, then a linear decay from 1 to 0.07 over the remaining `totalSteps − W`
 * (its `get_lr` in `LambdaLR`), as `SequentialLR([LinearLR(0.2 → 1, W), LinearLR(1 → 0.07, total − W)],
 * milestones [W])` (only the decay when `W = 0`, a run of fewer than 5 steps).
 * @throws CnnError (code `ERR_CNN_INVALID_OPTION`) when `totalSteps` is not an integer >= 1.
 */
export function fastLrSchedule(optimizer: Optimizer, totalSteps: number): LRScheduler {
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1))
    throw new CnnError(`fastLrSchedule: totalSteps must be an integer >= 1. Received: totalSteps=${totalSteps}`, { code: 'ERR_CNN_INVALID_OPTION' });
  const w = warmupSteps(totalSteps);
  const { lrStartFactor, lrEndFactor } = AIRBENCH94_RECIPE;
  if (w === 0) return new LinearLR(optimizer, { startFactor: 1, endFactor: lrEndFactor, totalIters: totalSteps });
  return new SequentialLR(optimizer, {
    schedulers: [
      new LinearLR(optimizer, { startFactor: lrStartFactor, endFactor: 1, totalIters: w }),
      new LinearLR(optimizer, { startFactor: 1, endFactor: lrEndFactor, totalIters: totalSteps - w }),
    ],
    milestones: [w],
  });
}

/** The run's {@link WhiteningConv2D} (airbench94's `whiten`). @throws CnnError (code `ERR_CNN_INVALID_MODEL`) when the model has none. */
export function whiteningLayer(model: tfl.LayersModel): WhiteningConv2D {
  const layer = model.layers.find((l): l is WhiteningConv2D => l instanceof WhiteningConv2D);
  if (!layer) throw new CnnError(`model '${model.name}' has no WhiteningConv2D layer`, { code: 'ERR_CNN_INVALID_MODEL' });
  return layer;
}

/**
 * airbench's whitening-bias schedule as a `fit` callback: the whitening bias trains during the first
 * `epochs` epochs (`model[0].bias.requires_grad = (epoch < whiten_bias_epochs)`), then stays frozen. Set at every
 * `onEpochBegin` from the epoch number alone, so a resumed run gets it right without state.
 */
export class WhiteningBiasSchedule extends Callback {
  /** Checkpoint key. */
  override readonly stateKey = 'WhiteningBiasSchedule';

  constructor(readonly epochs: number = AIRBENCH94_RECIPE.whitenBiasEpochs) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    whiteningLayer(this.context.model).biasTrainable = epoch <= this.epochs;
  }
}

/** The fast recipe's callbacks: the per-batch LR schedule, the whitening-bias schedule, and Lookahead unless turned off. */
export function fastCallbacks(opts: { lookahead: boolean }): Callback[] {
  const cbs: Callback[] = [
    new LRSchedulerCallback(
      (opt, params) => {
        if (params.totalSteps === undefined) throw new CnnError('the fast recipe needs a training loader with a length', { code: 'ERR_CNN_INVALID_OPTION' });
        return fastLrSchedule(opt, params.totalSteps);
      },
      { interval: 'batch' },
    ),
    new WhiteningBiasSchedule(),
  ];
  if (opts.lookahead) cbs.push(new LookaheadCallback({ k: AIRBENCH94_RECIPE.lookaheadEvery, alpha: airbenchLookaheadAlpha }));
  return cbs;
}

/**
 * The fast recipe's training augmentation on normalised `[batch, 32, 32, 3]` images: airbench's alternating flip
 * ({@link AlternatingFlip}: random in epoch 0, then each image mirrored relative to its previous epoch) and a random
 * translation by up to 2 pixels with reflect padding (`RandomCrop(32, {padding: 2, paddingMode: 'reflect'})`).
 * `preview: true` gives the same with a random flip (an augmentation preview has no epochs). `size`: the images'
 * height and width (default 32).
 */
export function flipTranslate(seed: number, preview = false, size = 32): Compose {
  return new Compose([
    preview ? new RandomHorizontalFlip(0.5) : new AlternatingFlip({ seed }),
    new RandomCrop(size, { padding: AIRBENCH94_RECIPE.translate, paddingMode: 'reflect' }),
  ]);
}

/**
 * The first `n` images (in the order of `indices`, or of the data set) as a normalised `[n, 32, 32, 3]` float32
 * tensor: the whitening statistics' input (airbench: `normalize(train_images[:5000])`).
 */
export function firstNormalisedImages(ds: ImageDataset, n: number, indices?: Int32Array): tf.Tensor4D {
  const total = indices?.length ?? ds.length;
  const take = Math.min(n, total);
  const order = indices ? indices.slice(0, take) : Int32Array.from({ length: take }, (_, i) => i);
  const loader = new DataLoader(ds, { batchSize: take, indices: order, mean: CIFAR10_MEAN, std: CIFAR10_STD });
  const batch = loader.batchOf(order);
  batch.y.dispose();
  return batch.x;
}

/**
 * `[I; −I]` over the `c·k²` components of a `k×k` patch as a whitening bank: filter `j` passes patch component
 * `j` unchanged, filter `c·k² + j` its negation — the layout of a whitening kernel without the decorrelation and
 * scaling (`--no-whitening`). HWIO `[k, k, c, 2·c·k²]`.
 */
export function identityPatchKernel(k: number, c: number): tf.Tensor4D {
  const d = c * k * k;
  const values = new Float32Array(d * 2 * d);
  for (let t = 0; t < d; t++) {
    values[t * 2 * d + t] = 1;
    values[t * 2 * d + d + t] = -1;
  }
  return tf.tensor4d(values, [k, k, c, 2 * d]);
}

/**
 * The training images the whitening statistics come from: `n` drawn without replacement from `indices` (the
 * training (sub)set; default every image), by a shuffle seeded with `deriveSeed(seed, 1)` — a class-balanced sample
 * in expectation whatever the data set's storage order, as airbench's first 5,000 of the official (mixed) order.
 * @returns `min(n, size)` dataset indices.
 */
export function whiteningIndices(ds: ImageDataset, n: number, seed: number, indices?: Int32Array): Int32Array {
  const pool = indices ? Int32Array.from(indices) : Int32Array.from({ length: ds.length }, (_, i) => i);
  return shuffleInPlace(pool, createRng(deriveSeed(seed, 1))).slice(0, Math.min(n, pool.length));
}

/**
 * Initialises airbench94's whitening layer: from 5,000 normalised training images drawn at random
 * ({@link whiteningIndices}; eps 5e-4, `initWhiteningAsync` of `@cnn/models`), or with {@link identityPatchKernel} when
 * `whitening` is false. Every read is asynchronous (`await t.data()`), so it runs on webgpu in Node.
 * @returns a promise of the number of images used (0 without whitening); asynchronous since the webgpu support.
 * @throws CnnError (code `ERR_CNN_NON_FINITE`, as a rejection) when the resulting kernel is not finite (it cannot be: the eigenvalues are regularised).
 */
export async function initFastWhitening(
  model: tfl.LayersModel,
  ds: ImageDataset,
  opts: { whitening: boolean; seed?: number; indices?: Int32Array },
): Promise<number> {
  const layer = whiteningLayer(model);
  let used = 0;
  if (opts.whitening) {
    const chosen = whiteningIndices(ds, AIRBENCH94_RECIPE.whiteningImages, opts.seed ?? 0, opts.indices);
    const images = firstNormalisedImages(ds, chosen.length, chosen);
    try {
      await initWhiteningAsync(model, images, { eps: AIRBENCH94_RECIPE.whiteningEps });
      used = images.shape[0];
    } finally {
      images.dispose();
    }
  } else {
    const kernel = identityPatchKernel(layer.kernelSize, 3);
    try {
      layer.setKernel(kernel);
    } finally {
      kernel.dispose();
    }
  }
  const kernel = layer.getWeights().find((w) => w.rank === 4)!;
  const finite = tf.tidy(() => tf.all(tf.isFinite(kernel)));
  let ok: boolean;
  try {
    ok = (await finite.data())[0] === 1;
  } finally {
    finite.dispose();
  }
  if (!ok) throw new CnnError('the whitening kernel is not finite', { code: 'ERR_CNN_NON_FINITE' });
  return used;
}
