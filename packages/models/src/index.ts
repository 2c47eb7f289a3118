export { GELU, gelu, geluLayer, GELU_KERNELS } from './gelu.js';
export { BatchNorm, batchNorm, batchNormTraining, BATCH_NORM_KERNELS, type BatchNormArgs, type BatchNormTrainingResult } from './batch-norm.js';
export {
  Dropout,
  dropout,
  dropoutMaskSeed,
  getModelRngState,
  setModelRngState,
  rngLayers,
  type RngLayer,
  type DropoutArgs,
  type DropoutRngState,
} from './dropout.js';
export { layerInit, layerSeed, Dirac, dirac, type DiracArgs, type InitScheme, type LayerInit, type Initializer } from './init.js';
export {
  patchWhitening,
  patchWhiteningAsync,
  symmetricEigen,
  WhiteningConv2D,
  whiteningConv2d,
  initWhitening,
  initWhiteningAsync,
  type PatchWhiteningOptions,
  type PatchWhiteningResult,
  type SymmetricEigen,
  type WhiteningConv2DArgs,
  type InitWhiteningOptions,
} from './whitening.js';
export { predictTta, airbenchTta, resolveTta, applyTtaView, type TtaView, type TtaOptions, type ResolvedTta, type TtaPredictor } from './tta.js';
export { mnistNet, improvedMnistNet, resolveOptions, type ModelOptions } from './mnist-net.js';
export { cifar10Net } from './cifar10-net.js';
export { summary, formatSummary, type ModelSummary, type SummaryRow } from './summary.js';
export { getModel, getModelEntry, listModels, type ModelEntry } from './registry.js';
export {
  resnet,
  resnet18,
  resnet34,
  resnet50,
  densenet,
  densenet121,
  densenetCifar,
  mobilenetV2,
  airbench94,
  AIRBENCH94_WIDTHS,
  type ZooOptions,
  type ResNetBlock,
  type ResNetStem,
  type ResNetOptions,
  type ResNetConfig,
  type DenseNetConfig,
  type DenseNetCifarOptions,
  type MobileNetV2Options,
  type Airbench94Options,
  type Airbench94Widths,
} from './zoo/index.js';
export {
  parseSafetensors,
  serializeSafetensors,
  importTorchStateDict,
  convertTorchTensor,
  splitTorchKey,
  permute,
  type SafetensorsDtype,
  type SafeTensor,
  type SafetensorsFile,
  type TensorToWrite,
  type ImportTorchOptions,
  type ImportTorchReport,
} from './weights/index.js';
export {
  findHead,
  replaceHead,
  modelStages,
  freezeLayers,
  unfreezeLayers,
  freezeStages,
  unfreezeStages,
  freezeAllButHead,
  unfreezeAll,
  trainableLayerNames,
  type ReplaceHeadOptions,
  type LayerSelector,
  type Stage,
} from './transfer/index.js';
export { ModelEnsemble, type Voting, type ModelEnsembleOptions, type EnsembleEvaluation } from './ensemble.js';
export { Conv2D, Dense, conv2d, dense, registerFusedGradients, RELU_BIAS_GRAD_KERNEL } from './fused.js';
export { ModelError } from './errors.js';
