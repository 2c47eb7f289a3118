/**
 * float32 constant `PadV2` of any rank: the output filled with `constantValue`, then the input copied in as
 * contiguous rows ({@link copyBox}); other dtypes use the JS kernel. `paddings[axis] = [before, after]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, PadV2Attrs, PadV2Inputs, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { copyBox } from './box.js';
import { type Defined, floatValues, output, runCpuKernel } from './util.js';

/** `x` padded by `paddings` with `constantValue`; output shape `before + x.shape + after` per axis. */
export function padV2(args: { inputs: PadV2Inputs; backend: OnednnBackend; attrs: PadV2Attrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as Defined<PadV2Inputs>;
  const { paddings, constantValue } = attrs;
  const xv = floatValues(backend, x);
  if (!xv || paddings.length !== x.shape.length) {
    return runCpuKernel(tf.PadV2, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  }
  const outShape = x.shape.map((d, a) => paddings[a]![0] + d + paddings[a]![1]);
  const out = backend.allocOutput(tf.util.sizeFromShape(outShape));
  out.fill(constantValue);
  copyBox(
    xv,
    x.shape,
    x.shape.map(() => 0),
    out,
    outShape,
    paddings.map((p) => p[0]),
    x.shape,
  );
  return output(backend, outShape, out);
}

export const padV2Config: KernelConfig = {
  kernelName: tf.PadV2,
  backendName: 'onednn',
  kernelFunc: padV2 as unknown as KernelFunc,
};
