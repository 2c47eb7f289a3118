import type { Rng } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import { adjustHue, perSample, rgbToGrayscale } from './kernels/color.js';
import { checkImages, toRange, uniform, type BatchShape, type Transform } from './transform.js';
import { AugmentError } from './errors.js';

/** Options for {@link ColorJitter}; each a number `v` or a `[min, max]` pair. Omitted / 0 → that adjustment is off. */
export interface ColorJitterOptions {
  /** Brightness factor range: `v` → `[max(0, 1 − v), 1 + v]`. */
  brightness?: number | readonly [number, number];
  /** Contrast factor range: `v` → `[max(0, 1 − v), 1 + v]`. */
  contrast?: number | readonly [number, number];
  /** Saturation factor range: `v` → `[max(0, 1 − v), 1 + v]`. */
  saturation?: number | readonly [number, number];
  /** Hue shift range: `v` → `[−v, v]`, within `[−0.5, 0.5]`. */
  hue?: number | readonly [number, number];
}

/** Per-batch parameters of {@link ColorJitter}. */
export interface ColorJitterParams {
  /** Enabled operations (0 brightness, 1 contrast, 2 saturation, 3 hue), ascending. */
  ops: number[];
  /** `[batch · ops.length]`: sample `i` applies `order[i·k + r]` in round `r` (a random permutation of `ops`). */
  order: Uint8Array;
  /** Factors `[4][batch]` (brightness, contrast, saturation, hue); 1 / 1 / 1 / 0 for a disabled op. */
  factors: Float32Array[];
}

const _BRIGHTNESS = 0;
const CONTRAST = 1;
const SATURATION = 2;
const HUE = 3;

/**
 * Random brightness, contrast, saturation and hue with torchvision's semantics (`transforms.ColorJitter`):
 * each sample draws a random order of the four adjustments (a permutation, as `torch.randperm(4)`) and a
 * factor for each, uniform in its range; each adjustment follows `torchvision.transforms.functional`.
 * Unlike torchvision (one draw per call), every sample of the batch draws its own order and factors.
 *
 * Implementation: k rounds (k = number of enabled adjustments). In a round, the three linear adjustments
 * become one fused blend `clamp(f·x + (1 − f)·T, 0, 1)` with per-sample `f` and target `T` (0, the mean grey
 * level or the grey image), computed as `clamp(f·x + cS·gray + cC·mean(gray), 0, 1)` with per-sample weights
 * (three full-size passes plus the grey image) — exactly the identity for samples whose op that round is
 * another one — and the
 * hue shift runs only on the samples that picked it (gathered, then scattered back), so each sample pays for
 * hue once.
 *
 * Input / output: `[batch, height, width, 3]` float32 in `[0, 1]`.
 */
export class ColorJitter implements Transform<ColorJitterParams> {
  readonly name = 'ColorJitter';
  readonly random = true;
  /** Factor ranges, `null` when off. */
  readonly ranges: ([number, number] | null)[];

  /** @throws Error for negative values, reversed ranges, or hue outside `[−0.5, 0.5]`. */
  constructor(options: ColorJitterOptions = {}) {
    const lin = (name: 'brightness' | 'contrast' | 'saturation') => {
      const v = options[name];
      if (v === undefined || v === 0) return null;
      const r = toRange('ColorJitter', name, v, 1, 0);
      return r[0] === 1 && r[1] === 1 ? null : r;
    };
    let hue: [number, number] | null = null;
    if (options.hue !== undefined && options.hue !== 0) {
      hue = toRange('ColorJitter', 'hue', options.hue, 0);
      if (hue[0] < -0.5 || hue[1] > 0.5) {
        throw new AugmentError(`ColorJitter: hue must lie in [-0.5, 0.5]. Received: hue=${JSON.stringify(options.hue)}`);
      }
    }
    this.ranges = [lin('brightness'), lin('contrast'), lin('saturation'), hue];
  }

