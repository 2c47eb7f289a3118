/**
 * Native `_FusedMatMul` (matmul + bias `[N]` + relu/linear in one oneDNN primitive). Other activations, prelu
 * weights or a bias that is not a per-column vector fall back to the JS kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { _FusedMatMulAttrs, _FusedMatMulInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { nativeMatMul } from './matmul-impl.js';
import { channelBias, type Defined, runCpuKernel } from './util.js';

/** `c = activation(op(a) x op(b) + bias)`, bias `[N]`. */
export function fusedMatMul(args: { inputs: _FusedMatMulInputs; backend: OnednnBackend; attrs: _FusedMatMulAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as Defined<Pick<_FusedMatMulInputs, 'a' | 'b'>>;
  const { bias, preluActivationWeights } = inputs;
  const { transposeA, transposeB, activation } = attrs;
  const fallback = () => runCpuKernel(tf._FusedMatMul, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  if ((activation !== 'linear' && activation !== 'relu') || preluActivationWeights != null) return fallback();
  const n = transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
  const bv = channelBias(backend, bias, n);
  if (bv === undefined) return fallback();
  return nativeMatMul(backend, a, b, transposeA, transposeB, bv, activation === 'relu') ?? fallback();
}

export const fusedMatMulConfig: KernelConfig = {
  kernelName: tf._FusedMatMul,
  backendName: 'onednn',
  kernelFunc: fusedMatMul as unknown as KernelFunc,
};
