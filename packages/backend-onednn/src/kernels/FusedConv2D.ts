/**
 * Native `FusedConv2D` (conv + per-channel bias + relu/linear fused in one oneDNN primitive). Other
 * activations, prelu weights or a non-per-channel bias fall back to the JS kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FusedConv2DAttrs, FusedConv2DInputs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { channelBias, conv2DGeometry, type Defined, floatValues, output, runCpuKernel } from './util.js';

/** `y = activation(conv2d(x, filter) + bias)`, x `[batch, inH, inW, inC]`, filter `[fh, fw, inC, outC]`, bias `[outC]`. */
export function fusedConv2D(args: { inputs: FusedConv2DInputs; backend: OnednnBackend; attrs: FusedConv2DAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter } = inputs as Defined<Pick<FusedConv2DInputs, 'x' | 'filter'>>;
  const { bias, preluActivationWeights } = inputs;
  const { activation } = attrs;
  const fallback = () => runCpuKernel(tf.FusedConv2D, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  if ((activation !== 'linear' && activation !== 'relu') || preluActivationWeights != null) return fallback();
  const { info, params } = conv2DGeometry(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], attrs);
  const xv = floatValues(backend, x);
  const wv = floatValues(backend, filter);
  const bv = channelBias(backend, bias, info.outChannels);
  if (!params || !xv || !wv || bv === undefined) return fallback();
  const out = backend.allocOutput(tf.util.sizeFromShape(info.outShape));
  backend.binding.conv2dForward(xv, wv, bv, out, params, activation === 'relu');
  return output(backend, info.outShape, out);
}

export const fusedConv2DConfig: KernelConfig = {
  kernelName: tf.FusedConv2D,
  backendName: 'onednn',
  kernelFunc: fusedConv2D as unknown as KernelFunc,
};
