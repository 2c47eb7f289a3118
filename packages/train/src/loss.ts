import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /**
   * Label smoothing `ε ∈ [0, 1)`: the target becomes `(1-ε)·target + ε/numClasses`, as
   * `torch.nn.CrossEntropyLoss(label_smoothing=ε)`. Default `0`.
   */
  labelSmoothing?: number;
}

/**
 * Mean softmax cross-entropy of a batch, equal to `torch.nn.functional.cross_entropy` (reduction
 * `'mean'`). Computed from `logSoftmax` (log-sum-exp with max subtraction), so large logits do not
 * overflow.
 *
 * @param logits `[batch, numClasses]` float32 unnormalised scores.
 * @param labels `[batch]` int32 class indices in `[0, numClasses)`, or `[batch, numClasses]` float32
 *   probabilities (soft labels, e.g. from mixup; rows should sum to 1).
 * @returns a float32 scalar: `-mean_b Σ_k target[b,k]·logSoftmax(logits)[b,k]`.
 * @throws Error on rank/shape mismatch or `labelSmoothing` outside `[0, 1)`. Out-of-range integer
 *   labels are not checked (they contribute a zero target row).
 */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, opts: SoftmaxCrossEntropyOptions = {}): tf.Scalar {
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) {
    throw new Error(`softmaxCrossEntropy: labelSmoothing must be in [0, 1). Received: labelSmoothing=${eps}`);
  }
  if (logits.rank !== 2) {
    throw new Error(`softmaxCrossEntropy: logits must be rank 2 [batch, numClasses], got shape [${logits.shape}]`);
  }
  const [batch, k] = logits.shape as [number, number];
  if (labels.rank === 1) {
    if (labels.shape[0] !== batch) {
      throw new Error(`softmaxCrossEntropy: labels must have shape [${batch}], got [${labels.shape}]`);
    }
  } else if (labels.rank !== 2 || labels.shape[0] !== batch || labels.shape[1] !== k) {
    throw new Error(`softmaxCrossEntropy: soft labels must have shape [${batch}, ${k}], got [${labels.shape}]`);
  }
  return tf.tidy(() => {
    let target: tf.Tensor = labels.rank === 1 ? tf.oneHot(tf.cast(labels, 'int32'), k) : tf.cast(labels, 'float32');
    if (eps > 0) target = tf.add(tf.mul(target, 1 - eps), eps / k);
    const logp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), 1))) as tf.Scalar;
  });
}
