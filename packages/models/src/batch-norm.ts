import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Kwargs = Record<string, unknown>;
type LayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];
type LayerVariable = tfl.LayerVariable;

/** Constructor options of {@link BatchNorm}. */
export interface BatchNormArgs extends NonNullable<LayerArgs> {
  /** Added to the variance before the square root. Default `1e-5` (PyTorch). */
  epsilon?: number;
  /**
   * Weight of the batch statistic in the running-average update
   * `running = (1 - momentum) * running + momentum * batch`. Default `0.1` (PyTorch's convention;
   * Keras' `momentum=0.9`).
   */
  momentum?: number;
}

/**
 * Batch normalisation over the last (channel) axis with `torch.nn.BatchNorm1d/2d` semantics, for
 * NHWC `[batch, height, width, channels]` or `[batch, features]` inputs.
 *
 * - Training (`training: true`): normalises with the batch mean and the *biased* batch variance, and
 *   updates `running_mean ← (1-m)·running_mean + m·mean`,
 *   `running_var ← (1-m)·running_var + m·var·n/(n-1)` (the *unbiased* variance, `n` = elements per
 *   channel), as PyTorch does. The update happens on every training-mode call, including
 *   `model.apply(x, {training: true})` outside `model.fit`.
 * - Inference: normalises with the running statistics.
 * - Frozen (`layer.trainable = false`, e.g. by `freezeLayers`): always inference mode, even when called
 *   with `training: true` — neither the batch statistics nor running-average updates are used (Keras'
 *   `BatchNormalization` since TF 2.0; in PyTorch the equivalent is `bn.eval()` on frozen layers).
 *
 * tfjs-layers' own `BatchNormalization` differs: it updates the moving variance with the biased
 * variance and defaults to `epsilon=1e-3`, `momentum=0.99`.
 *
 * Weights (in order): `gamma` and `beta` (trainable, `[channels]`, ones/zeros), `moving_mean` and
 * `moving_variance` (non-trainable, `[channels]`, zeros/ones), as in Keras.
 *
 * Registered with `tf.serialization.registerClass` under the class name `BatchNorm`, so models saved
 * with it load again once this module is imported.
 */
export class BatchNorm extends tfl.layers.Layer {
  /** Serialisation class name. */
  static className = 'BatchNorm';
  /** Variance fuzz. */
  readonly epsilon: number;
  /** Running-average weight of the batch statistic (PyTorch convention). */
  readonly momentum: number;
  private gamma!: LayerVariable;
  private beta!: LayerVariable;
  private movingMean!: LayerVariable;
  private movingVariance!: LayerVariable;

  /**
   * @throws Error when `epsilon` is not positive or `momentum` is outside `[0, 1]`.
   */
  constructor(args: BatchNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
    this.momentum = args.momentum ?? 0.1;
    if (!(this.epsilon > 0)) {
      throw new Error(`BatchNorm: epsilon must be > 0. Received: epsilon=${this.epsilon}`);
    }
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new Error(`BatchNorm: momentum must be in [0, 1]. Received: momentum=${this.momentum}`);
    }
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) {
      throw new Error(`BatchNorm: the channel (last) axis must be defined. Received shape ${JSON.stringify(shape)}`);
    }
    this.gamma = this.addWeight('gamma', [channels], 'float32', tfl.initializers.ones(), undefined, true);
    this.beta = this.addWeight('beta', [channels], 'float32', tfl.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tfl.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tfl.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      // A frozen layer (`trainable = false`) stays in inference mode, as Keras' BatchNormalization.
      const training = kwargs['training'] === true && this.trainable;
      if (!training) {
        return tf.batchNorm(x, this.movingMean.read(), this.movingVariance.read(), this.beta.read(), this.gamma.read(), this.epsilon);
      }
      const axes = x.shape.map((_, i) => i).slice(0, -1);
      const { mean, variance } = tf.moments(x, axes);
      const y = tf.batchNorm(x, mean, variance, this.beta.read(), this.gamma.read(), this.epsilon);
      const n = x.size / x.shape[x.shape.length - 1];
      const m = this.momentum;
      tf.tidy(() => {
        // Not on the path to `y`, so no gradient flows through these updates.
        const unbiased = tf.mul(variance, n > 1 ? n / (n - 1) : 1);
        this.movingMean.write(tf.add(tf.mul(this.movingMean.read(), 1 - m), tf.mul(mean, m)));
        this.movingVariance.write(tf.add(tf.mul(this.movingVariance.read(), 1 - m), tf.mul(unbiased, m)));
      });
      return y;
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum };
  }
}
tf.serialization.registerClass(BatchNorm);

/** Creates a {@link BatchNorm} layer (PyTorch semantics, NHWC). */
export function batchNorm(args: BatchNormArgs = {}): BatchNorm {
  return new BatchNorm(args);
}
