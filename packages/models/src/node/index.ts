/**
 * `@cnn/models/node`: reading PyTorch weights from a file path (or an http(s) URL) in Node. In a browser, fetch
 * the bytes yourself and use `parseSafetensors` + `importTorchStateDict` from `@cnn/models`.
 *
 * @packageDocumentation
 */
export { isHttpUrl, loadSafetensors, loadTorchWeights, readSource } from './source.js';
