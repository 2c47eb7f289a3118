import * as tfl from '@tensorflow/tfjs-layers';
import { batchNorm } from '../batch-norm.js';
import { conv2d, dense } from '../fused.js';
import { geluLayer } from '../gelu.js';
import { dirac, layerInit, layerSeed } from '../init.js';
import { resolveOptions, type ModelOptions } from '../mnist-net.js';
import { whiteningConv2d } from '../whitening.js';
import type { Sym } from './common.js';
import { ModelError } from '../errors.js';

/** Output channels of the three conv groups of {@link airbench94}. */
export interface Airbench94Widths {
  /** Group 1. Default `64`. */
  block1: number;
  /** Group 2. Default `256`. */
  block2: number;
  /** Group 3. Default `256`. */
  block3: number;
}

/** Options of {@link airbench94}. */
export interface Airbench94Options extends ModelOptions {
  /** Conv-group widths; missing entries take the defaults `{block1: 64, block2: 256, block3: 256}`. */
  widths?: Partial<Airbench94Widths>;
  /**
   * Batch-norm running-average weight in PyTorch's convention (`running = (1−m)·running + m·batch`). Default `0.4`:
   * airbench's `batchnorm_momentum = 0.6` is in the opposite convention and is passed to PyTorch as `1 − 0.6`.
   */
  batchNormMomentum?: number;
  /** Factor on the logits (airbench's `Mul(scaling_factor)`). Default `1/9`. */
  scalingFactor?: number;
}

/** Default {@link Airbench94Options.widths}. */
export const AIRBENCH94_WIDTHS: Readonly<Airbench94Widths> = Object.freeze({ block1: 64, block2: 256, block3: 256 });

/** Batch-norm epsilon of airbench (`1e-12`; PyTorch's default is `1e-5`). */
const AIRBENCH_BN_EPSILON = 1e-12;

/**
 * The airbench94 network (K. Jordan, "94% on CIFAR-10 in 3.29 seconds on a single GPU", arXiv 2404.00498;
 * `make_net94` of the reference code) as a tfjs-layers functional model. Input `[batch, 32, 32, 3]` float32
 * NHWC, normalised with the CIFAR-10 mean/std; output `[batch, numClasses]` logits (no softmax).
 *
 * Layers (names are stable; spatial size in brackets for 32×32 inputs):
 * - `input`;
 * - `whiten`: {@link WhiteningConv2D} 2×2 valid, 3 → 24 (`2·3·2²`), with bias; kernel frozen (set it from data
 *   with {@link initWhitening}), bias trainable until `biasTrainable = false` (airbench: after 3 epochs) [31];
 * - `whiten.gelu`: {@link GELU};
 * - `block{1,2,3}` (ConvGroups): `.conv1` (3×3 same, no bias) → `.pool` (max 2, floor) → `.norm1`
 *   ({@link BatchNorm} `scale: false`, eps 1e-12, momentum `batchNormMomentum`) → `.gelu1` → `.conv2` (3×3
 *   same, no bias) → `.norm2` → `.gelu2`; widths 64, 256, 256 [15, 7, 3];
 * - `pool` (max 3, stride 3) [1] → `flatten` → `head` (dense `block3 → numClasses`, no bias) → `scale`
 *   (Keras' `Rescaling`, `× scalingFactor`).
 *
 * Convolutions are `@cnn/models`' fused {@link Conv2D} (linear activation, no bias) so native conv kernels run.
 * Initialisation as airbench's `Conv.reset_parameters`: 3×3 kernels {@link Dirac} (identity on the first `in`
 * filters, PyTorch's default uniform on the rest), the head PyTorch's default `Linear` (`U(±1/√256)`), BN biases 0,
 * whitening bias 0; seeded per layer from `seed`.
 *
 * Parameters with the default widths and 10 classes: **1,971,352 trainable**, equal to the reference net's
 * `requires_grad` parameters (PyTorch, from `scripts/airbench-fixtures.py`); non-trainable 2,592 = the frozen
 * whitening kernel (288) + the BN running means/variances (2,304). PyTorch's `parameters()` also count the BN
 * weights frozen at 1 (1,152; here `scale: false` stores none) for 1,972,792 in all.
 *
 * @param opts - {@link Airbench94Options}: `numClasses` (10), `seed`, `widths`, `batchNormMomentum` (0.4),
 *   `scalingFactor` (1/9). `init` must be `'pytorch'` (the default).
 * @returns An uncompiled `tfl.LayersModel` named `airbench94`.
 * @throws Error ("Received: …") on invalid options: non-positive-integer widths, momentum outside `[0, 1]`,
 *   a non-finite scaling factor, `init: 'keras'`, or bad {@link ModelOptions}.
 */
