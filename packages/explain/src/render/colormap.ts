import * as tf from '@tensorflow/tfjs-core';
import { ExplainError } from '../errors.js';
import { loadVega } from '@cnn/core';

/** Perceptual colormaps available for heatmaps. */
export type ColormapName = 'viridis' | 'turbo' | 'inferno' | 'magma' | 'plasma';

const cache = new Map<ColormapName, Uint8Array>();

/**
 * A 256-entry RGB lookup table of a perceptual colormap, sampled from vega's colour schemes (the d3 / matplotlib
 * definitions of viridis, inferno, magma, plasma and Google's turbo).
 * @returns `[256, 3]` uint8, row-major.
 * @throws ExplainError for an unknown name.
 */
export async function colormapLut(name: ColormapName = 'viridis'): Promise<Uint8Array> {
  const cached = cache.get(name);
  if (cached) return cached;
  const [vega] = await loadVega();
  const interpolate = vega.scheme(name) as unknown;
  if (typeof interpolate !== 'function') {
    throw new ExplainError(`colormapLut: unknown colormap '${name}', expected viridis, turbo, inferno, magma or plasma`);
  }
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const css = (interpolate as (t: number) => string)(i / 255);
    const rgb = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(css) ?? /#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(css);
    if (!rgb) throw new ExplainError(`colormapLut: cannot parse colour '${css}' of colormap '${name}'`);
    const base = css.startsWith('#') ? 16 : 10;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Number.parseInt(rgb[c + 1], base);
  }
  cache.set(name, lut);
  return lut;
}

/**
 * Maps values in `[0, 1]` to RGB through a lookup table (values are clipped to `[0, 1]`).
 * @param map `[height, width]` float32.
 * @param lut `[256, 3]` uint8 from {@link colormapLut}.
 * Reads the result with `await t.data()`, so it works on backends without synchronous reads (webgpu in Node).
 * @returns A promise of `[height, width, 3]` uint8 RGB pixels, row-major (asynchronous since the webgpu support).
 */
export async function applyColormap(map: tf.Tensor2D, lut: Uint8Array): Promise<Uint8Array> {
  const rgb = tf.tidy(() => {
    const index = tf.cast(tf.round(tf.mul(tf.clipByValue(map, 0, 1), 255)), 'int32');
    return tf.gather(tf.tensor2d(lut, [256, 3], 'int32'), index);
  });
  try {
    return Uint8Array.from((await rgb.data()) as Int32Array);
  } finally {
    rgb.dispose();
  }
}
