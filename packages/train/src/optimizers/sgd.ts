import * as tf from '@tensorflow/tfjs-core';
import { Optimizer } from './optimizer.js';
import { SGD_UPDATE_KERNEL } from '@cnn/core';
import { TrainError } from '../errors.js';

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
  /**
   * Use the active backend's fused kernel {@link SGD_UPDATE_KERNEL} when it registers one (one native call per
   * parameter, identical results); `false` forces the tf-op path. Default `true`.
   */
  fused?: boolean;
}

/**
 * Name of the optional fused backend kernel (the contract; `@cnn/backend-onednn` registers it for `onednn`).
 * Inputs `param`, `grad` and `buf` (momentum_buffer, absent on the first step); attrs `lr`, `momentum`,
 * `dampening`, `nesterov`, `weightDecay`; outputs `[param]` (+ `buf` when `momentum > 0`), the same float32
 * values as the op path below.
 */
export { SGD_UPDATE_KERNEL };

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
  /** Whether a backend's {@link SGD_UPDATE_KERNEL} may be used. */
  readonly fused: boolean;

  /** @throws TrainError on out-of-range options ("Received: momentum=…"). */
  constructor(opts: SGDOptions) {
    super(opts?.lr);
    this.momentum = opts.momentum ?? 0;
    this.dampening = opts.dampening ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    this.fused = opts.fused ?? true;
    if (!(this.momentum >= 0)) throw new TrainError(`SGD: momentum must be >= 0. Received: momentum=${this.momentum}`, { code: 'ERR_CNN_INVALID_OPTION' });
    if (!(this.weightDecay >= 0))
      throw new TrainError(`SGD: weightDecay must be >= 0. Received: weightDecay=${this.weightDecay}`, { code: 'ERR_CNN_INVALID_OPTION' });
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new TrainError(`SGD: nesterov requires momentum > 0 and dampening = 0. Received: momentum=${this.momentum}, dampening=${this.dampening}`, {
        code: 'ERR_CNN_INVALID_OPTION',
      });
    }
  }

  protected update(name: string, param: tf.Variable, grad: tf.Tensor): tf.Tensor {
    if (this.fused && param.dtype === 'float32' && tf.getKernel(SGD_UPDATE_KERNEL, tf.getBackend()) != null) {
      const inputs: tf.NamedTensorMap = { param, grad };
      const prev = this.momentum !== 0 ? this.getSlot(name, 'momentum_buffer') : undefined;
      if (prev) inputs.buf = prev;
      const attrs = { lr: this.lr, momentum: this.momentum, dampening: this.dampening, nesterov: this.nesterov, weightDecay: this.weightDecay };
      const outs = tf.engine().runKernel(SGD_UPDATE_KERNEL, inputs, attrs) as tf.Tensor[];
      if (this.momentum !== 0) this.setSlot(name, 'momentum_buffer', outs[1]);
      return outs[0];
    }
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
