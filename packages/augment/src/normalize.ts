import * as tf from '@tensorflow/tfjs-core';
import { checkImages, type Transform } from './transform.js';
import { AugmentError } from './errors.js';

/**
 * `(x − mean[c]) / std[c]` per channel (torchvision `Normalize`). Deterministic: applied in training and eval.
 * `[batch, height, width, channels]` float32 in and out.
 */
export class Normalize implements Transform<null> {
  readonly name = 'Normalize';
  readonly random = false;
  readonly mean: number[];
  readonly std: number[];
  /** @throws Error when lengths differ, values are not finite, or a std is not positive. */
  constructor(mean: readonly number[], std: readonly number[]) {
    if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== std.length || mean.length === 0) {
      throw new AugmentError(
        `Normalize: mean and std must be non-empty arrays of equal length. Received: mean=${JSON.stringify(mean)}, std=${JSON.stringify(std)}`,
      );
    }
    if (!mean.every(Number.isFinite) || !std.every((s) => Number.isFinite(s) && s > 0)) {
      throw new AugmentError(`Normalize: mean must be finite and std positive. Received: mean=${JSON.stringify(mean)}, std=${JSON.stringify(std)}`);
    }
    this.mean = [...mean];
    this.std = [...std];
  }
  makeParams(): null {
    return null;
  }
  apply(x: tf.Tensor4D): tf.Tensor4D {
    checkImages('Normalize', x, this.mean.length);
    return tf.tidy(() => tf.div(tf.sub(x, tf.tensor1d(this.mean)), tf.tensor1d(this.std)) as tf.Tensor4D);
  }
}
