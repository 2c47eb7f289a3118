import type * as tf from '@tensorflow/tfjs-core';
import { DeployError } from './errors.js';

/** Weight storage types of the TF.js weights manifest (`quantization.dtype`). */
export type WeightQuantization = 'float16' | 'uint8';

/** Converts one float32 value to IEEE 754 binary16 bits (round to nearest even; overflow → ±Inf). */
export function float32ToFloat16Bits(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // underflow to ±0
    mant |= 0x800000; // implicit leading 1
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && m & 1)) m++;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  mant >>>= 13;
  if (rest > 0x1000 || (rest === 0x1000 && mant & 1)) {
    mant++;
    if (mant === 0x400) {
      mant = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | mant;
}

/**
 * Re-encodes the float32 weights of TF.js model artifacts for smaller files, in the format
 * `tfl.loadLayersModel` / `tf.io.decodeWeights` read back (the weights manifest's `quantization` field):
 *
 * - `'float16'`: each value stored as IEEE binary16 (2 bytes; relative error ≤ 2⁻¹¹, range ±65504);
 *   spec gets `quantization: {dtype: 'float16'}`.
 * - `'uint8'`: per-tensor affine, `q = round((w − min) / scale)`, `scale = (max − min) / 255`
 *   (1 byte; absolute error ≤ scale/2); spec gets `quantization: {dtype: 'uint8', scale, min}`,
 *   dequantised as `q · scale + min` at load time.
 *
 * Values are dequantised to float32 when loaded: this shrinks files and downloads, not compute.
 * Non-float32 weights are copied unchanged.
 *
 * @param specs - weight specs in data order; `data` their concatenated little-endian bytes.
 * @throws DeployError when `data` is shorter than the specs declare.
 */
export function quantizeWeights(
  specs: tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  dtype: WeightQuantization,
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization) throw new DeployError(`quantizeWeights: weight '${spec.name}' is already quantized (${spec.quantization.dtype})`);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = spec.dtype === 'bool' ? n : n * 4;
    if (offset + bytes > data.byteLength)
      throw new DeployError(`quantizeWeights: weight data ends before '${spec.name}' (${offset + bytes} > ${data.byteLength} bytes)`);
    if (spec.dtype !== 'float32') {
      parts.push(new Uint8Array(data.slice(offset, offset + bytes)));
      out.push({ ...spec });
      offset += bytes;
      continue;
    }
    const w = new Float32Array(data.slice(offset, offset + bytes));
    offset += bytes;
    if (dtype === 'float16') {
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = float32ToFloat16Bits(w[i]!);
      parts.push(new Uint8Array(h.buffer));
      out.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      let min = Infinity;
      let max = -Infinity;
      for (const v of w) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (n === 0) {
        min = 0;
        max = 0;
      }
      const scale = max > min ? (max - min) / 255 : 1;
      const q = new Uint8Array(n);
      for (let i = 0; i < n; i++) q[i] = Math.max(0, Math.min(255, Math.round((w[i]! - min) / scale)));
      parts.push(q);
      out.push({ ...spec, quantization: { dtype: 'uint8', scale, min } });
    }
  }
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const joined = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    joined.set(p, o);
    o += p.byteLength;
  }
  return { specs: out, data: joined.buffer };
}
