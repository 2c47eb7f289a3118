/**
 * Copies of axis-aligned boxes between row-major arrays, the core of the `Slice` and `PadV2` kernels: the
 * trailing axes the box covers whole in both arrays merge into one contiguous run, copied with
 * `TypedArray.set`; the leading axes are walked with an odometer. (tfjs' JS kernels index every element
 * through `TensorBuffer.get`, ~70% of a CIFAR-stem ResNet training step whose ZeroPadding2D gradient is a
 * slice.)
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Copies the box of shape `size` at `srcBegin` in `src` (row-major, shape `srcShape`) to `dstBegin` in `dst`
 * (shape `dstShape`). All arrays have the same rank; the caller guarantees the box fits both.
 */
export function copyBox(
  src: Float32Array,
  srcShape: readonly number[],
  srcBegin: readonly number[],
  dst: Float32Array,
  dstShape: readonly number[],
  dstBegin: readonly number[],
  size: readonly number[],
): void {
  const rank = size.length;
  if (size.some((d) => d === 0)) return;
  if (rank === 0) {
    dst[0] = src[0]!;
    return;
  }
  // k: first axis of the contiguous run (axes after k are whole in src and dst; axis k may be partial)
  let k = rank - 1;
  while (k > 0 && size[k] === srcShape[k] && size[k] === dstShape[k]) k -= 1;
  const srcStrides = strides(srcShape),
    dstStrides = strides(dstShape);
  const run = size[k]! * srcStrides[k]!;
  let srcOff = 0,
    dstOff = 0;
  for (let a = 0; a < rank; a++) {
    srcOff += srcBegin[a]! * srcStrides[a]!;
    dstOff += dstBegin[a]! * dstStrides[a]!;
  }
  const idx = new Array<number>(k).fill(0);
  for (;;) {
    dst.set(src.subarray(srcOff, srcOff + run), dstOff);
    let a = k - 1;
    for (; a >= 0; a--) {
      // odometer over the leading axes 0..k-1
      srcOff += srcStrides[a]!;
      dstOff += dstStrides[a]!;
      if (++idx[a]! < size[a]!) break;
      srcOff -= size[a]! * srcStrides[a]!;
      dstOff -= size[a]! * dstStrides[a]!;
      idx[a] = 0;
    }
    if (a < 0) return;
  }
}

/** Row-major strides of `shape`, in elements (tfjs' `computeStrides` omits the last axis' 1). */
function strides(shape: readonly number[]): number[] {
  return [...tf.util.computeStrides(shape as number[]), 1];
}
