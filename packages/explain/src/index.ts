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

export {
  confusionMatrixSpec,
  curvesSpec,
  histogramsSpec,
  learningRateSpec,
  perClassAccuracySpec,
  renderChartPng,
  renderChartSvg,
  type Histogram,
  type VegaLiteSpec,
} from './render/charts.js';
export { applyColormap, colormapLut, type ColormapName } from './render/colormap.js';
export { composeGrid, overlayPng, rawToPng, type GridOptions, type GridTile, type RawImage } from './render/images.js';

export { activationHistograms, histogram, weightHistograms } from './analysis/histograms.js';
export { datasetBatch } from './analysis/dataset-input.js';
export { analyzeRun, type Analysis, type AnalyzeRunOptions, type GalleryEntry } from './analysis/analyze-run.js';
export { writeReport, type WriteReportOptions } from './report/write-report.js';
export { DEFAULT_CHROMIUM, inspectReport, type InspectReportOptions, type ReportInspection } from './report/inspect-report.js';
export { readHistory, readSummary } from './report/run-files.js';
