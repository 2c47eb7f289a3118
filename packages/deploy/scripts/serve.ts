/**
 * HTTP inference server: `pnpm serve -- --model DIR [--port 8080] [--host 127.0.0.1] [--backend auto]
 * [--max-batch 32] [--max-delay-ms 2] [--body-limit 1048576] [--top-k 3] [--no-optimize] [--native]`.
 * `--native` runs each micro-batch as one native call (`compileNative`: the whole model on @cnn/backend-onednn).
 * The model folder must carry its normalisation (`saveModel(model, dir, {metadata: {normalization}})`, as the
 * apps save it); a model without it is refused.
 * SIGINT/SIGTERM: stop accepting, finish in-flight requests, exit 0.
 */
import { parseArgs } from 'node:util';
import { selectBackend, type BackendChoice } from '@cnn/backend-onednn';
import '@cnn/models'; // registers BatchNorm / SeededDropout for loading
import { compileNative, loadModelFiles, optimizeForInference } from '../src/index.js';
import { createInferenceServer } from '../src/server/index.js';
import { cliArgs, userPath } from './cli-args.js';

const { values } = parseArgs({
  args: cliArgs(),
  options: {
    model: { type: 'string' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    backend: { type: 'string', default: 'auto' },
    'max-batch': { type: 'string', default: '32' },
    'max-delay-ms': { type: 'string', default: '2' },
    'body-limit': { type: 'string', default: String(1024 * 1024) },
    'top-k': { type: 'string', default: '3' },
    'no-optimize': { type: 'boolean', default: false },
    native: { type: 'boolean', default: false },
  },
});
if (!values.model) {
  console.error('usage: pnpm serve -- --model DIR [--port 8080] [--host 127.0.0.1] [--backend auto|onednn|cpu|wasm]');
  process.exit(2);
}
const { backend, reason } = await selectBackend(values.backend as BackendChoice, { fallback: true });
const loaded = await loadModelFiles(userPath(values.model));
const model = values['no-optimize'] ? loaded : optimizeForInference(loaded);
const native = values.native ? await compileNative(model) : undefined;
const app = createInferenceServer({
  model: native ? { predict: (x) => native.predict(x), inputs: model.inputs, getUserDefinedMetadata: () => model.getUserDefinedMetadata() } : model,
  topK: Number(values['top-k']),
  bodyLimit: Number(values['body-limit']),
  maxBatch: Number(values['max-batch']),
  maxDelayMs: Number(values['max-delay-ms']),
  logger: false,
});
const url = await app.listen({ host: values.host, port: Number(values.port) });
console.log(`listening on ${url} (backend ${backend}: ${reason}${native ? '; native graph' : ''}; model ${userPath(values.model)})`);
let closing = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (closing) return;
    closing = true;
    console.log(`${sig}: finishing in-flight requests…`);
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
