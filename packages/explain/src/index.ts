/**
 * `@cnn/explain`: model explanation, browser-safe — confusion matrix, classification report (scikit-learn
 * parity), top-k, Grad-CAM / Grad-CAM++ / saliency / SmoothGrad, colormaps. The run analysis, the HTML report
 * and PNG rendering (file system, sharp, Chromium): `@cnn/explain/node`.
 *
 * @packageDocumentation
 */
export { ExplainError } from './errors.js';
export type { HistoryEntry, ImageDataset, Normalization, RunSummary } from './types.js';

export { confusionMatrix, type ConfusionMatrixOptions } from './metrics/confusion-matrix.js';
export {
  classificationReport,
  reportToSklearnDict,
  type AverageMetrics,
  type ClassMetrics,
  type ClassificationReport,
  type ClassificationReportOptions,
  type SklearnMetricsEntry,
} from './metrics/classification-report.js';
export { perClassAccuracy, topKAccuracy, type PerClassAccuracy } from './metrics/top-k-accuracy.js';
export type { LabelArray } from './metrics/validate-labels.js';

export { BaseCam, type CamOptions, type CamResult } from './cam/base-cam.js';
export { GradCam } from './cam/grad-cam.js';
export { GradCamPlusPlus } from './cam/grad-cam-plus-plus.js';
export { saliencyMap, smoothGrad, type SaliencyOptions, type SmoothGradOptions } from './cam/saliency.js';
export {
  forwardLayers,
  lastConvLayerName,
  spatialLayerNames,
  type ForwardOptions,
  type ForwardResult,
} from './cam/layer-graph.js';
export { normalizeMaps, resizeMaps } from './cam/map-utils.js';

/** @deprecated Import the chart specs and the renderer from `@cnn/core` (one copy, shared with `@cnn/callbacks`). */
export {
  activationHistograms,
  confusionMatrixSpec,
  curvesSpec,
  histogram,
  histogramsSpec,
  learningRateSpec,
  perClassAccuracySpec,
  renderChartSvg,
  type Histogram,
  type VegaLiteSpec,
} from '@cnn/core';
export { applyColormap, colormapLut, type ColormapName } from './render/colormap.js';
export type { RawImage } from './render/images.js';

export { weightHistograms } from './analysis/histograms.js';
export { datasetBatch } from './analysis/dataset-input.js';
