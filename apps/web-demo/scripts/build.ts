/** Bundles the demo with esbuild into dist/ (main.js, index.html, tfjs wasm binaries, model/). */
import { build } from 'esbuild';
import * as fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the static site into `outDir` (default `dist/`); returns the folder. */
export async function buildDemo(outDir = path.join(root, 'dist')): Promise<string> {
  await fs.rm(outDir, { recursive: true, force: true });
  await build({
    entryPoints: [path.join(root, 'src/main.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2020',
    outfile: path.join(outDir, 'main.js'), sourcemap: true, minify: true, logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  await fs.copyFile(path.join(root, 'static/index.html'), path.join(outDir, 'index.html'));
  const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const f of await fs.readdir(wasmDir)) if (f.endsWith('.wasm')) await fs.copyFile(path.join(wasmDir, f), path.join(outDir, f));
  await fs.cp(path.join(root, 'model'), path.join(outDir, 'model'), { recursive: true });
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`built ${await buildDemo()}`);
}
