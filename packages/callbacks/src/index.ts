/**
 * `@cnn/callbacks`: callbacks for `@cnn/train`'s `fit` — early stopping, checkpoints with exact resume,
 * learning-rate schedules, the LR range test, history loggers, TerminateOnNaN and the model debugger.
 *
 * @packageDocumentation
 */
export { Callback, MonitorCallback, type MonitorMode, type MonitorOptions } from './base';
export { EarlyStopping, type EarlyStoppingOptions } from './early-stopping';
export { ModelCheckpoint, type ModelCheckpointOptions } from './model-checkpoint';
export { LRSchedulerCallback, type LRSchedulerCallbackOptions, type SchedulerFactory } from './lr-scheduler';
export {
  lrFind, lrAt, suggestLr, lrFinderSpec, writeLrFinderPlot,
  type LRFinderOptions, type LRFinderResult, type LRSuggestion,
} from './lr-finder';
export { HistoryLogger, TerminateOnNaN, historyToCsv, type HistoryLoggerOptions, type NonFiniteReport } from './loggers';
export {
  ModelDebugger, tensorStats, gradientStats, weightStats, findNonFiniteWeights, activationHistograms, activationHistogramSpec,
  type ModelDebuggerOptions, type DebugReport, type TensorStats, type GradientStats, type ActivationHistogram,
} from './model-debugger';
export { renderVegaLitePng, writeVegaLitePlot, type VegaLiteSpec } from './plot';
