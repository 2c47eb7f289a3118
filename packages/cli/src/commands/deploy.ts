/**
 * What the commands use of @cnn/deploy, in one place. With @cnn/deploy's subpaths (contract C4) the server parts
 * come from `@cnn/deploy/server` (createInferenceServer, decodeImageInput) and the ONNX export from
 * `@cnn/deploy/onnx` (saveOnnx, decodeOnnx); this file is where that import changes.
 */
export {
  compileNative,
  createInferenceServer,
  decodeImageInput,
  decodeOnnx,
  loadModelFiles,
  optimizeForInference,
  saveModelFiles,
  saveOnnx,
  type WeightQuantization,
} from '@cnn/deploy';
