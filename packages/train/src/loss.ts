import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from './errors.js';

/** How {@link softmaxCrossEntropy} reduces the per-sample losses (`torch.nn.CrossEntropyLoss(reduction=…)`). */
export type LossReduction = 'mean' | 'sum';

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /**
   * Label smoothing `ε ∈ [0, 1)`: the target becomes `(1-ε)·target + ε/numClasses`, as
   * `torch.nn.CrossEntropyLoss(label_smoothing=ε)`. Default `0`.
   */
  labelSmoothing?: number;
  /**
   * `'mean'` (default): the mean over the batch; `'sum'`: the sum over the batch (PyTorch's
   * `reduction='sum'`, whose gradient is `batch` times the mean's — airbench trains with it).
   */
  reduction?: LossReduction;
}

/**
 * Softmax cross-entropy of a batch, equal to `torch.nn.functional.cross_entropy(logits, labels,
 * label_smoothing=ε, reduction='mean' | 'sum')`. Computed from `logSoftmax` (log-sum-exp with max
 * subtraction), so large logits do not overflow.
 *
 * @param logits `[batch, numClasses]` float32 unnormalised scores.
 * @param labels `[batch]` int32 class indices in `[0, numClasses)`, or `[batch, numClasses]` float32
 *   probabilities (soft labels, e.g. from mixup; rows should sum to 1).
 * @returns a float32 scalar: `-Σ_b Σ_k target[b,k]·logSoftmax(logits)[b,k]` over the classes with
 *   `target[b,k] > 0` (a `−∞` logit of a class with target 0 gives a finite loss, as PyTorch), divided by
 *   `batch` for `'mean'` (soft labels too, as PyTorch).
 * @throws TrainError on rank/shape mismatch, `labelSmoothing` outside `[0, 1)`, or an unknown `reduction`
 *   ("Received: reduction=…"). Out-of-range integer labels are not checked (they contribute a zero target row).
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, opts: SoftmaxCrossEntropyOptions = {}): tf.Scalar {
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) {
    throw new TrainError(`softmaxCrossEntropy: labelSmoothing must be in [0, 1). Received: labelSmoothing=${eps}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') {
    throw new TrainError(`softmaxCrossEntropy: reduction must be 'mean' or 'sum'. Received: reduction=${String(opts.reduction)}`, {
      code: 'ERR_CNN_INVALID_OPTION',
    });
  }
  if (logits.rank !== 2) {
    throw new TrainError(`softmaxCrossEntropy: logits must be rank 2 [batch, numClasses], got shape [${logits.shape}]`, { code: 'ERR_CNN_SHAPE_MISMATCH' });
  }
  const [batch, k] = logits.shape as [number, number];
  if (labels.rank === 1) {
    if (labels.shape[0] !== batch) {
      throw new TrainError(`softmaxCrossEntropy: labels must have shape [${batch}], got [${labels.shape}]`, { code: 'ERR_CNN_SHAPE_MISMATCH' });
    }
  } else if (labels.rank !== 2 || labels.shape[0] !== batch || labels.shape[1] !== k) {
    throw new TrainError(`softmaxCrossEntropy: soft labels must have shape [${batch}, ${k}], got [${labels.shape}]`, { code: 'ERR_CNN_SHAPE_MISMATCH' });
  }
  return tf.tidy(() => {
    let target: tf.Tensor = labels.rank === 1 ? tf.oneHot(tf.cast(labels, 'int32'), k) : tf.cast(labels, 'float32');
    if (eps > 0) target = tf.add(tf.mul(target, 1 - eps), eps / k);
    const logp = tf.logSoftmax(logits);
    // Classes with target 0 contribute exactly 0, also when their logit is −∞ (0·(−∞) would be NaN):
    // PyTorch's loss stays finite there.
    const perSample = tf.sum(tf.where(tf.greater(target, 0), tf.mul(target, logp), tf.zerosLike(logp)), 1);
    return tf.neg(reduction === 'sum' ? tf.sum(perSample) : tf.mean(perSample)) as tf.Scalar;
  });
}

/** Options of {@link CrossEntropyLoss}. */
export interface CrossEntropyLossOptions {
  /** Label smoothing `ε ∈ [0, 1)` (`torch.nn.CrossEntropyLoss(label_smoothing=ε)`). Default `0`. */
  labelSmoothing?: number;
  /**
   * `'mean'` (default) or `'sum'` over the batch (`reduction=`). With `'sum'` the gradient is `batch` times the
   * mean's (airbench trains with it); the losses `fit` reports stay per-sample means.
   */
  reduction?: LossReduction;
}

/**
 * The training loss of `fit` / `trainEpoch` as one object (PyTorch's `torch.nn.CrossEntropyLoss`): softmax
 * cross-entropy of `[batch, numClasses]` float32 logits against `[batch]` int32 labels or `[batch, numClasses]`
 * soft labels, with label smoothing and a reduction. Evaluation always reports the plain per-sample mean.
 *
 * @example `fit(model, { train, validation, epochs: 10, optimizer, loss: new CrossEntropyLoss({ labelSmoothing: 0.1 }) })`
 */
export class CrossEntropyLoss {
  /** Label smoothing ε in `[0, 1)`. */
  readonly labelSmoothing: number;
  /** `'mean'` or `'sum'` over the batch. */
  readonly reduction: LossReduction;

  /**
   * @param options - `labelSmoothing` (default `0`), `reduction` (default `'mean'`).
   * @throws TrainError (code `ERR_CNN_INVALID_OPTION`) when `labelSmoothing` is outside `[0, 1)` or `reduction`
   *   is not `'mean'` / `'sum'` ("Received: …").
   */
  constructor(options: CrossEntropyLossOptions = {}) {
    const eps = options.labelSmoothing ?? 0;
    if (typeof eps !== 'number' || !(eps >= 0 && eps < 1)) {
      throw new TrainError(`CrossEntropyLoss: labelSmoothing must be in [0, 1). Received: labelSmoothing=${String(options.labelSmoothing)}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    }
    const reduction = options.reduction ?? 'mean';
    if (reduction !== 'mean' && reduction !== 'sum') {
      throw new TrainError(`CrossEntropyLoss: reduction must be 'mean' or 'sum'. Received: reduction=${String(options.reduction)}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    }
    this.labelSmoothing = eps;
    this.reduction = reduction;
    Object.freeze(this);
  }

  /**
   * The loss of a batch, a float32 scalar ({@link softmaxCrossEntropy} with this object's options).
   * @param logits - `[batch, numClasses]` float32.
   * @param labels - `[batch]` int32 class indices or `[batch, numClasses]` float32 soft labels.
   */
  call(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
    return softmaxCrossEntropy(logits, labels, { labelSmoothing: this.labelSmoothing, reduction: this.reduction });
  }
}
