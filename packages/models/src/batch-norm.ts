import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BATCH_NORM_GRAD_KERNEL, BATCH_NORM_TRAIN_KERNEL } from '@cnn/core';
import { ModelError } from './errors.js';

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
  /**
   * Learn a per-channel scale `gamma` (Keras' `scale`). `false` → no `gamma` weight: the normalised value is
   * multiplied by 1, as a PyTorch `BatchNorm2d` whose `weight` is frozen at its initial ones
   * (`weight.requires_grad = False`, the airbench recipe). Default `true`.
   */
  scale?: boolean;
  /**
   * Learn a per-channel offset `beta` (Keras' `center`). `false` → no `beta` weight, offset 0. Default `true`.
   */
  center?: boolean;
}

/**
 * Kernel names of the optional fused batch-norm kernels (a backend contract, e.g. `@cnn/backend-onednn`):
 * `CnnBatchNormTrain` (inputs `x`, `gamma`, `beta`; attr `epsilon`; outputs `[y, mean, variance]`, biased
 * variance) and `CnnBatchNormGrad` (inputs `dy`, `x`, `gamma`, `mean`, `variance`; attr `epsilon`; outputs
 * `[dx, dgamma, dbeta]`). Used only when both are registered for the active backend.
 */
export const BATCH_NORM_KERNELS = { train: BATCH_NORM_TRAIN_KERNEL, grad: BATCH_NORM_GRAD_KERNEL } as const;

/** Result of {@link batchNormTraining}. */
export interface BatchNormTrainingResult {
  /** Normalised output, like `x`; differentiable with respect to `x`, `gamma` and `beta`. */
  y: tf.Tensor;
  /** Batch mean per channel, `[channels]` (not differentiable). */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel, `[channels]` (not differentiable). */
  variance: tf.Tensor1D;
}

/** True when the active backend registers both fused batch-norm kernels. */
function fusedKernelsAvailable(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(BATCH_NORM_KERNELS.train, backend) != null && tf.getKernel(BATCH_NORM_KERNELS.grad, backend) != null;
}

/**
 * The closed-form batch-norm gradient with tf ops (reductions over every axis but the last, `N` elements per
 * channel, `x̂ = (x − mean)·invstd`): `dx = gamma·invstd/N·(N·dy − Σdy − x̂·Σ(dy·x̂))`, `dgamma = Σ(dy·x̂)`,
 * `dbeta = Σdy`.
 */
function batchNormGradOps(dy: tf.Tensor, x: tf.Tensor, gamma: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, epsilon: number): tf.Tensor[] {
  const axes = x.shape.map((_, i) => i).slice(0, -1);
  const n = x.size / x.shape[x.shape.length - 1];
  const xhat = tf.batchNorm(x, mean, variance, undefined, undefined, epsilon);
  const dbeta = tf.sum(dy, axes);
  const dgamma = tf.sum(tf.mul(dy, xhat), axes);
  const a = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
  const b = tf.mul(a, tf.div(dgamma, -n));
  const c = tf.mul(a, tf.div(dbeta, -n));
  const dx = tf.add(tf.add(tf.mul(dy, a), tf.mul(xhat, b)), c);
  return [dx, dgamma, dbeta];
}

/**
 * Training-mode batch normalisation over the last (channel) axis:
 * `y = (x − mean)·gamma/sqrt(variance + epsilon) + beta` with the batch `mean` and biased `variance` over all
 * other axes, differentiated in closed form (`tf.customGrad`, see {@link BATCH_NORM_KERNELS} for the formula's
 * kernel twin). Runs the fused `CnnBatchNormTrain` / `CnnBatchNormGrad` kernels when the active backend
 * registers them, else tf ops (`tf.moments` + `tf.batchNorm` forward, ~8 passes backward), so every backend
 * works.
 *
 * @param x - float32 `[..., channels]` (NHWC `[batch, height, width, channels]` or `[batch, features]`).
 * @param gamma - float32 `[channels]` scale.
 * @param beta - float32 `[channels]` offset.
 * @param epsilon - added to the variance (PyTorch default `1e-5`).
 * @returns `y` (like `x`) and the statistics; the caller disposes `mean` and `variance`.
 * @throws Error when `x` has rank < 2 or `gamma`/`beta` are not `[channels]`; Error when there is only one
 *   value per channel (e.g. `[1, features]` after a dense layer or global pooling): its batch variance is 0, the
 *   output would be `beta` and the running variance corrupted — PyTorch's "Expected more than 1 value per
 *   channel when training" (use `dropLast` in the loader, or a larger batch).
 */
