import { createRng } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import { importPeer } from '@cnn/core';
import type { Compose } from '../transform.js';
import { AugmentError } from '../errors.js';

/** sharp (an optional peer dependency), imported on first use. */
function loadSharp(): Promise<typeof import('sharp')['default']> {
  return importPeer('sharp', 'augmentation previews (PNG)', () => import('sharp')).then((m) => m.default);
}

/** Options for {@link augmentationPreview}. */
export interface PreviewOptions {
  /** Augmented draws per image (columns after the original). Default `8`. */
  draws?: number;
  /** Seed of the draws. Default `0`. */
  seed?: number;
  /** Integer upscaling factor (nearest neighbour). Default `4`. */
  scale?: number;
  /** Gap between cells in pixels (before scaling), filled white. Default `1`. */
  gap?: number;
}

/**
 * Renders an augmentation preview grid as PNG: one row per image, the original then `draws` augmented
 * versions (draw `d` uses the pipeline on the whole batch, so each cell is an independent per-sample draw).
 *
 * @param images - `[n, height, width, 3]` float32 in `[0, 1]` (before Normalize: pass a pipeline without it).
 * @param pipeline - Transforms producing `[n, h', w', 3]` in `[0, 1]`; outputs are clipped to `[0, 1]`.
 * Reads the tensors with `await t.data()`, so it runs on backends without synchronous reads (webgpu in Node).
 * @returns PNG bytes.
 * @throws Error when `images` is not `[n, h, w, 3]`.
 */
export async function augmentationPreview(images: tf.Tensor4D, pipeline: Compose, options: PreviewOptions = {}): Promise<Buffer> {
  if (images.rank !== 4 || images.shape[3] !== 3) {
    throw new AugmentError(`augmentationPreview: images must be [n, height, width, 3], got [${images.shape.join(', ')}]`, { code: 'ERR_CNN_AUGMENT_INPUT' });
  }
  const draws = options.draws ?? 8;
  const scale = options.scale ?? 4;
  const gap = options.gap ?? 1;
  const rng = createRng(options.seed ?? 0);
  const [n, h, w] = images.shape;
  const columns: Float32Array[] = [(await images.data()) as Float32Array];
  let ch = h;
  let cw = w;
  for (let d = 0; d < draws; d++) {
    const out = tf.tidy(() => tf.clipByValue(pipeline.forward(images, rng), 0, 1));
    if (d === 0) [ch, cw] = [out.shape[1], out.shape[2]];
    try {
      columns.push((await out.data()) as Float32Array);
    } finally {
      out.dispose();
    }
  }
  const cellH = Math.max(h, ch);
  const cellW = Math.max(w, cw);
  const gw = (draws + 1) * (cellW + gap) - gap;
  const gh = n * (cellH + gap) - gap;
  const grid = new Uint8Array(gw * gh * 3).fill(255);
  columns.forEach((data, col) => {
    const [hh, ww] = col === 0 ? [h, w] : [ch, cw];
    for (let i = 0; i < n; i++)
      for (let y = 0; y < hh; y++)
        for (let x = 0; x < ww; x++)
          for (let c = 0; c < 3; c++) {
            const v = data[((i * hh + y) * ww + x) * 3 + c];
            grid[((i * (cellH + gap) + y) * gw + col * (cellW + gap) + x) * 3 + c] = Math.round(v * 255);
          }
  });
  const sharp = await loadSharp();
  return sharp(grid, { raw: { width: gw, height: gh, channels: 3 } })
    .resize(gw * scale, gh * scale, { kernel: 'nearest' })
    .png()
    .toBuffer();
}
