/**
 * `CnnAdamUpdate`: one fused native Adam step for one parameter (backend `onednn` only). The kernel name is the
 * contract with `@cnn/train`'s `Adam`, which calls it through `tf.engine().runKernel` when
 * `tf.getKernel('CnnAdamUpdate', tf.getBackend())` exists and uses its tf-op path otherwise.
 *
 * Inputs: `param`, `grad` (float32, same size) and the optional slots `m` (`exp_avg`), `v` (`exp_avg_sq`),
 * `vmax` (`max_exp_avg_sq`, AMSGrad); an absent slot is the zero state of the first step.
 * Attrs: `lr`, `beta1`, `beta2`, `eps`, `weightDecay` (L2 added to the gradient), `amsgrad` (boolean), `step`
 * (1-based `t`, gives the bias corrections `1 - beta1^t`, `sqrt(1 - beta2^t)`).
 * Outputs (param's shape): `[newParam, newM, newV]`, plus `newVmax` when `amsgrad`.
 *
 * Rule (`torch.optim.Adam` 1.13, single-tensor): `g ← g + λθ`; `m ← β1·m + (1-β1)·g`; `v ← β2·v + (1-β2)·g²`;
 * AMSGrad `v̂ ← max(v̂, v)`; `θ ← θ - (lr / (1-β1ᵗ)) · m / (√v̂ / √(1-β2ᵗ) + eps)`, computed in float32 with the
 * same operation order and scalar roundings as @cnn/train's op path, so both paths give identical bits.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { output } from './util.js';
import { ADAM_UPDATE_KERNEL } from '@cnn/core';
import { OnednnError } from '../binding-diagnostics.js';

/** Kernel name (contract with @cnn/train). */
export const CNN_ADAM_UPDATE = ADAM_UPDATE_KERNEL;

/** Attributes of {@link CNN_ADAM_UPDATE}. */
export interface CnnAdamUpdateAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  step: number;
}

/**
 * The `Float32Array` of a float32 tensor input of `size` elements.
 * @throws Error naming the kernel and input when it is missing, not float32, or of another size.
 */
export function optimizerInput(backend: OnednnBackend, kernel: string, name: string, t: TensorInfo | undefined, size: number): Float32Array {
  if (t == null) throw new OnednnError(`${kernel}: input '${name}' is required`);
  const values = t.dtype === 'float32' ? backend.data.get(t.dataId).values : null;
  if (!(values instanceof Float32Array)) throw new OnednnError(`${kernel}: input '${name}' must be float32, got ${t.dtype}`);
  if (tf.util.sizeFromShape(t.shape) !== size) {
    throw new OnednnError(`${kernel}: input '${name}' has shape [${t.shape}], expected ${size} elements like 'param'`);
  }
  return values;
}

/** Checks that attr `name` is a finite number and returns it. */
export function numberAttr(kernel: string, attrs: NamedAttrMap, name: string): number {
  const v = attrs[name];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new OnednnError(`${kernel}: attr '${name}' must be a finite number. Received: ${String(v)}`);
  }
  return v;
}

/** The fused Adam step; see the module documentation. */
export function cnnAdamUpdate(args: { inputs: tf.NamedTensorInfoMap; backend: OnednnBackend; attrs: NamedAttrMap }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const k = CNN_ADAM_UPDATE;
  const param = inputs['param'];
  if (param == null) throw new OnednnError(`${k}: input 'param' is required`);
  const n = tf.util.sizeFromShape(param.shape);
  const p = optimizerInput(backend, k, 'param', param, n);
  const g = optimizerInput(backend, k, 'grad', inputs['grad'], n);
  const m = inputs['m'] ? optimizerInput(backend, k, 'm', inputs['m'], n) : null;
  const v = inputs['v'] ? optimizerInput(backend, k, 'v', inputs['v'], n) : null;
  const vmax = inputs['vmax'] ? optimizerInput(backend, k, 'vmax', inputs['vmax'], n) : null;
  const lr = numberAttr(k, attrs, 'lr');
  const b1 = numberAttr(k, attrs, 'beta1');
  const b2 = numberAttr(k, attrs, 'beta2');
  const eps = numberAttr(k, attrs, 'eps');
  const wd = numberAttr(k, attrs, 'weightDecay');
  const t = numberAttr(k, attrs, 'step');
  const amsgrad = attrs['amsgrad'] === true;
  // Same double-precision scalar arithmetic as the op path; Float32Array.of rounds like tfjs' scalar operands.
  const bc1 = 1 - b1 ** t;
  const bc2Sqrt = Math.sqrt(1 - b2 ** t);
  const scalars = Float32Array.of(wd, b1, 1 - b1, b2, 1 - b2, bc2Sqrt, eps, lr / bc1);
  const outP = backend.allocOutput(n);
  const outM = backend.allocOutput(n);
  const outV = backend.allocOutput(n);
  const outVmax = amsgrad ? backend.allocOutput(n) : null;
  backend.binding.adamUpdate(p, g, m, v, vmax, outP, outM, outV, outVmax, n, amsgrad, scalars);
  const shape = [...param.shape];
  const outs = [output(backend, shape, outP), output(backend, shape, outM), output(backend, shape, outV)];
  if (outVmax) outs.push(output(backend, shape, outVmax));
  return outs;
}

export const cnnAdamUpdateConfig: KernelConfig = {
  kernelName: CNN_ADAM_UPDATE,
  backendName: 'onednn',
  kernelFunc: cnnAdamUpdate as unknown as KernelFunc,
};
