import * as tf from '@tensorflow/tfjs-core';
import { BaseCam } from './base-cam.js';

/**
 * Grad-CAM++: channel weight `w_k^c = Σ_ij α_ij^kc · ReLU(∂y_c/∂A_ij^k)` with
 * `α_ij^kc = g² / (2 g² + Σ_ab A_ab^k · g³)` where `g = ∂y_c/∂A_ij^k` (`α = 0` where `g = 0`); the closed form
 * for an exponential output `Y_c = exp(y_c)`, as in jacobgil/pytorch-grad-cam.
 *
 * Reference: A. Chattopadhay, A. Sarkar, P. Howlader, V. N. Balasubramanian, "Grad-CAM++: Generalized
 * Gradient-based Visual Explanations for Deep Convolutional Networks", WACV 2018, Eq. (19).
 */
export class GradCamPlusPlus extends BaseCam {
  readonly methodName = 'GradCamPlusPlus';

  protected channelWeights(activations: tf.Tensor4D, gradients: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const g2 = tf.square(gradients);
      const g3 = tf.mul(g2, gradients);
      const sumA = tf.sum(activations, [1, 2], true);
      const denominator = tf.add(tf.mul(g2, 2), tf.mul(sumA, g3));
      const safe = tf.where(tf.equal(denominator, 0), tf.onesLike(denominator), denominator);
      const alpha = tf.where(tf.equal(gradients, 0), tf.zerosLike(g2), tf.div(g2, safe));
      return tf.sum(tf.mul(alpha, tf.relu(gradients)), [1, 2]) as tf.Tensor2D;
    });
  }
}
