import type { Command } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '@cnn/backend-onednn';
import { compileNative, createInferenceServer, optimizeForInference } from './deploy.js';
import type { RegisterCommand } from '../program.js';
import { loadModelDir, outputsLogits, parseBackend, parseIntOption, useBackend, userPath } from './common.js';

/** Options of {@link serveModel}. */
export interface ServeModelOptions {
  /** Model folder holding `model.json` (as `cnn train` writes to `RUN/model`), resolved against `process.cwd()`. */
  modelDir: string;
  /** Interface to listen on. Default `'127.0.0.1'` (loopback only; `'0.0.0.0'` for every interface). */
  host?: string;
  /** TCP port; `0` picks a free one. Default `8080`. */
  port?: number;
  /** tfjs backend. Default `'auto'` (onednn where its addon loads, else cpu). */
  backend?: BackendChoice;
  /** Run each micro-batch as one native oneDNN graph (`compileNative` of @cnn/deploy). Default `false`. */
  native?: boolean;
  /** Fold BatchNorm and drop dropout before serving (`optimizeForInference`). Default `true`. */
  optimize?: boolean;
  /** Classes in each answer. Default `3`. */
  topK?: number;
  /** Micro-batching: largest batch. Default `32`. */
  maxBatch?: number;
  /** Micro-batching: longest wait for more requests, in ms. Default `2`. */
  maxDelayMs?: number;
  /** Largest request body in bytes. Default `1 MiB` (1,048,576). */
  bodyLimit?: number;
}

/** A running server started by {@link serveModel}. */
export interface ServedModel {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The active backend and why it was chosen. */
  backend: string;
  reason: string;
  /** Stops accepting connections, finishes in-flight requests and queued batches, then resolves. */
  close(): Promise<void>;
}

/**
 * Serves a model folder over HTTP — what `cnn serve` runs: loads the model (with its saved normalisation and
 * class names), optionally folds it for inference and compiles it natively, and starts @cnn/deploy's
 * `createInferenceServer` (fastify): `POST /v1/predict` (body: an image, `Content-Type: image/png|image/jpeg|…`,
 * or JSON `{"tensor", "shape"}`) → `{"predictions": [{label, probability}]}`, `GET /healthz`, `GET /metrics`.
 *
 * @throws UsageError naming the folder when it holds no model; `DeployError` when the model has no normalisation
 *   metadata; the listen error (e.g. `EADDRINUSE`) when the port is taken.
 */
export async function serveModel(options: ServeModelOptions): Promise<ServedModel> {
  const { backend, reason } = await useBackend(options.backend ?? 'auto');
  const loaded = await loadModelDir(options.modelDir);
  const model = options.optimize === false ? loaded : optimizeForInference(loaded);
  const native = options.native ? await compileNative(model) : undefined;
  const app = createInferenceServer({
    model: native ? { predict: (x) => native.predict(x), inputs: model.inputs, getUserDefinedMetadata: () => model.getUserDefinedMetadata() } : model,
    logits: outputsLogits(loaded),
    topK: options.topK ?? 3,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    maxBatch: options.maxBatch ?? 32,
    maxDelayMs: options.maxDelayMs ?? 2,
    logger: false,
  });
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 8080 });
  return { url: address, backend: native ? `${backend} (native graph)` : backend, reason, close: () => app.close() };
}

/** `cnn serve MODEL_DIR`: the HTTP inference server; SIGINT/SIGTERM finish in-flight requests and exit 0. */
export const registerServe: RegisterCommand = (program: Command) => {
  program
    .command('serve')
    .description('serve a trained model folder over HTTP: POST /v1/predict (an image) → top-k classes; GET /healthz, /metrics')
    .argument('<MODEL_DIR>', 'model folder holding model.json (e.g. runs/…/model)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('-p, --port <n>', 'TCP port (0: any free port)', '8080')
    .option('--backend <name>', `tfjs backend: ${BACKEND_CHOICES.join(', ')}`, 'auto')
    .option('--native', 'run each micro-batch as one native oneDNN graph')
    .option('--no-optimize', 'serve the model as saved (no BatchNorm folding)')
    .option('-k, --top-k <n>', 'classes per answer', '3')
    .option('--max-batch <n>', 'micro-batching: largest batch', '32')
    .option('--max-delay-ms <ms>', 'micro-batching: longest wait for more requests', '2')
    .option('--body-limit <bytes>', 'largest request body', String(1024 * 1024))
    .addHelpText(
      'after',
      '\nExample:\n  cnn serve runs/my-run/model --port 8080\n  curl -s -X POST -H "Content-Type: image/png" --data-binary @photo.png http://127.0.0.1:8080/v1/predict',
    )
    .action(
      async (
        modelDir: string,
        opts: {
          host: string;
          port: string;
          backend: string;
          native?: boolean;
          optimize: boolean;
          topK: string;
          maxBatch: string;
          maxDelayMs: string;
          bodyLimit: string;
        },
      ) => {
        const served = await serveModel({
          modelDir,
          host: opts.host,
          port: parseIntOption('--port', opts.port, 0, 65535),
          backend: parseBackend(opts.backend),
          native: opts.native === true,
          optimize: opts.optimize,
          topK: parseIntOption('--top-k', opts.topK, 1),
          maxBatch: parseIntOption('--max-batch', opts.maxBatch, 1),
          maxDelayMs: parseIntOption('--max-delay-ms', opts.maxDelayMs, 0),
          bodyLimit: parseIntOption('--body-limit', opts.bodyLimit, 1),
        });
        process.stdout.write(`listening on ${served.url} (backend ${served.backend}: ${served.reason}; model ${userPath(modelDir)})\n`);
        await new Promise<void>((done, fail) => {
          const stop = (sig: NodeJS.Signals): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            process.stdout.write(`${sig}: finishing in-flight requests…\n`);
            served.close().then(done, fail);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      },
    );
};
