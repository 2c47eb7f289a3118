import { defineConfig } from 'tsup';
import base from '../../tsup.base.js';

/** Entries: `@cnn/deploy` (model files, folding, quantisation), `@cnn/deploy/server`, `@cnn/deploy/onnx`. */
export default defineConfig({
  ...(base as object),
  entry: { index: 'src/index.ts', server: 'src/server/index.ts', onnx: 'src/onnx/index.ts' },
});
