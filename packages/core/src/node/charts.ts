import { join } from 'node:path';
import { renderChartSvg, type VegaLiteSpec } from '../charts.js';
import { importPeer } from '../peers.js';
import { writeFileAtomic } from './atomic-write.js';

type SharpModule = typeof import('sharp');
let sharpModule: Promise<SharpModule> | undefined;

function loadSharp(): Promise<SharpModule> {
  sharpModule ??= importPeer('sharp', 'PNG charts', () => import('sharp')).catch((err: unknown) => {
    sharpModule = undefined;
    throw err;
  });
  return sharpModule;
}

/**
 * Renders a Vega-Lite spec to PNG: SVG from `renderChartSvg`, rasterised by sharp (librsvg, an optional peer
 * dependency of `@cnn/core`).
 * @param scale - Pixel density multiplier. Default `2` (crisp text).
 * @throws Error from vega-lite when the spec is invalid, or MissingPeerError (code `ERR_CNN_MISSING_PEER`) when sharp is not installed.
 */
export async function renderChartPng(spec: VegaLiteSpec, scale = 2): Promise<Buffer> {
  const svg = await renderChartSvg(spec);
  const sharp = (await loadSharp()).default;
  return sharp(Buffer.from(svg), { density: 72 * scale })
    .png()
    .toBuffer();
}

/**
 * Writes `spec` as JSON beside the PNG (`<name>.vl.json`) and the rendered PNG to `pngPath`, both atomically.
 * @returns The two paths.
 * @throws The errors of {@link renderChartPng} and of the file system.
 */
export async function writeChart(spec: VegaLiteSpec, pngPath: string): Promise<{ png: string; spec: string }> {
  const specPath = `${pngPath.replace(/\.png$/i, '')}.vl.json`;
  await writeFileAtomic(specPath, `${JSON.stringify(spec, null, 2)}\n`);
  await writeFileAtomic(pngPath, await renderChartPng(spec));
  return { png: pngPath, spec: specPath };
}

/**
 * A chart sink writing `<dir>/<name>.png` and `<dir>/<name>.vl.json` (for `@cnn/callbacks`' `ModelDebugger`
 * `charts` option).
 * @returns The sink; it resolves to the PNG path.
 */
export function chartFolder(dir: string): (spec: VegaLiteSpec, name: string) => Promise<string> {
  return async (spec, name) => (await writeChart(spec, join(dir, `${name}.png`))).png;
}
