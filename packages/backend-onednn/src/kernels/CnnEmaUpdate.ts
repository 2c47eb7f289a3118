/**
 * `CnnEmaUpdate`: the weight-averaging update of one tensor, natively (backend `onednn` only). The kernel name is
 * the contract with `@cnn/train`'s `ModelEma` / `Lookahead`, which call it through `tf.engine().runKernel` when it
 * is registered for the active backend and use tf ops otherwise.
 *
 * Inputs: `avg`, `param` (float32, same size). Attr: `weight` (a finite number). Output: `[avg']` (avg's shape),
 * `torch.lerp(avg, param, weight)` with PyTorch's formula in float32:
 * `|w| < 0.5 ? avg + w·(param − avg) : param − (param − avg)·(1 − w)`, `w` and `1 − w` rounded to float32 first
 * (as tfjs rounds a JS number operand), so the result is bit-identical to the same expression in tf ops.
 * Reference: Zhang et al., "Lookahead Optimizer: k steps forward, 1 step back", NeurIPS 2019; timm's ModelEmaV2.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { numberAttr, optimizerInput } from './CnnAdamUpdate.js';
import { output } from './util.js';
import { EMA_UPDATE_KERNEL } from '@cnn/core';
import { OnednnError } from '../binding-diagnostics.js';

/** Kernel name (contract with @cnn/train). */
export const CNN_EMA_UPDATE = EMA_UPDATE_KERNEL;

/** The averaging update; see the module documentation. @throws Error on a missing/mis-sized input or a bad weight. */
export function cnnEmaUpdate(args: { inputs: tf.NamedTensorInfoMap; backend: OnednnBackend; attrs: NamedAttrMap }): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const k = CNN_EMA_UPDATE;
  const avg = inputs['avg'];
  if (avg == null) throw new OnednnError(`${k}: input 'avg' is required`);
  const n = tf.util.sizeFromShape(avg.shape);
  const a = optimizerInput(backend, k, 'avg', avg, n);
  const p = optimizerInput(backend, k, 'param', inputs['param'], n);
  const w = numberAttr(k, attrs, 'weight');
  const out = backend.allocOutput(n);
  backend.binding.emaUpdate(a, p, out, n, Float32Array.of(w, 1 - w));
  return [output(backend, [...avg.shape], out)];
}

export const cnnEmaUpdateConfig: KernelConfig = {
  kernelName: CNN_EMA_UPDATE,
  backendName: 'onednn',
  kernelFunc: cnnEmaUpdate as unknown as KernelFunc,
};
