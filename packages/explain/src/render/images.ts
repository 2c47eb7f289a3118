import { importPeer } from '@cnn/core';
import type { OverlayOptions } from 'sharp';
import { ExplainError } from '../errors.js';

/** sharp (an optional peer dependency), imported on first use. */
function loadSharp(): Promise<typeof import('sharp')['default']> {
  return importPeer('sharp', 'PNG rendering in @cnn/explain', () => import('sharp')).then((m) => m.default);
}

/** Raw image pixels: `[height, width, channels]` uint8 (channels 1, 3 or 4), row-major. */
export interface RawImage {
  pixels: Uint8Array;
  height: number;
  width: number;
  channels: 1 | 3 | 4;
}

function checkRaw(fn: string, image: RawImage): void {
  if (image.pixels.length !== image.height * image.width * image.channels) {
    throw new ExplainError(
      `${fn}: pixels has ${image.pixels.length} bytes, expected height*width*channels = ` + `${image.height}*${image.width}*${image.channels}`,
    );
  }
}

/**
 * Encodes raw pixels as PNG with sharp, optionally resized to `size × size` pixels (nearest neighbour, so small
 * images like 28 × 28 stay sharp when enlarged).
 */
export async function rawToPng(image: RawImage, size?: number): Promise<Buffer> {
  const sharp = await loadSharp();
  checkRaw('rawToPng', image);
  let pipeline = sharp(Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength), {
    raw: { width: image.width, height: image.height, channels: image.channels },
  });
  if (size !== undefined) pipeline = pipeline.resize(size, size, { kernel: 'nearest', fit: 'fill' });
  return pipeline.png().toBuffer();
}

/**
 * Blends a heat map (RGB, e.g. from `applyColormap`) over an image: `alpha · heat + (1 − alpha) · image`, both
 * enlarged to `size × size` (image nearest neighbour, heat bilinear). Composition by sharp.
 * @param alpha opacity of the heat map in `[0, 1]`; default 0.5.
 */
export async function overlayPng(image: RawImage, heat: RawImage, size: number, alpha = 0.5): Promise<Buffer> {
  const sharp = await loadSharp();
  checkRaw('overlayPng', image);
  checkRaw('overlayPng', heat);
  if (!(alpha >= 0 && alpha <= 1)) throw new ExplainError(`overlayPng: alpha must be in [0, 1]. Received: alpha=${alpha}`);
  const base = await sharp(Buffer.from(image.pixels), { raw: { width: image.width, height: image.height, channels: image.channels } })
    .resize(size, size, { kernel: 'nearest', fit: 'fill' })
    .toColourspace('srgb')
    .removeAlpha()
    .png()
    .toBuffer();
  const top = await sharp(Buffer.from(heat.pixels), { raw: { width: heat.width, height: heat.height, channels: heat.channels } })
    .resize(size, size, { kernel: 'linear', fit: 'fill' })
    .removeAlpha()
    .ensureAlpha(alpha)
    .png()
    .toBuffer();
  return sharp(base)
    .composite([{ input: top, blend: 'over' }])
    .png()
    .toBuffer();
}

/** One cell of a {@link composeGrid}. */
export interface GridTile {
  /** PNG (or any image sharp reads), drawn scaled to the tile size. */
  image: Buffer;
  /** Caption lines under the image (at most 3 are shown). */
  caption?: readonly string[];
  /** Caption colour (CSS), e.g. red for a misclassified sample. Default `#222`. */
  captionColor?: string;
}

/** Options of {@link composeGrid}. */
export interface GridOptions {
  /** Tiles per row. Default 8. */
  columns?: number;
  /** Side of each square image in pixels. Default 96. */
  tileSize?: number;
  /** Header over each column (e.g. "input", "Grad-CAM"). */
  columnHeaders?: readonly string[];
  /** Font size of captions in pixels. Default 12. */
  fontSize?: number;
}

/** Escapes text for an SVG/XML text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * Lays out tiles on a white canvas with captions: images are composited by sharp, all text is one SVG overlay
 * rendered by sharp's librsvg (no pixel drawing).
 * @returns PNG bytes.
 * @throws ExplainError when `tiles` is empty.
 */
export async function composeGrid(tiles: readonly GridTile[], options: GridOptions = {}): Promise<Buffer> {
  if (tiles.length === 0) throw new ExplainError('composeGrid: tiles is empty');
  const columns = Math.min(options.columns ?? 8, tiles.length);
  const tile = options.tileSize ?? 96;
  const fontSize = options.fontSize ?? 12;
  const gap = 12;
  // Cells are widened to their longest caption (DejaVu Sans averages ~0.6 em per character) so text never overlaps.
  const longest = Math.max(0, ...tiles.flatMap((t) => (t.caption ?? []).map((line) => line.length)));
  const cellInner = Math.max(tile, Math.ceil(longest * fontSize * 0.6));
  const lines = Math.min(3, Math.max(0, ...tiles.map((t) => t.caption?.length ?? 0)));
  const captionHeight = lines === 0 ? 0 : lines * (fontSize + 3) + 4;
  const headerHeight = options.columnHeaders ? fontSize + 12 : 0;
  const rows = Math.ceil(tiles.length / columns);
  const cellWidth = cellInner + gap;
  const cellHeight = tile + captionHeight + gap;
  const width = gap + columns * cellWidth;
  const height = gap + headerHeight + rows * cellHeight;
  const texts: string[] = [];
  options.columnHeaders?.slice(0, columns).forEach((header, c) => {
    texts.push(`<text x="${gap + c * cellWidth + cellInner / 2}" y="${gap + fontSize}" text-anchor="middle" font-weight="bold">${escapeXml(header)}</text>`);
  });
  const sharp = await loadSharp();
  const composites: OverlayOptions[] = [];
  for (let i = 0; i < tiles.length; i++) {
    const cellLeft = gap + (i % columns) * cellWidth;
    const left = cellLeft + Math.floor((cellInner - tile) / 2);
    const top = gap + headerHeight + Math.floor(i / columns) * cellHeight;
    const image = await sharp(tiles[i].image).resize(tile, tile, { kernel: 'nearest', fit: 'fill' }).png().toBuffer();
    composites.push({ input: image, left, top });
    (tiles[i].caption ?? []).slice(0, 3).forEach((line, l) => {
      texts.push(
        `<text x="${cellLeft + cellInner / 2}" y="${top + tile + (l + 1) * (fontSize + 3)}" text-anchor="middle" fill="${escapeXml(tiles[i].captionColor ?? '#222')}">${escapeXml(line)}</text>`,
      );
    });
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<style>text { font-family: 'DejaVu Sans', 'Liberation Sans', sans-serif; font-size: ${fontSize}px; }</style>` +
    `${texts.join('')}</svg>`;
  composites.push({ input: Buffer.from(svg), left: 0, top: 0 });
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite(composites)
    .png()
    .toBuffer();
}
