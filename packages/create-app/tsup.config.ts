import { defineConfig } from 'tsup';
import base from '../../tsup.base.js';

// The library (tsup.base: `createApp`) plus the `create-app` command that `npm create @cnn/app` runs (ESM only, shebang kept).
export default defineConfig([
  base as Record<string, unknown>,
  { entry: { 'create-app': 'src/bin.ts' }, format: ['esm'], dts: false, sourcemap: true, clean: false, target: 'node20' },
]);
