/**
 * The toolkit's custom kernels (`@cnn/core`'s `CUSTOM_KERNEL_NAMES`) for the `webgpu` backend, each composed
 * from tfjs ops that tfjs-backend-webgpu runs as WGSL shaders, with the same inputs, attrs and outputs as the
 * native `onednn` kernels (see `kernels/Cnn*.ts` for each contract). A kernel function here runs inside the
 * engine's kernel scope: the ops it calls are not recorded on the gradient tape (the callers register the
 * gradients), and its intermediates are released by `tf.tidy`.
 *
 * @packageDocumentation
 */
import {
  ADAM_UPDATE_KERNEL,
  BATCH_NORM_GRAD_KERNEL,
  BATCH_NORM_TRAIN_KERNEL,
  EMA_UPDATE_KERNEL,
  GELU_GRAD_KERNEL,
  GELU_KERNEL,
  RELU_BIAS_GRAD_KERNEL,
  SGD_UPDATE_KERNEL,
} from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import { OnednnError } from './binding-diagnostics.js';

type Inputs = Record<string, tf.TensorInfo | undefined>;
type Attrs = Record<string, unknown>;

/** The tensor of input `name` (kernel inputs are tensors when called through `tf.engine().runKernel`). */
function input(kernel: string, inputs: Inputs, name: string): tf.Tensor {
  const t = inputs[name];
  if (t == null) throw new OnednnError(`${kernel}: input '${name}' is required`, { code: 'ERR_CNN_KERNEL_INPUT' });
  if (t.dtype !== 'float32') throw new OnednnError(`${kernel}: input '${name}' must be float32, got ${t.dtype}`, { code: 'ERR_CNN_KERNEL_INPUT' });
  return t instanceof tf.Tensor ? t : tf.engine().makeTensorFromTensorInfo(t);
}

function num(kernel: string, attrs: Attrs, name: string): number {
  const v = attrs[name];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new OnednnError(`${kernel}: attr '${name}' must be a finite number. Received: ${String(v)}`, { code: 'ERR_CNN_KERNEL_INPUT' });
  return v;
}

/** Every axis but the last (the channel axis of NHWC / `[batch, features]`). */
function leadingAxes(t: tf.Tensor): number[] {
  return t.shape.map((_, i) => i).slice(0, -1);
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Φ(x) = ½·(1 + erf(x/√2)). */
function normalCdf(x: tf.Tensor): tf.Tensor {
  return tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, SQRT1_2))));
}

