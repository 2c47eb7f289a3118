/**
 * `@cnn/deploy`: ship trained tfjs-layers models — safe sharded/quantised model files (filesystem and
 * http), BatchNorm folding for inference, ONNX export, an HTTP inference server with micro-batching,
 * and benchmark helpers.
 *
 * @packageDocumentation
 */
export { DeployError, ModelFileError, UnsupportedLayerError } from './errors';
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
} from './model-files';
export { quantizeWeights, float32ToFloat16Bits, type WeightQuantization } from './quantize';
export { optimizeForInference, type OptimizeOptions, type OptimizeReport } from './optimize';
export {
  layerGraph,
  batchNormParams,
  INFERENCE_IDENTITY_CLASSES,
  BATCH_NORM_CLASSES,
  type LayerGraph,
  type GraphNode,
  type BatchNormParams,
} from './layer-graph';
export { exportOnnx, saveOnnx, decodeOnnx, ONNX_SUPPORTED_LAYERS, type ExportOnnxOptions } from './onnx/export-onnx';
export { createInferenceServer, type InferenceServerOptions, type Prediction } from './server/inference-server';
export { MicroBatcher, type MicroBatcherOptions, type Predictable } from './server/micro-batcher';
export { BadInputError, decodeImageInput, decodeJsonInput, type Normalization } from './server/decode-input';
export { benchmark, percentile, formatBenchTable, type BenchOptions, type BenchResult } from './bench';
export { compileNative, nativeGraphOps, NATIVE_SUPPORTED_LAYERS, type CompileNativeOptions, type NativeModel } from './native';
