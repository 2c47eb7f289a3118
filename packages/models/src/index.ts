export { BatchNorm, batchNorm, type BatchNormArgs } from './batch-norm';
export { layerInit, layerSeed, type InitScheme, type LayerInit, type Initializer } from './init';
export { mnistNet, improvedMnistNet, resolveOptions, type ModelOptions } from './mnist-net';
export { summary, formatSummary, type ModelSummary, type SummaryRow } from './summary';
export { getModel, getModelEntry, listModels, type ModelEntry } from './registry';
