/**
 * Names of the toolkit's custom tfjs kernels. A package that has a fused path (`@cnn/models`' layers,
 * `@cnn/train`'s optimizers) calls `tf.engine().runKernel(NAME, …)` when `tf.getKernel(NAME, tf.getBackend())`
 * exists and falls back to tf ops otherwise; a backend (`@cnn/backend-onednn`) registers kernels under these
 * names. One list, so the caller and the backend cannot drift apart. Each entry names the kernel's contract.
 *
 * @packageDocumentation
 */

/** Adam / AdamW update of one variable in place (`torch.optim.Adam` / `AdamW` step). Inputs `param, grad, m, v`. */
export const ADAM_UPDATE_KERNEL = 'CnnAdamUpdate';
/** SGD update of one variable in place (`torch.optim.SGD`, momentum, dampening, Nesterov, weight decay). */
export const SGD_UPDATE_KERNEL = 'CnnSgdUpdate';
/** `ema ← ema + (1 − decay)·(param − ema)` in place, with `torch.lerp`'s float32 formula. */
export const EMA_UPDATE_KERNEL = 'CnnEmaUpdate';
/** BatchNorm forward in training mode over NHWC: output, batch mean and biased variance in one pass. */
export const BATCH_NORM_TRAIN_KERNEL = 'CnnBatchNormTrain';
/** BatchNorm backward in training mode: `dx`, `dgamma`, `dbeta`. */
export const BATCH_NORM_GRAD_KERNEL = 'CnnBatchNormGrad';
/** Exact (erf) GELU forward, `torch.nn.GELU()`. */
export const GELU_KERNEL = 'CnnGelu';
/** Exact (erf) GELU backward. */
export const GELU_GRAD_KERNEL = 'CnnGeluGrad';
/** ReLU backward fused with the bias gradient (sum of `dy·[y > 0]` over all but the channel axis). */
export const RELU_BIAS_GRAD_KERNEL = 'CnnReluBiasGrad';

/** Every custom kernel name above, sorted. */
export const CUSTOM_KERNEL_NAMES: readonly string[] = [
  ADAM_UPDATE_KERNEL,
  BATCH_NORM_GRAD_KERNEL,
  BATCH_NORM_TRAIN_KERNEL,
  EMA_UPDATE_KERNEL,
  GELU_GRAD_KERNEL,
  GELU_KERNEL,
  RELU_BIAS_GRAD_KERNEL,
  SGD_UPDATE_KERNEL,
];
