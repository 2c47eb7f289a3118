/**
 * Pure colour kernels on `[batch, height, width, 3]` float32 RGB images in `[0, 1]` with one factor per sample,
 * following `torchvision.transforms.functional` (v0.14) for float tensors.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { AugmentError } from '../errors.js';

/** `[batch] → [batch, 1, 1, 1]` float32 column, from an array or tensor. */
export function perSample(v: ArrayLike<number> | tf.Tensor1D): tf.Tensor4D {
  const t = v instanceof tf.Tensor ? v : tf.tensor1d(Float32Array.from(v as ArrayLike<number>));
  return tf.reshape(t, [-1, 1, 1, 1]);
}

/**
 * Luma `0.2989 R + 0.587 G + 0.114 B` (torchvision `rgb_to_grayscale`), `[b, h, w, 3] → [b, h, w, 1]`, as one
 * matmul of the `[b·h·w, 3]` pixels with the `[3, 1]` weights (one pass over the image on every backend).
 */
export function rgbToGrayscale(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (c !== 3)
    throw new AugmentError(`rgbToGrayscale: expected [batch, height, width, 3] RGB images, got shape [${x.shape}]`, { code: 'ERR_CNN_AUGMENT_INPUT' });
  return tf.tidy(() => {
    const luma = tf.matMul(tf.reshape(x, [b * h * w, 3]), tf.tensor2d([0.2989, 0.587, 0.114], [3, 1]));
    return tf.reshape(luma, [b, h, w, 1]) as tf.Tensor4D;
  });
}

/** `clamp(f · x + (1 − f) · target, 0, 1)` with `f` `[b, 1, 1, 1]` (torchvision `_blend`). */
export function blend(x: tf.Tensor4D, f: tf.Tensor4D, target: tf.Tensor | null): tf.Tensor4D {
  return tf.tidy(() => {
    const scaled = tf.mul(x, f);
    const mixed = target === null ? scaled : tf.add(scaled, tf.mul(tf.sub(1, f), target));
    return tf.clipByValue(mixed, 0, 1) as tf.Tensor4D;
  });
}

/** Brightness: `clamp(f · x, 0, 1)`; factor `[batch]`, 1 = identity (torchvision `adjust_brightness`). */
export function adjustBrightness(x: tf.Tensor4D, factor: ArrayLike<number> | tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => blend(x, perSample(factor), null));
}

/**
 * Contrast: blend with the mean of the sample's greyscale image; factor `[batch]`, 1 = identity, 0 = uniform
 * grey (torchvision `adjust_contrast`).
 */
export function adjustContrast(x: tf.Tensor4D, factor: ArrayLike<number> | tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => blend(x, perSample(factor), tf.mean(rgbToGrayscale(x), [1, 2, 3], true)));
}

/** Saturation: blend with the greyscale image; factor `[batch]`, 1 = identity, 0 = grey (torchvision `adjust_saturation`). */
export function adjustSaturation(x: tf.Tensor4D, factor: ArrayLike<number> | tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => blend(x, perSample(factor), rgbToGrayscale(x)));
}

/**
 * Hue: RGB → HSV (torchvision `_rgb2hsv`), `h ← (h + f) mod 1`, HSV → RGB; factor `[batch]` in `[−0.5, 0.5]`,
 * 0 = identity up to float rounding (torchvision `adjust_hue`).
 *
 * HSV → RGB uses the closed form `c_n = v − v·s·clamp(min(k, 4 − k), 0, 1)`, `k = (n + 6h) mod 6`, n = 5, 3, 1
 * for R, G, B — algebraically the same as torchvision's six-sector table.
 */
export function adjustHue(x: tf.Tensor4D, factor: ArrayLike<number> | tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const [r, g, b] = tf.split(x, 3, 3);
    const maxc = tf.maximum(tf.maximum(r, g), b);
    const minc = tf.minimum(tf.minimum(r, g), b);
    const cr = tf.sub(maxc, minc);
    const eqc = tf.equal(maxc, minc);
    const ones = tf.onesLike(maxc);
    const s = tf.div(cr, tf.where(eqc, ones, maxc));
    const crDivisor = tf.where(eqc, ones, cr);
    const rc = tf.div(tf.sub(maxc, r), crDivisor);
    const gc = tf.div(tf.sub(maxc, g), crDivisor);
    const bc = tf.div(tf.sub(maxc, b), crDivisor);
    // max is R → bc − gc; else max is G → 2 + rc − bc; else 4 + gc − rc
    const h = tf.where(tf.equal(maxc, r), tf.sub(bc, gc), tf.where(tf.equal(maxc, g), tf.add(2, tf.sub(rc, bc)), tf.add(4, tf.sub(gc, rc))));
    const hue = tf.mod(tf.add(tf.mod(tf.add(tf.div(h, 6), 1), 1), perSample(factor)), 1);
    const h6 = tf.mul(hue, 6);
    const vs = tf.mul(maxc, s);
    const channel = (n: number) => {
      const k = tf.mod(tf.add(h6, n), 6);
      return tf.sub(maxc, tf.mul(vs, tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1)));
    };
    return tf.concat([channel(5), channel(3), channel(1)], 3) as tf.Tensor4D;
  });
}
