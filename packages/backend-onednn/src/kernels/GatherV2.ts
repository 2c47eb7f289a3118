/**
 * Native float32 `GatherV2` (int32 indices, any axis and batchDims): row copies of `x` reshaped to
 * `[batch, outer, dimSize, slice]` (tfjs' own decomposition, `collectGatherOpShapeInfo`). Other dtypes and
 * out-of-range indices use the JS kernel (which raises tfjs' error).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GatherV2Attrs, GatherV2Inputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { type Defined, floatValues, output, runCpuKernel } from './util.js';

/** Gathers slices of x along `axis` at `indices`, batched over the first `batchDims` axes. */
export function gatherV2(args: { inputs: GatherV2Inputs; backend: OnednnBackend; attrs: GatherV2Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, indices } = inputs as Defined<GatherV2Inputs>;
  const fallback = () => runCpuKernel(tf.GatherV2, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const xv = floatValues(backend, x);
  const iv = indices.dtype === 'int32' ? backend.data.get(indices.dataId).values : null;
  if (!xv || !(iv instanceof Int32Array)) return fallback();
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0]!;
  const info = tf.backend_util.segment_util.collectGatherOpShapeInfo(
    x as tf.TensorInfo as tf.Tensor,
    indices as tf.TensorInfo as tf.Tensor,
    axis,
    attrs.batchDims ?? 0,
  );
  const count = tf.util.sizeFromShape(indices.shape) / Math.max(1, info.batchSize);
  const out = backend.allocOutput(tf.util.sizeFromShape(info.outputShape));
  const ok = backend.binding.gather(xv, iv, out, info.batchSize, info.outerSize, info.dimSize, info.sliceSize, count);
  return ok ? output(backend, info.outputShape, out) : fallback();
}

export const gatherV2Config: KernelConfig = {
  kernelName: tf.GatherV2,
  backendName: 'onednn',
  kernelFunc: gatherV2 as unknown as KernelFunc,
};
