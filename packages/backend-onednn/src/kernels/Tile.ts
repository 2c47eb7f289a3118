/**
 * Native float32 `Tile` when the output is the whole input repeated (reps only on leading axes where the input
 * has size 1, or only on axis 0), e.g. the `[1, 1, 1, C]` → `[batch, h, w, C]` tile in tfjs' BatchNorm
 * gradient. Other patterns use the JS kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo, TileAttrs, TileInputs } from '@tensorflow/tfjs-core';

import type { OnednnBackend } from '../backend.js';
import { type Defined, floatValues, output, runCpuKernel } from './util.js';

/** `x` tiled `reps` times along each axis. */
export function tile(args: { inputs: TileInputs; backend: OnednnBackend; attrs: TileAttrs }): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs as Defined<TileInputs>;
  const { reps } = attrs;
  const fallback = () => runCpuKernel(tf.Tile, { ...inputs }, backend, { ...attrs }) as TensorInfo;
  const xv = floatValues(backend, x);
  if (!xv || reps.length !== x.shape.length) return fallback();
  let k = reps.length;
  while (k > 0 && reps[k - 1] === 1) k -= 1; // reps[k..] are all 1
  if (!(k <= 1 || x.shape.slice(0, k).every((d) => d === 1))) return fallback();
  const rows = reps.reduce((a, r) => a * r, 1);
  const rowLen = tf.util.sizeFromShape(x.shape);
  if (rows * rowLen === 0) return fallback();
  const out = backend.allocOutput(rows * rowLen);
  backend.binding.tileRows(xv, out, rows, rowLen);
  return output(
    backend,
    x.shape.map((d, i) => d * reps[i]!),
    out,
  );
}

export const tileConfig: KernelConfig = {
  kernelName: tf.Tile,
  backendName: 'onednn',
  kernelFunc: tile as unknown as KernelFunc,
};
