/**
 * `@cnn/callbacks`: callbacks for `@cnn/train`'s `fit`, browser-safe — early stopping, checkpoints with exact
 * resume (any checkpoint store), learning-rate schedules, the LR range test, TerminateOnNaN and the model
 * debugger. Writing files (history logs, PNG plots): `@cnn/callbacks/node`.
 *
 * @packageDocumentation
 */
export { Callback, MonitorCallback, missingMetric, refuseTestMonitor, type MonitorMode, type MonitorOptions } from './base.js';
export { CallbackError } from './errors.js';
export { EarlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
export { ModelCheckpoint, type ModelCheckpointOptions } from './model-checkpoint.js';
export { LRSchedulerCallback, type LRSchedulerCallbackOptions, type SchedulerFactory } from './lr-scheduler.js';
export { lrFind, lrAt, suggestLr, lrFinderSpec, type LRFinderOptions, type LRFinderResult, type LRSuggestion } from './lr-finder.js';
export { TerminateOnNaN, historyToCsv, type NonFiniteReport } from './loggers.js';
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
} from './model-debugger.js';
