import sharp from 'sharp';
import { writeFileAtomic } from '@cnn/data';

/** A Vega-Lite specification (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');
let modules: Promise<[VegaModule, VegaLiteModule]> | undefined;

function loadVega(): Promise<[VegaModule, VegaLiteModule]> {
  // ESM-only packages: load lazily so the CommonJS build works too.
  modules ??= Promise.all([import('vega'), import('vega-lite')]);
  return modules;
}

/**
 * Renders a Vega-Lite spec headless to PNG: vega-lite compiles it, vega renders SVG (`View.toSVG`, no
 * canvas, no browser) and sharp (librsvg) rasterises it.
 * @param scale pixel density multiplier. Default `2`.
 * @throws Error from vega-lite when the spec is invalid.
 */
export async function renderVegaLitePng(spec: VegaLiteSpec, scale = 2): Promise<Buffer> {
  const [vega, vl] = await loadVega();
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  return sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
}

/**
 * Writes `spec` as JSON next to the PNG (`<name>.vl.json`) and the rendered PNG to `pngPath`, both
 * atomically. @returns the two paths.
 */
export async function writeVegaLitePlot(spec: VegaLiteSpec, pngPath: string): Promise<{ png: string; spec: string }> {
  const specPath = pngPath.replace(/\.png$/i, '') + '.vl.json';
  await writeFileAtomic(specPath, `${JSON.stringify(spec, null, 2)}\n`);
  await writeFileAtomic(pngPath, await renderVegaLitePng(spec));
  return { png: pngPath, spec: specPath };
}