export function airbench94(opts: Airbench94Options = {}): tfl.LayersModel {
  const { numClasses, seed, init } = resolveOptions('airbench94', opts);
  if (init !== 'pytorch')
    throw new ModelError(`airbench94: init must be 'pytorch' (the recipe's dirac / PyTorch-default initialisation). Received: init=${init}`);
  const widths = { ...AIRBENCH94_WIDTHS, ...(opts.widths ?? {}) };
  for (const key of ['block1', 'block2', 'block3'] as const) {
    if (!Number.isInteger(widths[key]) || widths[key] < 1) {
      throw new ModelError(`airbench94: widths.${key} must be a positive integer. Received: widths=${JSON.stringify(opts.widths)}`);
    }
  }
  const momentum = opts.batchNormMomentum ?? 0.4;
  if (!(momentum >= 0 && momentum <= 1))
    throw new ModelError(`airbench94: batchNormMomentum must be in [0, 1]. Received: batchNormMomentum=${opts.batchNormMomentum}`);
  const scalingFactor = opts.scalingFactor ?? 1 / 9;
  if (!Number.isFinite(scalingFactor)) throw new ModelError(`airbench94: scalingFactor must be a finite number. Received: scalingFactor=${opts.scalingFactor}`);

  let index = 0;
  const nextSeed = (): number | undefined => layerSeed(seed, index++);
  const input = tfl.input({ shape: [32, 32, 3], name: 'input' });
  let x: Sym = whiteningConv2d({ name: 'whiten', kernelSize: 2, seed: nextSeed() }).apply(input) as Sym;
  x = geluLayer({ name: 'whiten.gelu' }).apply(x) as Sym;
  const conv = (name: string, filters: number): void => {
    x = conv2d({
      name,
      filters,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
      activation: 'linear',
      kernelInitializer: dirac({ seed: nextSeed() }),
    }).apply(x) as Sym;
  };
  const norm = (name: string): void => {
    x = batchNorm({ name, scale: false, epsilon: AIRBENCH_BN_EPSILON, momentum }).apply(x) as Sym;
  };
  const act = (name: string): void => {
    x = geluLayer({ name }).apply(x) as Sym;
  };
  [widths.block1, widths.block2, widths.block3].forEach((width, i) => {
    const p = `block${i + 1}`;
    conv(`${p}.conv1`, width);
    x = tfl.layers.maxPooling2d({ name: `${p}.pool`, poolSize: 2, strides: 2, padding: 'valid' }).apply(x) as Sym;
    norm(`${p}.norm1`);
    act(`${p}.gelu1`);
    conv(`${p}.conv2`, width);
    norm(`${p}.norm2`);
    act(`${p}.gelu2`);
  });
  x = tfl.layers.maxPooling2d({ name: 'pool', poolSize: 3, strides: 3, padding: 'valid' }).apply(x) as Sym;
  x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as Sym;
  x = dense({
    name: 'head',
    units: numClasses,
    useBias: false,
    kernelInitializer: layerInit('pytorch', widths.block3, nextSeed()).kernelInitializer,
  }).apply(x) as Sym;
  x = tfl.layers.rescaling({ name: 'scale', scale: scalingFactor }).apply(x) as Sym;
  return tfl.model({ name: 'airbench94', inputs: input, outputs: x });
}
