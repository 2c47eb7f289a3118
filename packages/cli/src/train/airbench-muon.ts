/**
 * The Muon CIFAR-10 recipe (`--recipe muon`): airbench94_muon (K. Jordan; `airbench94_muon.py` of
 * KellerJordan/cifar10-airbench; Muon: K. Jordan, "Muon: An optimizer for hidden layers in neural networks", 2024)
 * built from the toolkit's parts. The network, data, whitening and evaluation are the fast recipe's
 * (`airbench.ts`); this file holds what differs: the head's scaling, the optimizer groups and the schedule.
 *
 * @packageDocumentation
 */
import { CnnError } from '@cnn/core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { AIRBENCH94_WIDTHS, airbench94, layerInit, layerSeed, type Airbench94Widths } from '@cnn/models';
import { Callback, Muon, ParamGroupOptimizer, SGD } from '@cnn/train';
import { WhiteningBiasSchedule, isNormBias } from './airbench.js';
import type { MuonRecipeSettings } from './recipes.js';

/** Whether a trainable parameter is airbench94's whitening bias (`whiten/bias`). */
export function isWhiteningBias(name: string): boolean {
  return name === 'whiten/bias';
}

/** Whether a trainable parameter is a 3×3 filter bank of airbench94's conv groups (`block1.conv1/kernel` …): Muon's parameters. */
export function isConvFilter(name: string): boolean {
  return /(^|\.)conv\d+\/kernel$/.test(name);
}

/**
 * airbench94 as airbench94_muon builds it: the same layers, with the head's kernel rescaled to standard deviation 1
 * (the reference's `w *= 1 / w.std()`, unbiased), its logits divided by the last width (`head(x) / x.size(-1)`,
 * i.e. `scalingFactor = 1 / widths.block3`) instead of airbench94's `× 1/9`, and the whitening bias drawn from
 * PyTorch's default `Conv2d` bias init `U(±1/√12)` (fan-in 3·2·2; the reference's whitening layer is a plain
 * `nn.Conv2d`, where airbench94's zeroes its bias), seeded from the whitening layer's seed. Input
 * `[batch, 32, 32, 3]`, output `[batch, numClasses]` logits.
 * @throws as `airbench94` of `@cnn/models` on bad options.
 */
export function airbench94Muon(opts: { seed?: number; widths?: Partial<Airbench94Widths>; numClasses?: number } = {}): tfl.LayersModel {
  const block3 = opts.widths?.block3 ?? AIRBENCH94_WIDTHS.block3;
  const model = airbench94({ seed: opts.seed, widths: opts.widths, numClasses: opts.numClasses, scalingFactor: 1 / block3 });
  const head = model.getLayer('head');
  const [kernel] = head.getWeights(); // the layer's own variable: read, never disposed
  const scaled = tf.tidy(() => {
    const n = kernel!.size;
    const mean = tf.mean(kernel!);
    const std = tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(kernel!, mean))), n - 1));
    return tf.div(kernel!, std);
  });
  head.setWeights([scaled]);
  scaled.dispose();
  const whitenBias = model.getLayer('whiten').weights.find((w) => w.originalName === 'whiten/bias');
  if (!whitenBias) throw new CnnError("airbench94Muon: the model's whitening layer has no bias", { code: 'ERR_CNN_INVALID_MODEL' });
  const fanIn = 3 * 2 * 2;
  const bias = layerInit('pytorch', fanIn, layerSeed(opts.seed, 0)).biasInitializer.apply(whitenBias.shape) as tf.Tensor;
  whitenBias.write(bias);
  bias.dispose();
  return model;
}

/**
 * The muon recipe's optimizer: a {@link ParamGroupOptimizer} with, in this order, the whitening bias, the BatchNorm
 * biases and the head on Nesterov SGD (momentum `sgdMomentum`, lr `whitenBiasLr` / `normBiasLr` / `headLr`, weight
 * decay `wd / lr_g` with `wd = weightDecayPerExample · batchSize`, as the reference's `weight_decay=wd/bias_lr`),
 * and the conv filters on {@link Muon} (lr `lr`, Nesterov momentum `momentum`, `nsSteps`, `normalizeWeights`).
 * Its `lr` is Muon's; setting it scales every group alike. A parameter in none of the groups is refused by the
 * first step (`ParamGroupOptimizer`'s error).
 * @throws CnnError (code `ERR_CNN_INVALID_OPTION`) unless `lr`, `batchSize` and the group rates are positive and `momentum ∈ [0, 1)`.
 */