export function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): BatchNormTrainingResult {
  const channels = x.shape[x.shape.length - 1];
  if (x.rank < 2 || gamma.size !== channels || beta.size !== channels) {
    throw new ModelError(
      `BatchNorm: expected x [..., C] with rank >= 2 and gamma/beta [C]. Received x ${JSON.stringify(x.shape)}, gamma ${JSON.stringify(gamma.shape)}, beta ${JSON.stringify(beta.shape)}`,
    );
  }
  if (x.size === channels) {
    throw new ModelError(
      `BatchNorm: expected more than 1 value per channel when training, got input size ${JSON.stringify(x.shape)} (use a batch > 1, or dropLast in the loader)`,
    );
  }
  const fused = fusedKernelsAvailable();
  const attrs = { epsilon };
  let stats: tf.Tensor1D[] = [];
  const forward = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    let y: tf.Tensor;
    let mean: tf.Tensor;
    let variance: tf.Tensor;
    if (fused) {
      [y, mean, variance] = tf.engine().runKernel(BATCH_NORM_KERNELS.train, { x: xi, gamma: g, beta: b }, attrs) as tf.Tensor[];
    } else {
      const axes = xi.shape.map((_, i) => i).slice(0, -1);
      ({ mean, variance } = tf.moments(xi, axes));
      y = tf.batchNorm(xi, mean, variance, b, g, epsilon);
    }
    // customGrad runs this function in a tidy scope: keep the statistics for the running-average update.
    stats = [tf.keep(mean) as tf.Tensor1D, tf.keep(variance) as tf.Tensor1D];
    save([xi, g, mean, variance]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, gs, ms, vs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      if (fused) {
        return tf.engine().runKernel(BATCH_NORM_KERNELS.grad, { dy, x: xs, gamma: gs, mean: ms, variance: vs }, attrs) as tf.Tensor[];
      }
      return batchNormGradOps(dy, xs, gs, ms, vs, epsilon);
    };
    return { value: y, gradFunc };
  });
  const y = forward(x, gamma, beta);
  return { y, mean: stats[0]!, variance: stats[1]! };
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
 * Training mode runs {@link batchNormTraining}: one fused kernel each way on backends that register
 * {@link BATCH_NORM_KERNELS} (`onednn`), else tf ops with a closed-form gradient.
 *
 * tfjs-layers' own `BatchNormalization` differs: it updates the moving variance with the biased
 * variance and defaults to `epsilon=1e-3`, `momentum=0.99`.
 *
 * Weights (in order): `gamma` and `beta` (trainable, `[channels]`, ones/zeros), `moving_mean` and
 * `moving_variance` (non-trainable, `[channels]`, zeros/ones), as in Keras. With `scale: false` there is no
 * `gamma` (scale fixed at 1), with `center: false` no `beta` (offset 0); the remaining weights keep this order.
 * `scale: false` counts like PyTorch's frozen `weight` in trainable parameters (not at all); PyTorch still stores
 * that weight (ones), this layer stores nothing. The training path passes a ones / zeros tensor to the fused
 * kernels in place of the missing weight and drops its gradient.
 *
 * Registered with `tf.serialization.registerClass` under the class name `BatchNorm` (config: `epsilon`,
 * `momentum`, `scale`, `center`), so models saved with it load again once this module is imported.
 */