  makeParams(rng: Rng, shape: BatchShape): ColorJitterParams {
    const b = shape[0];
    const ops = [0, 1, 2, 3].filter((i) => this.ranges[i] !== null);
    const k = ops.length;
    const order = new Uint8Array(b * k);
    const factors = [0, 1, 2, 3].map((i) => new Float32Array(b).fill(i === HUE ? 0 : 1));
    const perm = [0, 1, 2, 3];
    for (let s = 0; s < b; s++) {
      // Fisher–Yates permutation of the four ops (like randperm(4)); then factors in the fixed order b, c, s, h.
      for (let i = 3; i > 0; i--) {
        const j = rng.nextInt(i + 1);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      let r = 0;
      for (const op of perm) if (this.ranges[op] !== null) order[s * k + r++] = op;
      for (const op of ops) {
        const [lo, hi] = this.ranges[op]!;
        factors[op][s] = uniform(rng, lo, hi);
      }
    }
    return { ops, order, factors };
  }

  apply(x: tf.Tensor4D, params: ColorJitterParams): tf.Tensor4D {
    checkImages('ColorJitter', x, 3);
    const b = x.shape[0];
    const k = params.ops.length;
    if (k === 0) return x.clone();
    return tf.tidy(() => {
      let y = x;
      for (let r = 0; r < k; r++) {
        const f = new Float32Array(b).fill(1);
        const wContrast = new Float32Array(b);
        const wSaturation = new Float32Array(b);
        const hueIdx: number[] = [];
        for (let s = 0; s < b; s++) {
          const op = params.order[s * k + r];
          if (op === HUE) hueIdx.push(s);
          else {
            f[s] = params.factors[op][s];
            if (op === CONTRAST) wContrast[s] = 1;
            if (op === SATURATION) wSaturation[s] = 1;
          }
        }
        if (hueIdx.length < b) {
          // One fused blend for the linear ops: clamp(f·x + (1 − f)·T, 0, 1) with T = 0 (brightness), the mean
          // grey level (contrast) or the grey image (saturation), written as
          // clamp(f·x + cS·gray + cC·mean(gray), 0, 1) with per-sample cS = (1 − f)·[op is saturation] and
          // cC = (1 − f)·[op is contrast]: the grey terms are summed at a third of the image size, then added
          // to f·x in one full-size pass.
          let mixed = tf.mul(y, perSample(f));
          const anyC = wContrast.some((v) => v !== 0);
          const anyS = wSaturation.some((v) => v !== 0);
          if (anyC || anyS) {
            const gray = rgbToGrayscale(y);
            const weight = (w: Float32Array) => perSample(Float32Array.from(w, (v, s) => (v === 0 ? 0 : 1 - f[s])));
            let target: tf.Tensor | null = anyS ? tf.mul(gray, weight(wSaturation)) : null;
            if (anyC) {
              const grey = tf.mul(tf.mean(gray, [1, 2, 3], true), weight(wContrast));
              target = target === null ? grey : tf.add(target, grey);
            }
            mixed = tf.add(mixed, target!);
          }
          y = tf.clipByValue(mixed, 0, 1) as tf.Tensor4D;
        }
        if (hueIdx.length === b) {
          y = adjustHue(y, params.factors[HUE]);
        } else if (hueIdx.length > 0) {
          const idx = tf.tensor1d(hueIdx, 'int32');
          const shifted = adjustHue(
            tf.gather(y, idx),
            hueIdx.map((s) => params.factors[HUE][s]),
          );
          // scatter back: sample s takes row s of y, or row b + j of the shifted block
          const sel = new Int32Array(b);
          for (let s = 0; s < b; s++) sel[s] = s;
          hueIdx.forEach((s, j) => {
            sel[s] = b + j;
          });
          y = tf.gather(tf.concat([y, shifted], 0), tf.tensor1d(sel, 'int32')) as tf.Tensor4D;
        }
      }
      return y === x ? x.clone() : y;
    });
  }
}
