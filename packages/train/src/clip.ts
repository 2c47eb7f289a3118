import * as tf from '@tensorflow/tfjs-core';
import { TrainError } from './errors.js';

/** Result of {@link clipGradNorm}. */
export interface ClipNormResult {
  /** The clipped gradients (new tensors, owned by the caller), same keys and shapes. */
  grads: Record<string, tf.Tensor>;
  /** Global L2 norm of the gradients before clipping (may be NaN/Inf). */
  totalNorm: number;
}

/**
 * Clips gradients by their global L2 norm, as `torch.nn.utils.clip_grad_norm_(params, maxNorm)`:
 * `total = sqrt(Σ_p ‖g_p‖²)`, `coef = min(1, maxNorm / (total + 1e-6))`, `g_p ← coef · g_p`.
 * Non-finite norms are not an error (PyTorch's `error_if_nonfinite=False`); the result is then non-finite.
 *
 * @param grads gradients keyed by parameter name (float32, any shapes); not disposed.
 * @param maxNorm the largest allowed global norm (> 0).
 * @throws TrainError when `maxNorm` is not a finite number > 0.
 */
export async function clipGradNorm(grads: Record<string, tf.Tensor>, maxNorm: number): Promise<ClipNormResult> {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0))
    throw new TrainError(`clipGradNorm: maxNorm must be a finite number > 0. Received: maxNorm=${maxNorm}`, { code: 'ERR_CNN_INVALID_OPTION' });
  const names = Object.keys(grads);
  if (names.length === 0) return { grads: {}, totalNorm: 0 };
  const totalT = tf.tidy(() => tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]))))));
  let totalNorm: number;
  try {
    totalNorm = (await totalT.data())[0]; // asynchronous read: works on backends without synchronous reads (webgpu in Node)
  } finally {
    totalT.dispose();
  }
  const coef = Math.min(1, maxNorm / (totalNorm + 1e-6));
  const out: Record<string, tf.Tensor> = {};
  for (const n of names) out[n] = tf.tidy(() => tf.mul(grads[n], coef));
  return { grads: out, totalNorm };
}

/**
 * Clips every gradient element to `[-clipValue, clipValue]`, as `torch.nn.utils.clip_grad_value_`.
 * @returns new tensors (owned by the caller), same keys and shapes.
 * @throws TrainError when `clipValue` is not a finite number > 0.
 */
export function clipGradValue(grads: Record<string, tf.Tensor>, clipValue: number): Record<string, tf.Tensor> {
  if (!(Number.isFinite(clipValue) && clipValue > 0))
    throw new TrainError(`clipGradValue: clipValue must be a finite number > 0. Received: clipValue=${clipValue}`, { code: 'ERR_CNN_INVALID_OPTION' });
  const out: Record<string, tf.Tensor> = {};
  for (const [n, g] of Object.entries(grads)) out[n] = tf.clipByValue(g, -clipValue, clipValue);
  return out;
}
