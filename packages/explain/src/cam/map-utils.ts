import * as tf from '@tensorflow/tfjs-core';
import { ExplainError } from '../errors.js';

/**
 * Min-max normalises each map of `maps` to `[0, 1]` independently; a constant map (for instance an all-zero CAM)
 * becomes all zeros, never NaN.
 * @param maps `[batch, height, width]` float32.
 * @returns `[batch, height, width]` float32 in `[0, 1]`.
 */
export function normalizeMaps(maps: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const min = tf.min(maps, [1, 2], true);
    const max = tf.max(maps, [1, 2], true);
    const range = tf.sub(max, min);
    const safe = tf.maximum(range, 1e-12);
    const scaled = tf.div(tf.sub(maps, min), safe);
    return tf.where(tf.broadcastTo(tf.greater(range, 0), maps.shape), scaled, tf.zerosLike(maps)) as tf.Tensor3D;
  });
}

/**
 * Bilinear resize of `[batch, h, w]` maps to `[batch, height, width]` with half-pixel centres (the convention of
 * PyTorch's `interpolate(mode='bilinear', align_corners=False)` and OpenCV's `resize`).
 */
export function resizeMaps(maps: tf.Tensor3D, height: number, width: number): tf.Tensor3D {
  return tf.tidy(() => {
    if (maps.shape[1] === height && maps.shape[2] === width) return maps.clone();
    const resized = tf.image.resizeBilinear(tf.expandDims(maps, 3) as tf.Tensor4D, [height, width], false, true);
    return tf.squeeze(resized, [3]) as tf.Tensor3D;
  });
}

/**
 * Resolves class targets: `undefined` → the arg-max of `logits` per sample; a number → that class for every
 * sample; an array → one class per sample.
 * @param logits `[batch, numClasses]`.
 * @returns `[batch]` int32 class indices.
 */
export function resolveTargets(fn: string, logits: tf.Tensor2D, targets: number | readonly number[] | undefined): tf.Tensor1D {
  const [batch, numClasses] = logits.shape;
  if (targets === undefined) return tf.argMax(logits, 1) as tf.Tensor1D;
  const list = typeof targets === 'number' ? new Array<number>(batch).fill(targets) : [...targets];
  if (list.length !== batch) {
    throw new ExplainError(`${fn}: targets has ${list.length} entries for a batch of ${batch}`);
  }
  for (const t of list) {
    if (!Number.isInteger(t) || t < 0 || t >= numClasses) {
      throw new ExplainError(`${fn}: target class ${t} is not in [0, ${numClasses})`);
    }
  }
  return tf.tensor1d(list, 'int32');
}