const kernels: Record<string, (inputs: Inputs, attrs: Attrs) => tf.Tensor | tf.Tensor[]> = {
  [GELU_KERNEL]: (inputs) => {
    const x = input(GELU_KERNEL, inputs, 'x');
    return tf.mul(x, normalCdf(x)); // one output, as the onednn kernel: runKernel returns the tensor
  },
  [GELU_GRAD_KERNEL]: (inputs) => {
    const x = input(GELU_GRAD_KERNEL, inputs, 'x');
    const dy = input(GELU_GRAD_KERNEL, inputs, 'dy');
    const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(x))));
    return tf.reshape(tf.mul(dy, tf.add(normalCdf(x), tf.mul(x, pdf))), dy.shape);
  },
  [RELU_BIAS_GRAD_KERNEL]: (inputs) => {
    const dy = input(RELU_BIAS_GRAD_KERNEL, inputs, 'dy');
    const y = input(RELU_BIAS_GRAD_KERNEL, inputs, 'y');
    const dz = tf.mul(dy, tf.step(y));
    return [dz, tf.sum(dz, leadingAxes(dz))];
  },
  [BATCH_NORM_TRAIN_KERNEL]: (inputs, attrs) => {
    const x = input(BATCH_NORM_TRAIN_KERNEL, inputs, 'x');
    const gamma = input(BATCH_NORM_TRAIN_KERNEL, inputs, 'gamma');
    const beta = input(BATCH_NORM_TRAIN_KERNEL, inputs, 'beta');
    const eps = num(BATCH_NORM_TRAIN_KERNEL, attrs, 'epsilon');
    const { mean, variance } = tf.moments(x, leadingAxes(x));
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, eps)));
    return [tf.add(tf.mul(tf.sub(x, mean), scale), beta), mean, variance];
  },
  [BATCH_NORM_GRAD_KERNEL]: (inputs, attrs) => {
    const k = BATCH_NORM_GRAD_KERNEL;
    const dy = input(k, inputs, 'dy');
    const x = input(k, inputs, 'x');
    const gamma = input(k, inputs, 'gamma');
    const mean = input(k, inputs, 'mean');
    const variance = input(k, inputs, 'variance');
    const eps = num(k, attrs, 'epsilon');
    const axes = leadingAxes(x);
    const n = x.size / (x.shape[x.shape.length - 1] ?? 1);
    const invstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(tf.sub(x, mean), invstd);
    const dbeta = tf.sum(dy, axes);
    const dgamma = tf.sum(tf.mul(dy, xhat), axes);
    // dx = gamma·invstd/N · (N·dy − Σdy − x̂·Σ(dy·x̂))
    const dx = tf.mul(tf.div(tf.mul(gamma, invstd), n), tf.sub(tf.sub(tf.mul(dy, n), dbeta), tf.mul(xhat, dgamma)));
    return [dx, dgamma, dbeta];
  },
  [SGD_UPDATE_KERNEL]: (inputs, attrs) => {
    const k = SGD_UPDATE_KERNEL;
    const param = input(k, inputs, 'param');
    const grad = tf.reshape(input(k, inputs, 'grad'), param.shape);
    const lr = num(k, attrs, 'lr');
    const momentum = num(k, attrs, 'momentum');
    const dampening = num(k, attrs, 'dampening');
    const wd = num(k, attrs, 'weightDecay');
    let d = wd !== 0 ? tf.add(grad, tf.mul(param, wd)) : grad;
    let buf: tf.Tensor | null = null;
    if (momentum !== 0) {
      const old = inputs.buf ? tf.reshape(input(k, inputs, 'buf'), param.shape) : null;
      buf = old ? tf.add(tf.mul(old, momentum), tf.mul(d, 1 - dampening)) : tf.clone(d);
      d = attrs.nesterov === true ? tf.add(d, tf.mul(buf, momentum)) : buf;
    }
    const next = tf.sub(param, tf.mul(d, lr));
    return buf ? [next, buf] : [next];
  },
  [ADAM_UPDATE_KERNEL]: (inputs, attrs) => {
    const k = ADAM_UPDATE_KERNEL;
    const param = input(k, inputs, 'param');
    const shape = param.shape;
    const slot = (name: string) => (inputs[name] ? tf.reshape(input(k, inputs, name), shape) : tf.zerosLike(param));
    const lr = num(k, attrs, 'lr');
    const b1 = num(k, attrs, 'beta1');
    const b2 = num(k, attrs, 'beta2');
    const eps = num(k, attrs, 'eps');
    const wd = num(k, attrs, 'weightDecay');
    const t = num(k, attrs, 'step');
    const amsgrad = attrs.amsgrad === true;
    let g = tf.reshape(input(k, inputs, 'grad'), shape);
    if (wd !== 0) g = tf.add(g, tf.mul(param, wd));
    const m = tf.add(tf.mul(slot('m'), b1), tf.mul(g, 1 - b1));
    const v = tf.add(tf.mul(slot('v'), b2), tf.mul(tf.square(g), 1 - b2));
    const vmax = amsgrad ? tf.maximum(slot('vmax'), v) : null;
    const bc1 = 1 - b1 ** t;
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    const denom = tf.add(tf.div(tf.sqrt(vmax ?? v), bc2Sqrt), eps);
    const next = tf.sub(param, tf.mul(tf.div(m, denom), lr / bc1));
    return vmax ? [next, m, v, vmax] : [next, m, v];
  },
  [EMA_UPDATE_KERNEL]: (inputs, attrs) => {
    const k = EMA_UPDATE_KERNEL;
    const avg = input(k, inputs, 'avg');
    const param = tf.reshape(input(k, inputs, 'param'), avg.shape);
    const w = num(k, attrs, 'weight');
    // torch.lerp's two-sided formula, as the native kernel and @cnn/train's op path.
    return [Math.abs(w) < 0.5 ? tf.add(avg, tf.mul(tf.sub(param, avg), w)) : tf.sub(param, tf.mul(tf.sub(param, avg), 1 - w))];
  },
};

/** Names of the custom kernels registered for `webgpu` (all of `@cnn/core`'s `CUSTOM_KERNEL_NAMES`). */
export const WEBGPU_KERNEL_NAMES: readonly string[] = Object.keys(kernels).sort();

/**
 * Registers the custom kernels for the `webgpu` backend (once; skips names already registered for it).
 * Called by `initWebGpu`.
 */
export function registerWebGpuKernels(): void {
  for (const [kernelName, fn] of Object.entries(kernels)) {
    if (tf.getKernel(kernelName, 'webgpu') != null) continue;
    tf.registerKernel({
      kernelName,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, attrs }) => tf.tidy(() => fn(inputs as Inputs, attrs as Attrs)),
    });
  }
}
