import * as tf from '@tensorflow/tfjs-core';
import { Optimizer } from './optimizer';

/** Options of {@link SGD}; defaults as `torch.optim.SGD`. */
export interface SGDOptions {
  /** Learning rate (required, `>= 0`). */
  lr: number;
  /** Momentum factor. Default `0`. */
  momentum?: number;
  /** Dampening of the momentum buffer update. Default `0`. */
  dampening?: number;
  /** Nesterov momentum (needs `momentum > 0` and `dampening = 0`). Default `false`. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (`g + weightDecay·θ`). Default `0`. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with `torch.optim.SGD` semantics:
 * `d ← g + λθ`; with momentum `μ`: `buf ← d` on the first step, else `buf ← μ·buf + (1-dampening)·d`;
 * `d ← d + μ·buf` (Nesterov) or `d ← buf`; `θ ← θ - lr·d`. Slot per parameter: `momentum_buffer`.
 *
 * Reference: PyTorch `torch/optim/sgd.py`; Sutskever et al. (2013) for the Nesterov form.
 */
export class SGD extends Optimizer {
  readonly type = 'SGD';
  /** Momentum factor. */
  readonly momentum: number;
  /** Momentum dampening. */
  readonly dampening: number;
  /** Nesterov momentum. */
  readonly nesterov: boolean;
  /** L2 penalty coefficient. */
  readonly weightDecay: number;

  /** @throws Error on out-of-range options ("Received: momentum=…"). */
  constructor(opts: SGDOptions) {
    super(opts?.lr);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.momentum >= 0)) throw new Error(`SGD: momentum must be >= 0. Received: momentum=${this.momentum}`);
    if (!(this.weightDecay >= 0)) throw new Error(`SGD: weightDecay must be >= 0. Received: weightDecay=${this.weightDecay}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error(`SGD: nesterov requires momentum > 0 and dampening = 0. Received: momentum=${this.momentum}, dampening=${this.dampening}`);
    }
  }

  protected update(name: string, param: tf.Variable, grad: tf.Tensor): tf.Tensor {
    let d = this.weightDecay !== 0 ? tf.add(grad, tf.mul(param, this.weightDecay)) : grad;
    if (this.momentum !== 0) {
      const prev = this.getSlot(name, 'momentum_buffer');
      const buf = prev ? tf.add(tf.mul(prev, this.momentum), tf.mul(d, 1 - this.dampening)) : d;
      this.setSlot(name, 'momentum_buffer', buf);
      d = this.nesterov ? tf.add(d, tf.mul(buf, this.momentum)) : buf;
    }
    return tf.sub(param, tf.mul(d, this.lr));
  }
}