export class BatchNorm extends tfl.layers.Layer {
  /** Serialisation class name. */
  static className = 'BatchNorm';
  /** Variance fuzz. */
  readonly epsilon: number;
  /** Running-average weight of the batch statistic (PyTorch convention). */
  readonly momentum: number;
  /** Whether the layer has a learnt scale `gamma` (`false`: scale 1). */
  readonly scale: boolean;
  /** Whether the layer has a learnt offset `beta` (`false`: offset 0). */
  readonly center: boolean;
  private gamma: LayerVariable | null = null;
  private beta: LayerVariable | null = null;
  private movingMean!: LayerVariable;
  private movingVariance!: LayerVariable;

  /**
   * @throws Error when `epsilon` is not positive, `momentum` is outside `[0, 1]`, or `scale` / `center` is not
   *   a boolean.
   */
  constructor(args: BatchNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-5;
    this.momentum = args.momentum ?? 0.1;
    this.scale = args.scale ?? true;
    this.center = args.center ?? true;
    if (typeof this.scale !== 'boolean') throw new ModelError(`BatchNorm: scale must be a boolean. Received: scale=${String(args.scale)}`);
    if (typeof this.center !== 'boolean') throw new ModelError(`BatchNorm: center must be a boolean. Received: center=${String(args.center)}`);
    if (!(this.epsilon > 0)) {
      throw new ModelError(`BatchNorm: epsilon must be > 0. Received: epsilon=${this.epsilon}`);
    }
    if (!(this.momentum >= 0 && this.momentum <= 1)) {
      throw new ModelError(`BatchNorm: momentum must be in [0, 1]. Received: momentum=${this.momentum}`);
    }
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) {
      throw new ModelError(`BatchNorm: the channel (last) axis must be defined. Received shape ${JSON.stringify(shape)}`);
    }
    if (this.scale) this.gamma = this.addWeight('gamma', [channels], 'float32', tfl.initializers.ones(), undefined, true);
    if (this.center) this.beta = this.addWeight('beta', [channels], 'float32', tfl.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tfl.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tfl.initializers.ones(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      // A frozen layer (`trainable = false`) stays in inference mode, as Keras' BatchNormalization.
      const training = kwargs['training'] === true && this.trainable;
      const channels = x.shape[x.shape.length - 1];
      if (!training) {
        // Missing weights as constants here too: under a gradient tape (Grad-CAM, saliency) tf.batchNorm saves its
        // scale and offset for the backward pass and cannot save an absent one.
        const gamma = this.gamma ? this.gamma.read() : tf.ones([channels]);
        const beta = this.beta ? this.beta.read() : tf.zeros([channels]);
        return tf.batchNorm(x, this.movingMean.read(), this.movingVariance.read(), beta, gamma, this.epsilon);
      }
      // A missing weight is a constant (ones / zeros): its gradient is computed by the kernel and dropped.
      const gamma = this.gamma ? this.gamma.read() : tf.ones([channels]);
      const beta = this.beta ? this.beta.read() : tf.zeros([channels]);
      const { y, mean, variance } = batchNormTraining(x, gamma, beta, this.epsilon);
      const n = x.size / channels;
      const m = this.momentum;
      tf.tidy(() => {
        // Not on the path to `y`, so no gradient flows through these updates.
        const unbiased = tf.mul(variance, n > 1 ? n / (n - 1) : 1);
        this.movingMean.write(tf.add(tf.mul(this.movingMean.read(), 1 - m), tf.mul(mean, m)));
        this.movingVariance.write(tf.add(tf.mul(this.movingVariance.read(), 1 - m), tf.mul(unbiased, m)));
      });
      tf.dispose([mean, variance]);
      return y;
    });
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum, scale: this.scale, center: this.center };
  }
}
tf.serialization.registerClass(BatchNorm);

/** Creates a {@link BatchNorm} layer (PyTorch semantics, NHWC). */
export function batchNorm(args: BatchNormArgs = {}): BatchNorm {
  return new BatchNorm(args);
}
