/**
 * Pure geometric kernels on `[batch, height, width, channels]` float32 images with per-sample parameters.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';

/** How {@link padCrop} fills positions outside the image (torchvision `padding_mode`). */
export type PaddingMode = 'constant' | 'reflect' | 'edge';

/** Source index for a padded coordinate `i` of an axis of length `n` (`−1` = fill). */
function sourceIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return i < 0 ? 0 : n - 1;
  // reflect without repeating the edge (numpy 'reflect'): -1 → 1, n → n − 2
  let j = i;
  const period = 2 * (n - 1);
  j = ((j % period) + period) % period;
  return j < n ? j : period - j;
}

/**
 * Crops `outHeight × outWidth` windows at per-sample offsets from the image padded by `padding` pixels on each
 * side, in one `gather`: output `(y, x)` of sample `i` is padded pixel `(top_i + y, left_i + x)`.
 *
 * @param x - `[batch, height, width, channels]` float32.
 * @param top - `[batch]` window top rows in padded coordinates, in `[0, height + 2·padding − outHeight]`.
 * @param left - `[batch]` window left columns in padded coordinates.
 * @param flip - Optional `[batch]` 0/1: mirror the window horizontally (fuses a horizontal flip into the crop).
 * @param fill - Value of constant padding. Default `0`.
 * @returns `[batch, outHeight, outWidth, channels]`.
 */
export function padCrop(
  x: tf.Tensor4D,
  top: ArrayLike<number>,
  left: ArrayLike<number>,
  outHeight: number,
  outWidth: number,
  padding: number,
  mode: PaddingMode = 'constant',
  fill = 0,
  flip?: ArrayLike<number>,
): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const hw = h * w;
  const idx = new Int32Array(b * outHeight * outWidth);
  const rows = new Int32Array(outHeight);
  const cols = new Int32Array(outWidth);
  let needFill = false;
  let k = 0;
  for (let s = 0; s < b; s++) {
    for (let y = 0; y < outHeight; y++) rows[y] = sourceIndex(top[s] + y - padding, h, mode);
    const mirrored = flip !== undefined && flip[s] !== 0;
    for (let xx = 0; xx < outWidth; xx++) {
      cols[mirrored ? outWidth - 1 - xx : xx] = sourceIndex(left[s] + xx - padding, w, mode);
    }
    for (let y = 0; y < outHeight; y++) {
      const r = rows[y];
      for (let xx = 0; xx < outWidth; xx++) {
        const col = cols[xx];
        if (r < 0 || col < 0) {
          idx[k++] = hw; // the appended fill pixel
          needFill = true;
        } else idx[k++] = r * w + col;
      }
    }
  }
  return tf.tidy(() => {
    let flat = tf.reshape(x, [b, hw, c]);
    if (needFill) flat = tf.concat([flat, tf.fill([b, 1, c], fill)], 1);
    const out = tf.gather(flat, tf.tensor2d(idx, [b, outHeight * outWidth], 'int32'), 1, 1);
    return tf.reshape(out, [b, outHeight, outWidth, c]) as tf.Tensor4D;
  });
}

/**
 * Mirrors the samples whose `mask` entry is non-zero along `axis` (2 = horizontal, 1 = vertical) with one
 * batched `gather` over per-sample index maps (tfjs-backend-cpu's `reverse` is ~10× slower than `gather`).
 *
 * @param x - `[batch, height, width, channels]`.
 * @param mask - `[batch]` 0/1.
 */
export function flipWhere(x: tf.Tensor4D, mask: ArrayLike<number>, axis: 1 | 2): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  const idx = new Int32Array(b * h * w);
  let k = 0;
  for (let s = 0; s < b; s++) {
    const on = mask[s] !== 0;
    for (let y = 0; y < h; y++) {
      const sy = on && axis === 1 ? h - 1 - y : y;
      for (let xx = 0; xx < w; xx++) idx[k++] = sy * w + (on && axis === 2 ? w - 1 - xx : xx);
    }
  }
  return tf.tidy(() => {
    const out = tf.gather(tf.reshape(x, [b, h * w, c]), tf.tensor2d(idx, [b, h * w], 'int32'), 1, 1);
    return tf.reshape(out, [b, h, w, c]) as tf.Tensor4D;
  });
}

/**
 * The inverse affine map of torchvision's `_get_inverse_affine_matrix` (v0.14) about the image centre:
 * rotation `angle`, translation, scale, shear (x, y), all in degrees / pixels, returned as the 2×3 matrix
 * `[a, b, c, d, e, f]` mapping centred output coordinates to centred input coordinates.
 */
export function inverseAffineMatrix(
  angle: number,
  translate: readonly [number, number],
  scale: number,
  shear: readonly [number, number],
): [number, number, number, number, number, number] {
  const rot = (angle * Math.PI) / 180;
  const sx = (shear[0] * Math.PI) / 180;
  const sy = (shear[1] * Math.PI) / 180;
  const [tx, ty] = translate;
  // RSS without scaling, then its inverse (as torchvision)
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale) as [number, number, number, number, number, number];
  m[2] += m[0] * -tx + m[1] * -ty;
  m[5] += m[3] * -tx + m[4] * -ty;
  return m;
}

/**
 * Warps each sample by its own inverse affine matrix (centred coordinates, see {@link inverseAffineMatrix})
 * with `tf.image.transform`: output pixel `(x, y)` samples input `M·(x − cx, y − cy) + (cx, cy)`, centre
 * `((width − 1)/2, (height − 1)/2)` — the pixel-centre convention of torchvision's tensor `affine`.
 *
 * @param x - `[batch, height, width, channels]` float32.
 * @param matrices - `[batch · 6]` centred inverse matrices.
 * @param interpolation - `'nearest'` (torchvision's default) or `'bilinear'`.
 * @param fill - Value for positions mapped outside the image.
 */
export function affineWarp(x: tf.Tensor4D, matrices: ArrayLike<number>, interpolation: 'nearest' | 'bilinear' = 'nearest', fill = 0): tf.Tensor4D {
  const [b, h, w] = x.shape;
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const t = new Float32Array(b * 8);
  for (let s = 0; s < b; s++) {
    const [a0, a1, a2, b0, b1, b2] = Array.from({ length: 6 }, (_, i) => matrices[s * 6 + i]);
    // Snap floating noise (cos 90° = 6e-17) to integers: tf.image.transform tests bounds before rounding, so a
    // coordinate of −1e-16 would otherwise read the fill value instead of pixel 0.
    const row = [a0, a1, a2 + cx - a0 * cx - a1 * cy, b0, b1, b2 + cy - b0 * cx - b1 * cy, 0, 0].map((v) =>
      Math.abs(v - Math.round(v)) < 1e-9 ? Math.round(v) : v,
    );
    t.set(row, s * 8);
  }
  // One call per sample: with a [batch, 8] transform, tfjs-backend-cpu 4.22's Transform kernel returned the
  // fill value for every sample after the first (observed here; see the 90° rotation test).
  return tf.tidy(() => {
    const parts = tf
      .split(x, b, 0)
      .map((xi, s) => tf.image.transform(xi as tf.Tensor4D, tf.tensor2d(t.subarray(s * 8, s * 8 + 8), [1, 8]), interpolation, 'constant', fill));
    return (b === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor4D;
  });
}
