/**
 * `CnnSgdUpdate`: one fused native SGD step for one parameter (backend `onednn` only). The kernel name is the
 * contract with `@cnn/train`'s `SGD`, which calls it through `tf.engine().runKernel` when
 * `tf.getKernel('CnnSgdUpdate', tf.getBackend())` exists and uses its tf-op path otherwise.
 *
 * Inputs: `param`, `grad` (float32, same size) and the optional slot `buf` (`momentum_buffer`); an absent
 * buffer with `momentum > 0` is the first step (`buf ← d`, as PyTorch's clone).
 * Attrs: `lr`, `momentum`, `dampening`, `nesterov` (boolean), `weightDecay` (L2 added to the gradient).
 * Outputs (param's shape): `[newParam]`, plus `newBuf` when `momentum > 0`.
 *
 * Rule (`torch.optim.SGD` 1.13): `d ← g + λθ`; `buf ← μ·buf + (1-dampening)·d` (first step: `buf ← d`);
 * `d ← d + μ·buf` (Nesterov) or `d ← buf`; `θ ← θ - lr·d`, in float32 with the op path's operation order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { numberAttr, optimizerInput } from './CnnAdamUpdate.js';
import { output } from './util.js';
import { SGD_UPDATE_KERNEL } from '@cnn/core';
import { OnednnError } from '../binding-diagnostics.js';

/** Kernel name (contract with @cnn/train). */
export const CNN_SGD_UPDATE = SGD_UPDATE_KERNEL;

/** The fused SGD step; see the module documentation. */
export function cnnSgdUpdate(args: { inputs: tf.NamedTensorInfoMap; backend: OnednnBackend; attrs: NamedAttrMap }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const k = CNN_SGD_UPDATE;
  const param = inputs['param'];
  if (param == null) throw new OnednnError(`${k}: input 'param' is required`);
  const n = tf.util.sizeFromShape(param.shape);
  const p = optimizerInput(backend, k, 'param', param, n);
  const g = optimizerInput(backend, k, 'grad', inputs['grad'], n);
  const buf = inputs['buf'] ? optimizerInput(backend, k, 'buf', inputs['buf'], n) : null;
  const lr = numberAttr(k, attrs, 'lr');
  const momentum = numberAttr(k, attrs, 'momentum');
  const dampening = numberAttr(k, attrs, 'dampening');
  const wd = numberAttr(k, attrs, 'weightDecay');
  const nesterov = attrs['nesterov'] === true;
  const scalars = Float32Array.of(wd, momentum, 1 - dampening, lr, 0);
  const outP = backend.allocOutput(n);
  const outBuf = momentum !== 0 ? backend.allocOutput(n) : null;
  backend.binding.sgdUpdate(p, g, buf, outP, outBuf, n, nesterov, scalars);
  const shape = [...param.shape];
  const outs = [output(backend, shape, outP)];
  if (outBuf) outs.push(output(backend, shape, outBuf));
  return outs;
}

export const cnnSgdUpdateConfig: KernelConfig = {
  kernelName: CNN_SGD_UPDATE,
  backendName: 'onednn',
  kernelFunc: cnnSgdUpdate as unknown as KernelFunc,
};
