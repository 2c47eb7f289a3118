import * as tf from '@tensorflow/tfjs-core';
import { Optimizer } from './optimizer.js';
import { ADAM_UPDATE_KERNEL } from '@cnn/core';
import { TrainError } from '../errors.js';

/** Options of {@link Adam}; defaults as `torch.optim.Adam`. */
export interface AdamOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /** `[beta1, beta2]` decay of the first and second moment. Default `[0.9, 0.999]`. */
  betas?: [number, number];
  /** Added to the denominator. Default `1e-8`. */
  eps?: number;
  /** L2 penalty added to the gradient (`g + weightDecay·θ`, not AdamW's decoupled decay). Default `0`. */
  weightDecay?: number;
  /** Use the AMSGrad variant (max of past second moments). Default `false`. */
  amsgrad?: boolean;
  /**
   * Use the active backend's fused kernel {@link ADAM_UPDATE_KERNEL} when it registers one (one native call per
   * parameter, identical results); `false` forces the tf-op path. Default `true`.
   */
  fused?: boolean;
}

/**
 * Name of the optional fused backend kernel (the contract; `@cnn/backend-onednn` registers it for `onednn`).
 * Inputs `param`, `grad` and the slots present (`m` = exp_avg, `v` = exp_avg_sq, `vmax` = max_exp_avg_sq;
 * absent = zero, first step); attrs `lr`, `beta1`, `beta2`, `eps`, `weightDecay`, `amsgrad`, `step` (1-based);
 * outputs `[param, m, v]` (+ `vmax` with AMSGrad), the same float32 values as the op path below.
 */
export { ADAM_UPDATE_KERNEL };

/**
 * Adam with `torch.optim.Adam` (1.13, single-tensor path) semantics. For step `t`:
 * `g ← g + λθ`; `m ← β1·m + (1-β1)·g`; `v ← β2·v + (1-β2)·g²` (AMSGrad: `v̂ ← max(v̂, v)`);
 * `θ ← θ - (lr / (1-β1ᵗ)) · m / (√v / √(1-β2ᵗ) + eps)`.
 * Slots per parameter: `exp_avg`, `exp_avg_sq` (and `max_exp_avg_sq` with AMSGrad).
 *
 * Reference: Kingma & Ba, "Adam: A Method for Stochastic Optimization" (2015); PyTorch `torch/optim/adam.py`.
 */
export class Adam extends Optimizer {
  readonly type = 'Adam';
  /** `[beta1, beta2]`. */
  readonly betas: [number, number];
  /** Denominator fuzz. */
  readonly eps: number;
  /** L2 penalty coefficient. */
  readonly weightDecay: number;
  /** AMSGrad variant. */
  readonly amsgrad: boolean;
  /** Whether a backend's {@link ADAM_UPDATE_KERNEL} may be used. */
  readonly fused: boolean;

  /** @throws TrainError on out-of-range options ("Received: betas=…"). */
  constructor(opts: AdamOptions = {}) {
    super(opts.lr ?? 1e-3);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.amsgrad = opts.amsgrad ?? false;
    this.fused = opts.fused ?? true;
    if (this.betas.length !== 2 || !this.betas.every((b) => b >= 0 && b < 1)) {
      throw new TrainError(`Adam: betas must be two numbers in [0, 1). Received: betas=${JSON.stringify(this.betas)}`, { code: 'ERR_CNN_INVALID_OPTION' });
    }
    if (!(this.eps >= 0)) throw new TrainError(`Adam: eps must be >= 0. Received: eps=${this.eps}`, { code: 'ERR_CNN_INVALID_OPTION' });
    if (!(this.weightDecay >= 0))
      throw new TrainError(`Adam: weightDecay must be >= 0. Received: weightDecay=${this.weightDecay}`, { code: 'ERR_CNN_INVALID_OPTION' });
  }

  protected update(name: string, param: tf.Variable, grad: tf.Tensor, t: number): tf.Tensor {
    const [b1, b2] = this.betas;
    if (this.fused && param.dtype === 'float32' && tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) != null) {
      const inputs: tf.NamedTensorMap = { param, grad };
      const slots = [['m', 'exp_avg'], ['v', 'exp_avg_sq'], ...(this.amsgrad ? [['vmax', 'max_exp_avg_sq']] : [])];
      for (const [input, slot] of slots) {
        const s = this.getSlot(name, slot);
        if (s) inputs[input] = s;
      }
      const attrs = { lr: this.lr, beta1: b1, beta2: b2, eps: this.eps, weightDecay: this.weightDecay, amsgrad: this.amsgrad, step: t };
      const outs = tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs, attrs) as tf.Tensor[];
      slots.forEach(([, slot], i) => this.setSlot(name, slot, outs[i + 1]));
      return outs[0];
    }
    const g = this.weightDecay !== 0 ? tf.add(grad, tf.mul(param, this.weightDecay)) : grad;
    const m0 = this.getSlot(name, 'exp_avg');
    const v0 = this.getSlot(name, 'exp_avg_sq');
    const m = m0 ? tf.add(tf.mul(m0, b1), tf.mul(g, 1 - b1)) : tf.mul(g, 1 - b1);
    const v = v0 ? tf.add(tf.mul(v0, b2), tf.mul(tf.square(g), 1 - b2)) : tf.mul(tf.square(g), 1 - b2);
    this.setSlot(name, 'exp_avg', m);
    this.setSlot(name, 'exp_avg_sq', v);
    let vUsed = v;
    if (this.amsgrad) {
      const prev = this.getSlot(name, 'max_exp_avg_sq');
      vUsed = prev ? tf.maximum(prev, v) : v;
      this.setSlot(name, 'max_exp_avg_sq', vUsed);
    }
    const bc1 = 1 - b1 ** t;
    const bc2Sqrt = Math.sqrt(1 - b2 ** t);
    const denom = tf.add(tf.div(tf.sqrt(vUsed), bc2Sqrt), this.eps);
    return tf.sub(param, tf.mul(tf.div(m, denom), this.lr / bc1));
  }
}
