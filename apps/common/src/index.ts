export {
  BACKEND_NAMES,
  OPTIMIZER_NAMES,
  UsageError,
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
export { createCallbacks, createOptimizer, runTraining, type TrainingRun } from './run.js';
export type { RunSummary } from '@cnn/train';
export { runMain } from './main.js';
export {
  benchInfer,
  benchTrain,
  emit,
  interleavedRatio,
  pytorchReferenceScript,
  ratio,
  runPytorchReference,
  spread,
  type Spread,
  type TrainBench,
} from './bench.js';
export { sharedCifar10Archive } from './workspace.js';
