/**
 * MNIST-style preprocessing of a drawing (white strokes on black), as the dataset was made: crop to the
 * ink's bounding box, scale the longer side to 20 px (aspect kept, box-filter average), place it in a
 * 28×28 frame so the centre of mass is at the centre, and normalise with MNIST's mean/std.
 */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

/**
 * @param grey - `[height, width]` row-major intensities in `[0, 1]` (ink = 1).
 * @returns `{pixels: [28, 28] in [0, 1], input: [28, 28] normalised float32}`; all zeros when there is no ink.
 */
export function mnistPreprocess(grey: Float32Array, width: number, height: number): { pixels: Float32Array; input: Float32Array } {
  let x0 = width,
    y0 = height,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (grey[y * width + x]! > 0.05) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  const pixels = new Float32Array(28 * 28);
  if (x1 >= 0) {
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    const scale = 20 / Math.max(bw, bh);
    const tw = Math.max(1, Math.round(bw * scale));
    const th = Math.max(1, Math.round(bh * scale));
    const small = new Float32Array(tw * th);
    for (let ty = 0; ty < th; ty++)
      for (let tx = 0; tx < tw; tx++) {
        const sx0 = x0 + Math.floor(tx / scale),
          sx1 = Math.max(sx0 + 1, x0 + Math.floor((tx + 1) / scale));
        const sy0 = y0 + Math.floor(ty / scale),
          sy1 = Math.max(sy0 + 1, y0 + Math.floor((ty + 1) / scale));
        let sum = 0,
          n = 0;
        for (let sy = sy0; sy < Math.min(sy1, y1 + 1); sy++)
          for (let sx = sx0; sx < Math.min(sx1, x1 + 1); sx++) {
            sum += grey[sy * width + sx]!;
            n++;
          }
        small[ty * tw + tx] = n ? sum / n : 0;
      }
    let mass = 0,
      cx = 0,
      cy = 0;
    for (let ty = 0; ty < th; ty++)
      for (let tx = 0; tx < tw; tx++) {
        const v = small[ty * tw + tx]!;
        mass += v;
        cx += v * tx;
        cy += v * ty;
      }
    const ox = Math.round(14 - (mass ? cx / mass : tw / 2));
    const oy = Math.round(14 - (mass ? cy / mass : th / 2));
    for (let ty = 0; ty < th; ty++)
      for (let tx = 0; tx < tw; tx++) {
        const X = tx + ox,
          Y = ty + oy;
        if (X >= 0 && X < 28 && Y >= 0 && Y < 28) pixels[Y * 28 + X] = Math.min(1, small[ty * tw + tx]!);
      }
  }
  const input = pixels.map((v) => (v - MNIST_MEAN) / MNIST_STD);
  return { pixels, input };
}
