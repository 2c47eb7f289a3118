import type * as tfl from '@tensorflow/tfjs-layers';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { checkNormalization, getModelMetadata, requirePeer } from '@cnn/core';
import { DeployError } from '../errors.js';
import { BadInputError, decodeImageInput, decodeJsonInput } from './decode-input.js';
import { MicroBatcher, type Predictable } from './micro-batcher.js';

const require = createRequire(import.meta.url);

/** Options of {@link createInferenceServer}. */
export interface InferenceServerOptions {
  /**
   * The model: a tfjs-layers model (or anything with `predict`, `inputs[0].shape` and `getUserDefinedMetadata`,
   * e.g. a native graph wrapped with the loaded model's metadata). Its metadata (`@cnn/core`'s
   * `getModelMetadata`, saved by `saveModel(model, dir, {metadata})`) must hold the input normalisation.
   */
  model: Predictable & Pick<tfl.LayersModel, 'inputs' | 'getUserDefinedMetadata'>;
  /** Class labels, indexed by output position. Default: the class names saved with the model, else `'0'`, `'1'`, … */
  labels?: readonly string[];
  /** Entries in the answer. Default `3`. */
  topK?: number;
  /** Largest request body in bytes; larger → 413. Default `1 MiB` (1,048,576). */
  bodyLimit?: number;
  /** Micro-batching: largest batch. Default `32`. */
  maxBatch?: number;
  /** Micro-batching: longest wait in ms for more requests. Default `2`. */
  maxDelayMs?: number;
  /** The model returns logits (apply softmax). Default `true`. */
  logits?: boolean;
  /** Fastify logger setting. Default `false`. */
  logger?: boolean;
}

/** One entry of the `/v1/predict` answer. */
export interface Prediction {
  label: string;
  /** In `[0, 1]`. */
  probability: number;
}

const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'application/octet-stream'];

/**
 * Builds (does not start) a fastify 5 HTTP inference server for an image classifier:
 *
 * - `POST /v1/predict`: body a PNG/JPEG image (`Content-Type: image/png|image/jpeg|application/octet-stream`;
 *   decoded with sharp to grey/RGB, resized to the model input, normalised) or JSON
 *   `{"tensor": [...], "shape": [h, w, c]}` (already normalised) → `{"predictions": [{label, probability}]}`
 *   (top-k, descending). Concurrent requests are micro-batched ({@link MicroBatcher}).
 * - `GET /healthz` → `{"status": "ok", "inputShape"}`; `GET /metrics` → Prometheus text
 *   (`cnn_http_requests_total{route,status}`, `cnn_http_errors_total{route,kind}`,
 *   `cnn_http_request_duration_seconds` histogram, `cnn_predict_batch_size` histogram, `cnn_http_in_flight_requests`, and prom-client's process metrics such as
 *   `cnn_process_resident_memory_bytes`).
 *
 * Errors: body over `bodyLimit` → 413; undecodable image, wrong JSON shape/values, unsupported
 * content type → 400 (415 for the type) with `{"error": message}`; a failing prediction → 500 for that
 * request only (the batch is retried one by one). `close()` finishes in-flight requests and the
 * queued batches before resolving (graceful shutdown).
 *
 * @throws DeployError when the model input shape is not fully defined, or the model carries no normalisation
 *   metadata (a server cannot guess how pixels were scaled; save the model with
 *   `saveModel(model, dir, {metadata: {normalization}})`) or one that does not fit its channels.
 */
