/**
 * `@cnn/explain/node`: what writes files or needs sharp / Chromium — the run analysis (`analysis.json`,
 * galleries, Grad-CAM PNGs), the self-contained `report.html`, its headless inspection, the run-folder readers,
 * and PNG composition.
 *
 * @packageDocumentation
 */
export { renderChartPng } from '@cnn/core/node';
export { composeGrid, overlayPng, rawToPng, type GridOptions, type GridTile, type RawImage } from '../render/images.js';
export { analyzeRun, type Analysis, type AnalyzeRunOptions, type GalleryEntry } from '../analysis/analyze-run.js';
export { writeReport, type WriteReportOptions } from '../report/write-report.js';
export { DEFAULT_CHROMIUM, inspectReport, type InspectReportOptions, type ReportInspection } from '../report/inspect-report.js';
export { readHistory, readSummary } from '../report/run-files.js';
