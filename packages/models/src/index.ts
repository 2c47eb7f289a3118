export { GELU, gelu, geluLayer, GELU_KERNELS } from './gelu';
export { BatchNorm, batchNorm, batchNormTraining, BATCH_NORM_KERNELS, type BatchNormArgs, type BatchNormTrainingResult } from './batch-norm';
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
} from './dropout';
export { layerInit, layerSeed, Dirac, dirac, type DiracArgs, type InitScheme, type LayerInit, type Initializer } from './init';
export {
  patchWhitening,
  symmetricEigen,
  WhiteningConv2D,
  whiteningConv2d,
  initWhitening,
  type PatchWhiteningOptions,
  type PatchWhiteningResult,
  type SymmetricEigen,
  type WhiteningConv2DArgs,
  type InitWhiteningOptions,
} from './whitening';
export { predictTta, airbenchTta, resolveTta, applyTtaView, type TtaView, type TtaOptions, type ResolvedTta, type TtaPredictor } from './tta';
export { mnistNet, improvedMnistNet, resolveOptions, type ModelOptions } from './mnist-net';
export { cifar10Net } from './cifar10-net';
export { summary, formatSummary, type ModelSummary, type SummaryRow } from './summary';
export { getModel, getModelEntry, listModels, type ModelEntry } from './registry';
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
} from './zoo/index';
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
} from './weights/index';
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
} from './transfer/index';
export { ModelEnsemble, type Voting, type ModelEnsembleOptions, type EnsembleEvaluation } from './ensemble';
export { Conv2D, Dense, conv2d, dense, registerFusedGradients, RELU_BIAS_GRAD_KERNEL } from './fused';
export { ModelError } from './errors';
