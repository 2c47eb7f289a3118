export {
  BACKEND_NAMES,
  OPTIMIZER_NAMES,
  UsageError,
  fraction,
  nonNegativeInt,
  oneOf,
  parseTrainingArgs,
  positiveInt,
  positiveNumber,
  resolveUserPath,
  trainingUsage,
  type TrainingDefaults,
  type TrainingFlags,
} from './flags.js';
export {
  assertFiniteEvaluation,
  assertResumable,
  checkpointRunInfo,
  createCallbacks,
  createOptimizer,
  runTraining,
  type CreateCallbacksOptions,
  type TrainingRun,
} from './run.js';
export { RUN_RECORD_KEY, RunRecord, runInfoDifferences, type RunInfo, type RunRecordState } from './run-record.js';
export { evaluateWithTta, type EvaluateTtaOptions, type TtaEvaluation, type TtaSpec } from './evaluate-tta.js';
export type { RunSummary } from '@cnn/train';
export { runMain } from './main.js';
export {
  benchInfer,
  benchTrain,
  emit,
  interleavedRatio,
  lastJsonLine,
  pytorchReferenceScript,
  ratio,
  runPythonReference,
  runPytorchReference,
  spread,
  type Spread,
  type TrainBench,
} from './bench.js';
export { sharedCifar10Archive } from './workspace.js';
