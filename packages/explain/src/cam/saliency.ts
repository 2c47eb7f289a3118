import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ExplainError } from '../errors.js';
import { forwardLayers } from './layer-graph.js';
import { normalizeMaps, resolveTargets } from './map-utils.js';

/** Options of {@link saliencyMap}. */
export interface SaliencyOptions {
  /** Class explained: one for the batch, one per sample, or the predicted class (default). */
  targets?: number | readonly number[];
  /** Min-max normalise each map to `[0, 1]`. Default `true`. */
  normalize?: boolean;
}

/** Options of {@link smoothGrad}. */
export interface SmoothGradOptions extends SaliencyOptions {
  /** Number of noisy copies averaged. Default 25. */
  samples?: number;
  /** Noise standard deviation as a fraction of each image's value range `max(x) − min(x)`. Default 0.15. */
  noiseLevel?: number;
  /** Seed of the Gaussian noise. Default 0. */
  seed?: number;
}

function inputGradients(model: tfl.LayersModel, input: tf.Tensor4D, targets: tf.Tensor1D, numClasses: number): tf.Tensor4D {
  const mask = tf.oneHot(targets, numClasses);
  const score = (x: tf.Tensor): tf.Scalar => tf.sum(tf.mul(forwardLayers(model, x).output, mask));
  return tf.grad(score)(input) as tf.Tensor4D;
}

function toMap(gradients: tf.Tensor4D, normalize: boolean): tf.Tensor3D {
  const map = tf.max(tf.abs(gradients), 3) as tf.Tensor3D;
  return normalize ? normalizeMaps(map) : map;
}

function checkInput(fn: string, input: tf.Tensor): void {
  if (input.rank !== 4) throw new ExplainError(`${fn}: input must be rank 4 [batch, height, width, channels], got rank ${input.rank}`);
}

/**
 * Vanilla-gradient saliency: `max_c |∂y_c/∂x|` over the input channels, per pixel (`y_c` the class logit).
 *
 * Reference: K. Simonyan, A. Vedaldi, A. Zisserman, "Deep Inside Convolutional Networks: Visualising Image
 * Classification Models and Saliency Maps", ICLR Workshop 2014, Sec. 3.1.
 *
 * @param input `[batch, height, width, channels]` float32, normalised as the model expects.
 * @returns `[batch, height, width]` float32 (in `[0, 1]` by default).
 */
export function saliencyMap(model: tfl.LayersModel, input: tf.Tensor4D, options: SaliencyOptions = {}): tf.Tensor3D {
  checkInput('saliencyMap', input);
  return tf.tidy(() => {
    const logits = forwardLayers(model, input).output as tf.Tensor2D;
    const targets = resolveTargets('saliencyMap', logits, options.targets);
    return toMap(inputGradients(model, input, targets, logits.shape[1]), options.normalize ?? true);
  });
}

/**
 * SmoothGrad: the input gradient averaged over `samples` noisy copies `x + N(0, σ²)`,
 * `σ = noiseLevel · (max(x) − min(x))`, then `max_c |·|` per pixel. The class is fixed from the clean input.
 *
 * Reference: D. Smilkov, N. Thorat, B. Kim, F. Viégas, M. Wattenberg, "SmoothGrad: removing noise by adding
 * noise", arXiv:1706.03825, 2017, Eq. (3).
 *
 * @param input `[batch, height, width, channels]` float32.
 * @returns `[batch, height, width]` float32 (in `[0, 1]` by default).
 * @throws ExplainError when `samples` is not a positive integer or `noiseLevel` is negative.
 */
export function smoothGrad(model: tfl.LayersModel, input: tf.Tensor4D, options: SmoothGradOptions = {}): tf.Tensor3D {
  checkInput('smoothGrad', input);
  const samples = options.samples ?? 25;
  const noiseLevel = options.noiseLevel ?? 0.15;
  if (!Number.isInteger(samples) || samples < 1) throw new ExplainError(`smoothGrad: samples must be a positive integer. Received: samples=${samples}`);
  if (!(noiseLevel >= 0)) throw new ExplainError(`smoothGrad: noiseLevel must be >= 0. Received: noiseLevel=${noiseLevel}`);
  const seed = options.seed ?? 0;
  return tf.tidy(() => {
    const logits = forwardLayers(model, input).output as tf.Tensor2D;
    const targets = resolveTargets('smoothGrad', logits, options.targets);
    const sigma = tf.mul(tf.sub(tf.max(input, [1, 2, 3], true), tf.min(input, [1, 2, 3], true)), noiseLevel);
    let total: tf.Tensor4D = tf.zerosLike(input);
    for (let s = 0; s < samples; s++) {
      const next = tf.tidy(() => {
        const noise = tf.mul(tf.randomNormal(input.shape, 0, 1, 'float32', seed + s), sigma);
        return tf.add(total, inputGradients(model, tf.add(input, noise) as tf.Tensor4D, targets, logits.shape[1])) as tf.Tensor4D;
      });
      total.dispose();
      total = next;
    }
    return toMap(tf.div(total, samples) as tf.Tensor4D, options.normalize ?? true);
  });
}
