import * as tf from '@tensorflow/tfjs-core';
import { BaseCam } from './base-cam.js';

/**
 * Grad-CAM: channel weight `α_k^c = (1/Z) Σ_i Σ_j ∂y_c/∂A_ij^k`, the spatial mean of the gradient of the class
 * logit, and map `ReLU(Σ_k α_k^c A^k)`.
 *
 * Reference: R. R. Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
 * Localization", ICCV 2017, Eq. (1)–(2).
 *
 * @example
 * const cam = new GradCam(model, 'conv2d_2').compute(x); // [batch, height, width] in [0, 1]
 */
export class GradCam extends BaseCam {
  readonly methodName = 'GradCam';

  protected channelWeights(_activations: tf.Tensor4D, gradients: tf.Tensor4D): tf.Tensor2D {
    return tf.mean(gradients, [1, 2]) as tf.Tensor2D;
  }
}
