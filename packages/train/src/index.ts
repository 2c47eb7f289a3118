export { TrainError, NonFiniteLossError } from './errors';
export { softmaxCrossEntropy, type SoftmaxCrossEntropyOptions, type LossReduction } from './loss';
export { Optimizer, type OptimizerState, type SlotState } from './optimizers/optimizer';
export { Adam, type AdamOptions } from './optimizers/adam';
export { SGD, SGD_UPDATE_KERNEL, type SGDOptions } from './optimizers/sgd';
export { ParamGroupOptimizer, type ParamGroup, type ParamMatcher, type ParamGroupOptimizerOptions } from './optimizers/param-groups';
export {
  trainStep, computeGradients, applyGradients, trainableVariables, countCorrect,
  type StepResult, type StepOptions, type BatchGradients,
} from './train-step';
export { clipGradNorm, clipGradValue, type ClipNormResult } from './clip';
export {
  trainEpoch, evaluate, fit, formatEpochLine,
  type Batch, type BatchSource, type EpochResult, type TrainEpochResult, type BatchEndInfo, type TrainEpochOptions, type EvaluateOptions,
  type FitControl, type FitOptions,
} from './loop';
export type { HistoryEntry, History, RunSummary } from './history';
export { callbackKeys, type Callback, type Logs, type GradientsInfo, type TrainingContext, type TrainingParams } from './callback';
export {
  saveCheckpoint, loadCheckpoint, hasCheckpoint, assertCheckpointDir, captureTrainingState, restoreTrainingState, getModelWeights, setModelWeights,
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type TrainingState, type NamedWeight, type SavedCheckpoint,
} from './checkpoint';
export {
  LRScheduler, StepLR, MultiStepLR, ExponentialLR, LinearLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR, LinearWarmup,
  SequentialLR, ReduceLROnPlateau, createScheduler, parseSchedulerSpec, SCHEDULER_NAMES,
  type Scheduler, type SchedulerSpec, type SchedulerState, type StepLROptions, type MultiStepLROptions, type ExponentialLROptions,
  type LinearLROptions, type CosineAnnealingLROptions, type CosineAnnealingWarmRestartsOptions, type OneCycleLROptions,
  type LinearWarmupOptions, type SequentialLROptions, type ReduceLROnPlateauOptions,
} from './schedulers';
export {
  lerp, ModelEma, Lookahead, airbenchLookaheadAlpha, EMA_UPDATE_KERNEL,
  type LerpOptions, type AveragedWeightsState, type ModelEmaOptions, type ModelEmaState, type LookaheadOptions,
} from './weight-averaging';
export {
  LookaheadCallback, ModelEmaCallback,
  type LookaheadCallbackOptions, type LookaheadCallbackState, type ModelEmaCallbackOptions, type ModelEmaCallbackState,
} from './averaging-callbacks';
export { createProgress, formatProgressLine, type ProgressMode, type ProgressInfo, type ProgressReporter } from './progress';
export { formatCount, formatPercent, formatLr, formatSeconds } from './format';
export { saveModel, loadModel, type SaveModelOptions, type SaveFs, type SavedModelInfo } from './model-io';