export function createMuonRecipeOptimizer(settings: MuonRecipeSettings, opts: { lr: number; momentum: number; batchSize: number }): ParamGroupOptimizer {
  const { lr, momentum, batchSize } = opts;
  const rates = [settings.whitenBiasLr, settings.normBiasLr, settings.headLr];
  if (!(lr > 0) || !(batchSize > 0) || !(momentum >= 0 && momentum < 1) || !rates.every((r) => r > 0) || !(settings.weightDecayPerExample >= 0)) {
    throw new CnnError(
      `createMuonRecipeOptimizer: expected positive lr, batchSize and group rates, momentum in [0, 1). Received: ${JSON.stringify({ ...opts, settings })}`,
      {
        code: 'ERR_CNN_INVALID_OPTION',
      },
    );
  }
  const wd = settings.weightDecayPerExample * batchSize;
  const sgd = (groupLr: number): SGD => new SGD({ lr: groupLr, weightDecay: wd / groupLr, momentum: settings.sgdMomentum, nesterov: true });
  return new ParamGroupOptimizer(
    [
      { name: 'whiten-bias', params: isWhiteningBias, optimizer: sgd(settings.whitenBiasLr) },
      { name: 'norm-biases', params: isNormBias, optimizer: sgd(settings.normBiasLr) },
      { name: 'head', params: ['head/kernel'], optimizer: sgd(settings.headLr) },
      {
        name: 'filters',
        params: isConvFilter,
        optimizer: new Muon({ lr, momentum, nesterov: true, nsSteps: settings.nsSteps, normalizeWeights: settings.normalizeWeights }),
      },
    ],
    { baseLr: lr },
  );
}

/** `1 − t / n`, clamped at 0: the reference's `initial_lr · (1 − step / n)` factor. */
export function linearDecayFactor(t: number, n: number): number {
  return Math.max(0, 1 - t / n);
}

/**
 * airbench94_muon's learning-rate schedule, set before every batch from the optimizer's step count `t` alone (so a
 * resumed run continues it without state): every group at `lr₀ · (1 − t / T)` (`T` = the run's `totalSteps`), no
 * warm-up, and the whitening-bias group at `whitenBiasLr · (1 − t / W)`, `W = ceil(whitenBiasEpochs · steps)` (0
 * from then on; the bias is frozen by {@link WhiteningBiasSchedule}). Needs the optimizer of
 * {@link createMuonRecipeOptimizer}.
 */
export class MuonLrSchedule extends Callback {
  /** Checkpoint key. */
  override readonly stateKey = 'MuonLrSchedule';

  constructor(
    /** Muon's initial rate (the optimizer's base `lr`). */
    readonly lr: number,
    /** The whitening bias' initial rate. */
    readonly whitenBiasLr: number,
    /** Epochs the whitening bias trains. */
    readonly whitenBiasEpochs: number,
  ) {
    super();
  }

  /** @throws CnnError (code `ERR_CNN_INVALID_OPTION`) without a loader length or with another optimizer. */
  override onBatchBegin(): void {
    const opt = this.context.optimizer;
    const { totalSteps, steps } = this.context.params;
    if (totalSteps === undefined || steps === undefined)
      throw new CnnError('the muon recipe needs a training loader with a length', { code: 'ERR_CNN_INVALID_OPTION' });
    const whiten = opt instanceof ParamGroupOptimizer ? opt.groups.find((g) => g.name === 'whiten-bias') : undefined;
    if (!whiten) throw new CnnError('MuonLrSchedule: needs the optimizer of createMuonRecipeOptimizer', { code: 'ERR_CNN_INVALID_OPTION' });
    const t = opt.iterations;
    opt.lr = this.lr * linearDecayFactor(t, totalSteps);
    whiten.optimizer.lr = this.whitenBiasLr * linearDecayFactor(t, Math.ceil(this.whitenBiasEpochs * steps));
  }
}

/** The muon recipe's callbacks: {@link MuonLrSchedule} and the whitening bias' freeze after `whitenBiasEpochs` (no Lookahead). */
export function muonCallbacks(settings: MuonRecipeSettings, lr: number): Callback[] {
  return [new MuonLrSchedule(lr, settings.whitenBiasLr, settings.whitenBiasEpochs), new WhiteningBiasSchedule(settings.whitenBiasEpochs)];
}
