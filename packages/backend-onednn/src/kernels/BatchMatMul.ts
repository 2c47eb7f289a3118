/** Native `BatchMatMul` (transposes as strides, batch broadcast when equal or 1) on oneDNN matmul. */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchMatMulAttrs, BatchMatMulInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { nativeMatMul } from './matmul-impl.js';
import { type Defined, runCpuKernel } from './util.js';

/** `c[...batch, M, N] = op(a) x op(b)`; a `[...batch, M, K]` (or `[..., K, M]` with transposeA), likewise b. */
export function batchMatMul(args: { inputs: BatchMatMulInputs; backend: OnednnBackend; attrs: BatchMatMulAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs as Defined<BatchMatMulInputs>;
  const { transposeA, transposeB } = attrs;
  return nativeMatMul(backend, a, b, transposeA, transposeB, null, false) ?? (runCpuKernel(tf.BatchMatMul, { ...inputs }, backend, { ...attrs }) as TensorInfo);
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: tf.BatchMatMul,
  backendName: 'onednn',
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
