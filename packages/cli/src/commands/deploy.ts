/**
 * What the commands use of @cnn/deploy, in one place: the model files and graph optimisations from the main
 * entry, the HTTP server and image decoding from `@cnn/deploy/server`, the ONNX export from `@cnn/deploy/onnx`.
 */
export { compileNative, loadModelFiles, optimizeForInference, saveModelFiles, type WeightQuantization } from '@cnn/deploy';
export { createInferenceServer, decodeImageInput } from '@cnn/deploy/server';
export { decodeOnnx, saveOnnx } from '@cnn/deploy/onnx';
