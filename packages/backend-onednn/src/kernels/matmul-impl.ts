/** Shared native batched matmul used by `BatchMatMul` and `_FusedMatMul`. */
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { floatValues, output } from './util.js';

/**
 * `out[...batch, M, N] = op(a)[...batch, M, K] x op(b)[...batch, K, N] (+ bias[N]) (relu)`, or `null` when the
 * native path cannot run it (dtype, batch broadcast other than equal or 1). Throws like tfjs on a shape mismatch.
 */
export function nativeMatMul(
  backend: OnednnBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: Float32Array | null,
  relu: boolean,
): TensorInfo | null {
  const av = floatValues(backend, a);
  const bv = floatValues(backend, b);
  if (!av || !bv || a.shape.length < 2 || b.shape.length < 2) return null;
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const innerA = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
  const innerB = transposeB ? b.shape[bRank - 1]! : b.shape[bRank - 2]!;
  const m = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
  const n = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
  if (innerA !== innerB) return null; // let the JS kernel raise its own error
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const outBatchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outBatchShape);
  if (batch !== Math.max(batchA, batchB) || (batchA !== batchB && batchA !== 1 && batchB !== 1)) return null;
  if (innerA === 0 || batch * m * n === 0) return null;
  const outShape = [...outBatchShape, m, n];
  const out = backend.allocOutput(batch * m * n);
  const params = Int32Array.from([batchA, batchB, m, innerA, n, transposeA ? 1 : 0, transposeB ? 1 : 0]);
  backend.binding.matMul(av, bv, bias, out, params, relu);
  return output(backend, outShape, out);
}
