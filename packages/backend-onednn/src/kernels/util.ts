/**
 * Shared helpers of the native kernels: zero-copy access to CPU-backend data (outputs come from
 * `OnednnBackend.allocOutput`), parameter packing, and delegation to the JS `cpu` kernel for unsupported cases.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { backend_util, Conv2DAttrs, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { OnednnError } from '../binding-diagnostics.js';

/** The `Float32Array` behind a float32 tensor, or `null` when it is not a plain float32 buffer. */
export function floatValues(backend: OnednnBackend, t: TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : null;
}

/** Calls the JS `cpu` kernel of the same name with the same arguments. */
export function runCpuKernel(
  kernelName: string,
  inputs: tf.NamedTensorInfoMap,
  backend: OnednnBackend,
  attrs: NamedAttrMap | undefined,
): TensorInfo | TensorInfo[] {
  const config = tf.getKernel(kernelName, 'cpu');
  if (!config) throw new OnednnError(`@cnn/backend-onednn: no cpu kernel ${kernelName} to fall back to`);
  return (config.kernelFunc as KernelFunc)({ inputs, backend, attrs });
}

/** True when oneDNN's output-size formula `floor((in + pads - effK) / stride) + 1` gives tfjs' size. */
function consistent(inSize: number, outSize: number, effK: number, stride: number, padA: number, padB: number) {
  return padA >= 0 && padB >= 0 && Math.floor((inSize + padA + padB - effK) / stride) + 1 === outSize;
}

/**
 * tfjs' geometry of a 2-D convolution (`backend_util.computeConv2DInfo`) from the input and filter shapes (`[batch,
 * inH, inW, inC]` NHWC or NCHW as `attrs.dataFormat` says; filter `[fh, fw, inC, outC]`) and the kernel's attributes
 * (`dilations` default 1: the backprop kernels carry none), with its binding params ({@link convParams}: `null`
 * when oneDNN cannot express it, e.g. NCHW).
 */
export function conv2DGeometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: Pick<Conv2DAttrs, 'strides' | 'pad' | 'dataFormat' | 'dimRoundingMode'> & { dilations?: Conv2DAttrs['dilations'] },
): { info: backend_util.Conv2DInfo; params: Int32Array | null } {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  return { info, params: convParams(info) };
}

/** Conv params for the binding, or `null` when oneDNN cannot express tfjs' geometry. */
export function convParams(info: backend_util.Conv2DInfo): Int32Array | null {
  if (info.dataFormat !== 'channelsLast') return null;
  const p = info.padInfo;
  if (
    !consistent(info.inHeight, info.outHeight, info.effectiveFilterHeight, info.strideHeight, p.top, p.bottom) ||
    !consistent(info.inWidth, info.outWidth, info.effectiveFilterWidth, info.strideWidth, p.left, p.right)
  ) {
    return null;
  }
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
  ]);
}

/** Pool params for the binding, or `null` when oneDNN cannot express tfjs' geometry (dilation, big pads). */
export function poolParams(info: backend_util.Conv2DInfo): Int32Array | null {
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const p = info.padInfo;
  if (Math.max(p.top, p.bottom) >= info.filterHeight || Math.max(p.left, p.right) >= info.filterWidth) return null;
  if (
    !consistent(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, p.top, p.bottom) ||
    !consistent(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, p.left, p.right)
  ) {
    return null;
  }
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    p.top,
    p.left,
    p.bottom,
    p.right,
  ]);
}

/** Output tensor from freshly computed values. */
export function output(backend: OnednnBackend, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/** Bias values usable as a per-output-channel vector of `channels` (rank 1, or all leading dims 1). */
export function channelBias(backend: OnednnBackend, bias: TensorInfo | undefined, channels: number): Float32Array | null | undefined {
  if (bias == null) return null;
  const ok = bias.shape.length >= 1 && bias.shape[bias.shape.length - 1] === channels && tf.util.sizeFromShape(bias.shape) === channels;
  if (!ok) return undefined;
  return floatValues(backend, bias) ?? undefined;
}

/** A kernel-inputs map with its required tensors present (tfjs types every input as possibly undefined). */
export type Defined<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
