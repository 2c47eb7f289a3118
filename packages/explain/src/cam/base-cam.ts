import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ExplainError } from '../errors.js';
import { assertSpatialLayer, forwardLayers } from './layer-graph.js';
import { normalizeMaps, resizeMaps, resolveTargets } from './map-utils.js';

/** Options of {@link BaseCam.compute}. */
export interface CamOptions {
  /**
   * Class whose logit `y_c` is explained: one index for the whole batch, one per sample, or `undefined`
   * (default) for each sample's predicted class.
   */
  targets?: number | readonly number[];
  /** Upsample the map to the input's height and width (bilinear, half-pixel centres). Default `true`. */
  upsample?: boolean;
  /** Min-max normalise each map to `[0, 1]` (a constant map gives zeros). Default `true`. */
  normalize?: boolean;
}

/** Output of {@link BaseCam.computeWithDetails}. */
export interface CamResult {
  /** `[batch, height, width]` float32 class activation maps. */
  cam: tf.Tensor3D;
  /** `[batch, channels]` float32 channel weights `α` (or `w`) of the method. */
  weights: tf.Tensor2D;
  /** `[batch]` int32 class explained per sample. */
  targets: tf.Tensor1D;
  /** `[batch, numClasses]` float32 logits. */
  logits: tf.Tensor2D;
}

/**
 * Shared machinery of the class-activation-map methods: split the model at a named layer, capture its
 * activations `A` (`[batch, h, w, K]`), differentiate the class logit `y_c` with respect to `A`, combine
 * `ReLU(Σ_k w_k A_k)` with the method's channel weights `w`, upsample to the input size and min-max normalise.
 * Subclasses only implement {@link BaseCam.channelWeights}.
 *
 * Works for Sequential and functional `tfjs-layers` models (the rest of the network after the layer is re-run as
 * a differentiable function of `A`, see `forwardLayers`). A softmax at the end of the model is skipped: `y_c`
 * is the logit. Follows the structure of jacobgil/pytorch-grad-cam's `BaseCAM`.
 */
export abstract class BaseCam {
  /** Name of the method, used in error messages. */
  abstract readonly methodName: string;

  /**
   * @param model single-input, single-output `tfjs-layers` model taking `[batch, height, width, channels]`.
   * @param layerName layer whose 4-D output `[batch, h, w, K]` is explained (usually the last convolution).
   * @throws ExplainError when the layer does not exist or its output is not 4-D; the message lists the
   *   convolution layers available.
   */
  constructor(
    readonly model: tfl.LayersModel,
    readonly layerName: string,
  ) {
    assertSpatialLayer('BaseCam', model, layerName);
  }

  /**
   * Channel weights of the method.
   * @param activations `[batch, h, w, K]` float32 layer output `A`.
   * @param gradients `[batch, h, w, K]` float32 `∂y_c/∂A`.
   * @returns `[batch, K]` float32 weights.
   */
  protected abstract channelWeights(activations: tf.Tensor4D, gradients: tf.Tensor4D): tf.Tensor2D;

  /**
   * Class activation maps for a batch.
   * @param input `[batch, height, width, channels]` float32, already normalised as the model expects.
   * @returns `[batch, height, width]` float32 maps in `[0, 1]` (with the default options).
   */
  compute(input: tf.Tensor4D, options: CamOptions = {}): tf.Tensor3D {
    const result = this.computeWithDetails(input, options);
    tf.dispose([result.weights, result.targets, result.logits]);
    return result.cam;
  }

  /** Like {@link BaseCam.compute}, also returning weights, targets and logits (caller disposes all four). */
  computeWithDetails(input: tf.Tensor4D, options: CamOptions = {}): CamResult {
    if (input.rank !== 4) {
      throw new ExplainError(`${this.methodName}: input must be rank 4 [batch, height, width, channels], got rank ${input.rank}`);
    }
    return tf.tidy(() => {
      const { captured, output } = forwardLayers(this.model, input, { layerName: this.layerName });
      const activations = captured as tf.Tensor4D;
      const logits = output as tf.Tensor2D;
      const targets = resolveTargets(this.methodName, logits, options.targets);
      const mask = tf.oneHot(targets, logits.shape[1]);
      const classScore = (a: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(forwardLayers(this.model, input, { layerName: this.layerName, replacement: a }).output, mask));
      const gradients = tf.grad(classScore)(activations) as tf.Tensor4D;
      const weights = this.channelWeights(activations, gradients);
      // CAM = ReLU(Σ_k w_k A_k): [batch, h, w, K] · [batch, 1, 1, K] summed over K.
      let cam = tf.relu(tf.sum(tf.mul(activations, tf.reshape(weights, [weights.shape[0], 1, 1, -1])), 3)) as tf.Tensor3D;
      if (options.upsample ?? true) cam = resizeMaps(cam, input.shape[1], input.shape[2]);
      if (options.normalize ?? true) cam = normalizeMaps(cam);
      return { cam, weights, targets, logits };
    });
  }
}
