/**
 * float32 `Slice` of any rank as contiguous row copies ({@link copyBox}); other dtypes use the JS kernel.
 * tfjs semantics: `begin` and `size` per axis, `size -1` = to the end (`slice_util.parseSliceParams`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, SliceAttrs, SliceInputs, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { copyBox } from './box.js';
import { type Defined, floatValues, output, runCpuKernel } from './util.js';

/** `x[begin : begin + size]` along every axis; output shape `size` (with -1 resolved). */
export function slice(args: { inputs: SliceInputs; backend: OnednnBackend; attrs: SliceAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as Defined<SliceInputs>;
  const xv = floatValues(backend, x);
  if (!xv) return runCpuKernel(tf.Slice, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  tf.slice_util.assertParamsValid(x as tf.Tensor, begin, size);
  const out = backend.allocOutput(tf.util.sizeFromShape(size));
  copyBox(
    xv,
    x.shape,
    begin,
    out,
    size,
    size.map(() => 0),
    size,
  );
  return output(backend, size, out);
}

export const sliceConfig: KernelConfig = {
  kernelName: tf.Slice,
  backendName: 'onednn',
  kernelFunc: slice as unknown as KernelFunc,
};
