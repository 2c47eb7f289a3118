/**
 * `@cnn/callbacks`: callbacks for `@cnn/train`'s `fit`, browser-safe — early stopping, checkpoints with exact
 * resume (any checkpoint store), learning-rate schedules, the LR range test, TerminateOnNaN and the model
 * debugger. Writing files (history logs, PNG plots): `@cnn/callbacks/node`.
 *
 * @packageDocumentation
 */
export { Callback, MonitorCallback, missingMetric, refuseTestMonitor, type MonitorMode, type MonitorOptions } from './base';
export { CallbackError } from './errors';
export { EarlyStopping, type EarlyStoppingOptions } from './early-stopping';
export { ModelCheckpoint, type ModelCheckpointOptions } from './model-checkpoint';
export { LRSchedulerCallback, type LRSchedulerCallbackOptions, type SchedulerFactory } from './lr-scheduler';
export { lrFind, lrAt, suggestLr, lrFinderSpec, type LRFinderOptions, type LRFinderResult, type LRSuggestion } from './lr-finder';
export { TerminateOnNaN, historyToCsv, type NonFiniteReport } from './loggers';
export {
  ModelDebugger,
  tensorStats,
  gradientStats,
  weightStats,
  findNonFiniteWeights,
  type ChartSink,
  type ModelDebuggerOptions,
  type DebugReport,
  type TensorStats,
  type GradientStats,
} from './model-debugger';