export function createInferenceServer(opts: InferenceServerOptions): FastifyInstance {
  const inputShape = opts.model.inputs[0]!.shape.slice(1) as number[];
  if (inputShape.some((d) => d == null)) throw new DeployError(`createInferenceServer: model input shape ${JSON.stringify(inputShape)} must be fully defined`);
  const channels = inputShape[inputShape.length - 1]!;
  const metadata = getModelMetadata(opts.model);
  if (!metadata) {
    throw new DeployError(
      'createInferenceServer: the model has no normalisation metadata (model.json userDefinedMetadata.cnn.normalization); ' +
        'save it with saveModel(model, dir, {metadata: {normalization: {mean, std}}})',
    );
  }
  let norm: { mean: number[]; std: number[] };
  try {
    norm = checkNormalization('createInferenceServer', metadata.normalization, channels);
  } catch (err) {
    throw new DeployError((err as Error).message, { cause: err });
  }
  const labels = opts.labels ?? metadata.classNames;
  // Optional peers of @cnn/deploy, needed only here.
  const Fastify = requirePeer('fastify', 'the inference server', () => require('fastify') as typeof import('fastify')).default;
  const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = requirePeer(
    'prom-client',
    'the inference server',
    () => require('prom-client') as typeof import('prom-client'),
  );
  const topK = opts.topK ?? 3;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cnn_' });
  const requests = new Counter({
    name: 'cnn_http_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'cnn_http_errors_total',
    help: 'Failed requests by route and kind (client, server)',
    labelNames: ['route', 'kind'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'cnn_http_request_duration_seconds',
    help: 'Request latency in seconds',
    labelNames: ['route'],
    registers: [registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  const batchSizes = new Histogram({
    name: 'cnn_predict_batch_size',
    help: 'Samples per batched predict',
    registers: [registry],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  });
  const inflight = new Gauge({ name: 'cnn_http_in_flight_requests', help: 'Requests being served', registers: [registry] });
  const batcher = new MicroBatcher(opts.model, {
    inputShape,
    maxBatch: opts.maxBatch,
    maxDelayMs: opts.maxDelayMs,
    softmax: opts.logits ?? true,
    onBatch: (n) => batchSizes.observe(n),
  });

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? 1024 * 1024 });
  app.addContentTypeParser(IMAGE_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const started = new WeakMap<FastifyRequest, number>();
  app.addHook('onRequest', async (req) => {
    started.set(req, performance.now());
    inflight.inc();
  });
  app.addHook('onResponse', async (req, reply) => {
    inflight.dec();
    const route = req.routeOptions.url ?? 'unknown';
    requests.inc({ route, status: String(reply.statusCode) });
    if (reply.statusCode >= 400) errors.inc({ route, kind: reply.statusCode >= 500 ? 'server' : 'client' });
    latency.observe({ route }, (performance.now() - (started.get(req) ?? performance.now())) / 1000);
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err instanceof BadInputError ? 400 : err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    const message =
      status === 413
        ? `request body exceeds the limit of ${opts.bodyLimit ?? 1048576} bytes`
        : status === 500
          ? `prediction failed: ${err.message}`
          : err.message;
    if (status >= 500) app.log.error(err);
    void reply.code(status).send({ error: message });
  });
  app.setNotFoundHandler((req, reply) => void reply.code(404).send({ error: `no route ${req.method} ${req.url}` }));

  app.get('/healthz', async () => ({ status: 'ok', inputShape }));
  app.get('/metrics', async (_req, reply) => {
    void reply.type(registry.contentType);
    return registry.metrics();
  });
  app.post('/v1/predict', async (req) => {
    const ct = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
      .toLowerCase();
    let input: Float32Array;
    if (Buffer.isBuffer(req.body)) input = await decodeImageInput(req.body, inputShape, norm);
    else if (ct === 'application/json') input = decodeJsonInput(req.body, inputShape);
    else throw new BadInputError(`unsupported body; send an image (${IMAGE_TYPES.join(', ')}) or application/json`);
    const probs = await batcher.predict(input);
    const order = Array.from(probs.keys())
      .sort((a, b) => probs[b]! - probs[a]!)
      .slice(0, topK);
    const predictions: Prediction[] = order.map((i) => ({ label: labels?.[i] ?? String(i), probability: probs[i]! }));
    return { predictions };
  });
  // preClose runs before the listener stops: flush the queue so in-flight requests finish now.
  app.addHook('preClose', async () => {
    await batcher.close();
  });
  app.decorate('metricsRegistry', registry);
  return app;
}
