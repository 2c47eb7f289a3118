/**
 * `@cnn/core`: what the `@cnn` packages share, browser-safe (no Node built-in in its import graph): the seeded
 * RNG, the error base class, the custom kernel names, the shared data types, the model metadata, the layer-graph
 * walker, histograms and the Vega-Lite chart specs with their SVG renderer. Node-only parts (atomic file writes,
 * PNG charts): `@cnn/core/node`.
 *
 * @packageDocumentation
 */
export { createRng, deriveSeed, shuffleInPlace, type Rng, type RngState } from './rng.js';
export { CnnError, UnsupportedLayerError } from './errors.js';
export { importPeer, isModuleNotFound, MissingPeerError, requirePeer } from './peers.js';
export {
  ADAM_UPDATE_KERNEL,
  BATCH_NORM_GRAD_KERNEL,
  BATCH_NORM_TRAIN_KERNEL,
  CUSTOM_KERNEL_NAMES,
  EMA_UPDATE_KERNEL,
  GELU_GRAD_KERNEL,
  GELU_KERNEL,
  RELU_BIAS_GRAD_KERNEL,
  SGD_UPDATE_KERNEL,
} from './kernel-names.js';
export { checkNormalization, type Batch, type ImageDataset, type Normalization } from './types.js';
export { getModelMetadata, MODEL_METADATA_KEY, setModelMetadata, type ModelMetadata } from './model-metadata.js';
export { forwardLayers, layerGraph, type ForwardOptions, type ForwardResult, type GraphNode, type LayerGraph } from './layer-graph.js';
export { activationHistograms, histogram, type ActivationHistogramsOptions } from './histograms.js';
export {
  confusionMatrixSpec,
  curvesSpec,
  histogramsSpec,
  learningRateSpec,
  loadVega,
  setVegaLoader,
  perClassAccuracySpec,
  renderChartSvg,
  type EpochMetrics,
  type Histogram,
  type VegaLiteSpec,
  type VegaModules,
} from './charts.js';
