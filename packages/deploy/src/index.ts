/**
 * `@cnn/deploy`: ship trained tfjs-layers models — safe sharded/quantised model files (filesystem and
 * http), BatchNorm folding for inference, weight quantisation and benchmark helpers. The HTTP inference server
 * is `@cnn/deploy/server` (optional peers fastify, prom-client, sharp), ONNX export `@cnn/deploy/onnx`
 * (optional peer protobufjs).
 *
 * @packageDocumentation
 */
export { DeployError, ModelFileError, UnsupportedLayerError } from './errors.js';
export {
  saveModelFiles,
  loadModelFiles,
  parseModelJson,
  checkWeightBytes,
  resolveWeightUrl,
  type SaveModelFilesOptions,
  type SavedModelFiles,
  type LoadModelFilesOptions,
  type CheckedModelJson,
} from './model-files.js';
export { quantizeWeights, float32ToFloat16Bits, type WeightQuantization } from './quantize.js';
export { optimizeForInference, type OptimizeOptions, type OptimizeReport } from './optimize.js';
export {
  layerGraph,
  batchNormParams,
  INFERENCE_IDENTITY_CLASSES,
  BATCH_NORM_CLASSES,
  type LayerGraph,
  type GraphNode,
  type BatchNormParams,
} from './layer-graph.js';
export { benchmark, percentile, formatBenchTable, type BenchOptions, type BenchResult } from './bench.js';
export { compileNative, nativeGraphOps, NATIVE_SUPPORTED_LAYERS, type CompileNativeOptions, type NativeModel } from './native.js';
