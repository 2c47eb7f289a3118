import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GELU_GRAD_KERNEL, GELU_KERNEL } from '@cnn/core';
import { ModelError } from './errors.js';

type Kwargs = Record<string, unknown>;
type LayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];

/**
 * Kernel names of the optional GELU kernels (a backend contract, e.g. `@cnn/backend-onednn`):
 * `CnnGelu` (input `x`, no attrs, output `y = x·Φ(x)`) and `CnnGeluGrad` (inputs `dy`, `x` of the same shape,
 * no attrs, output `dx = dy·(Φ(x) + x·φ(x))`), float32, any shape, elementwise. Used only when both are
 * registered for the active backend; otherwise {@link gelu} runs tf ops with the same formulas.
 */
export const GELU_KERNELS = { forward: GELU_KERNEL, grad: GELU_GRAD_KERNEL } as const;

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** True when the active backend registers both GELU kernels. */
function geluKernelsAvailable(): boolean {
  const backend = tf.getBackend();
  return tf.getKernel(GELU_KERNELS.forward, backend) != null && tf.getKernel(GELU_KERNELS.grad, backend) != null;
}

/** `Φ(x) = (1 + erf(x/√2))/2`, the standard normal CDF, with tf ops. */
function normalCdf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.add(tf.erf(tf.mul(x, SQRT1_2)), 1), 0.5);
}

/** `dy·(Φ(x) + x·φ(x))` with tf ops, `φ(x) = exp(−x²/2)/√(2π)`. */
function geluGradOps(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI);
    return tf.mul(dy, tf.add(normalCdf(x), tf.mul(x, pdf)));
  });
}

/**
 * The Gaussian Error Linear Unit in its exact (erf) form, `gelu(x) = x·Φ(x) = x·(1 + erf(x/√2))/2`, as
 * `torch.nn.GELU()` (default `approximate='none'`) and `torch.nn.functional.gelu` (Hendrycks & Gimpel,
 * "Gaussian Error Linear Units (GELUs)", arXiv 1606.08415). Differentiable: the gradient is
 * `dy·(Φ(x) + x·φ(x))` with `φ` the standard normal density, written in closed form (`tf.customGrad`).
 *
 * Runs the `CnnGelu` / `CnnGeluGrad` kernels ({@link GELU_KERNELS}) when the active backend registers both,
 * else tf ops (`tf.erf`, `tf.exp`). Non-finite values behave as PyTorch's: NaN stays NaN, `gelu(+∞) = +∞`,
 * `gelu(−∞) = NaN` (`−∞·0`), and the gradient at ±∞ is NaN.
 *
 * @param x - float32 tensor of any shape (e.g. NHWC `[batch, height, width, channels]`).
 * @returns float32 tensor shaped like `x`.
 * @throws Error when `x` is not float32 ("Received: dtype=…").
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'float32') throw new ModelError(`gelu: x must be float32. Received: dtype=${x.dtype}`);
  const fused = geluKernelsAvailable();
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([xi]);
    const value = fused ? (tf.engine().runKernel(GELU_KERNELS.forward, { x: xi }, {}) as tf.Tensor) : tf.mul(xi, normalCdf(xi));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const xs = saved[0]!;
      if (fused) return [tf.engine().runKernel(GELU_KERNELS.grad, { dy, x: xs }, {}) as tf.Tensor];
      return [geluGradOps(dy, xs)];
    };
    return { value, gradFunc };
  });
  return f(x);
}

/**
 * A layer applying {@link gelu} elementwise (`torch.nn.GELU()`, exact erf form). No weights; input and output
 * shapes are equal (any rank, float32; NHWC `[batch, height, width, channels]` in our CNNs). Same in training
 * and inference.
 *
 * Registered with `tf.serialization.registerClass` under the class name `GELU` (no extra config), so models
 * saved with it load again once this module is imported. (tfjs-layers' `activation: 'gelu'` computes the same
 * function, but differentiates through `tf.erf` op by op and has no kernel hook.)
 */
export class GELU extends tfl.layers.Layer {
  /** Serialisation class name. */
  static className = 'GELU';

  constructor(args: LayerArgs = {}) {
    super(args ?? {});
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Kwargs): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return gelu(x);
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }
}
tf.serialization.registerClass(GELU);

/** Creates a {@link GELU} layer (`torch.nn.GELU()`); takes the base layer arguments (`name`, `inputShape`, ...). */
export function geluLayer(args: LayerArgs = {}): GELU {
  return new GELU(args);
}
