/**
 * `@cnn/deploy/onnx` (Node): ONNX export of tfjs-layers models. Needs the optional peer protobufjs
 * (`npm install protobufjs`); without it {@link exportOnnx} throws `MissingPeerError` (code `ERR_CNN_MISSING_PEER`).
 *
 * @packageDocumentation
 */
export { exportOnnx, saveOnnx, decodeOnnx, ONNX_SUPPORTED_LAYERS, type ExportOnnxOptions } from './export-onnx.js';
