/**
 * `@cnn/deploy/server` (Node): the HTTP inference server with micro-batching and its input decoding. Needs the
 * optional peers fastify and prom-client (and sharp for image bodies): `npm install fastify prom-client sharp`;
 * without them {@link createInferenceServer} throws `MissingPeerError` (code `ERR_CNN_MISSING_PEER`).
 *
 * @packageDocumentation
 */
export { createInferenceServer, type InferenceServerOptions, type Prediction } from './inference-server.js';
export { MicroBatcher, type MicroBatcherOptions, type Predictable } from './micro-batcher.js';
export { BadInputError, decodeImageInput, decodeJsonInput, type Normalization } from './decode-input.js';
