import { defineConfig } from 'tsup';
import base from '../../tsup.base.js';

// The library (tsup.base: `trainClassifier` and friends) plus the `cnn` command (ESM only, its shebang kept, no types).
export default defineConfig([
  base as Record<string, unknown>,
  { entry: { cnn: 'src/bin.ts' }, format: ['esm'], dts: false, sourcemap: true, clean: false, target: 'node20' },
]);
