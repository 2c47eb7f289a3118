/**
 * `@cnn/train`: a PyTorch-style training loop for tfjs-layers models, browser-safe — loss, optimizers with
 * PyTorch's update rules, `fit` with Keras' callback protocol and metric names, LR schedulers, weight averaging,
 * checkpoints and model save / load through tfjs IO handlers. Folders, `file://` and the terminal progress bar:
 * import `@cnn/train/node`.
 *
 * @packageDocumentation
 */
export { TrainError, NonFiniteLossError } from './errors.js';
export { softmaxCrossEntropy, CrossEntropyLoss, type CrossEntropyLossOptions, type SoftmaxCrossEntropyOptions, type LossReduction } from './loss.js';
export { Optimizer, type OptimizerState, type SlotState } from './optimizers/optimizer.js';
export { Adam, type AdamOptions } from './optimizers/adam.js';
export { SGD, SGD_UPDATE_KERNEL, type SGDOptions } from './optimizers/sgd.js';
export { Muon, zeropowerViaNewtonSchulz, MUON_NS_COEFFICIENTS, type MuonOptions } from './optimizers/muon.js';
export { ParamGroupOptimizer, type ParamGroup, type ParamMatcher, type ParamGroupOptimizerOptions } from './optimizers/param-groups.js';
export {
  trainStep,
  computeGradients,
  applyGradients,
  trainableVariables,
  countCorrect,
  type StepResult,
  type StepOptions,
  type BatchGradients,
} from './train-step.js';
export { yieldToEventLoop, inBrowserWindow, resolveYieldEvery } from './event-loop.js';
export { clipGradNorm, clipGradValue, type ClipNormResult } from './clip.js';
export {
  trainEpoch,
  evaluate,
  fit,
  formatEpochLine,
  type BatchSource,
  type EpochResult,
  type TrainEpochResult,
  type BatchEndInfo,
  type TrainEpochOptions,
  type EvaluateOptions,
  type EvaluateOutput,
  type EvaluateResult,
  type FitOptions,
} from './loop.js';
export type { Batch } from '@cnn/core';
export { normalizeHistoryEntry, type HistoryEntry, type History, type RunSummary } from './history.js';
export {
  Callback,
  LambdaCallback,
  callbackKeys,
  callbackOrder,
  RENAMED_METRICS,
  type CallbackHooks,
  type Logs,
  type GradientsInfo,
  type TrainingContext,
  type TrainingParams,
} from './callback.js';
export { CallbackList } from './callback-list.js';
export { GradientAccumulator } from './gradient-accumulator.js';
export {
  captureTrainingState,
  restoreTrainingState,
  getModelWeights,
  readModelWeights,
  setModelWeights,
  encodeTrainingState,
  decodeTrainingState,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type TrainingState,
  type NamedWeight,
} from './checkpoint.js';
export {
  checkpointStore,
  ioCheckpointStore,
  registerCheckpointRouter,
  type CheckpointStore,
  type CheckpointRouter,
} from './checkpoint-store.js';
export {
  LRScheduler,
  StepLR,
  MultiStepLR,
  ExponentialLR,
  LinearLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  OneCycleLR,
  LinearWarmup,
  SequentialLR,
  ReduceLROnPlateau,
  createScheduler,
  parseSchedulerSpec,
  SCHEDULER_NAMES,
  type Scheduler,
  type SchedulerName,
  type SchedulerSpec,
  type SchedulerState,
  type StepLROptions,
  type MultiStepLROptions,
  type ExponentialLROptions,
  type LinearLROptions,
  type CosineAnnealingLROptions,
  type CosineAnnealingWarmRestartsOptions,
  type OneCycleLROptions,
  type LinearWarmupOptions,
  type SequentialLROptions,
  type ReduceLROnPlateauOptions,
} from './schedulers/index.js';
export {
  lerp,
  ModelEma,
  Lookahead,
  airbenchLookaheadAlpha,
  EMA_UPDATE_KERNEL,
  type LerpOptions,
  type AveragedWeightsState,
  type ModelEmaOptions,
  type ModelEmaState,
  type LookaheadOptions,
} from './weight-averaging.js';
export {
  LookaheadCallback,
  ModelEmaCallback,
  type LookaheadCallbackOptions,
  type LookaheadCallbackState,
  type ModelEmaCallbackOptions,
  type ModelEmaCallbackState,
} from './averaging-callbacks.js';
export {
  createProgress,
  formatProgressLine,
  registerProgressBar,
  type ProgressMode,
  type ProgressInfo,
  type ProgressReporter,
  type ProgressOptions,
  type ProgressBarFactory,
} from './progress.js';
export { formatCount, formatPercent, formatLr, formatSeconds } from './format.js';
export { saveModel, loadModel, modelArtifacts, type SaveModelOptions, type SavedModelInfo, type WeightTransform } from './model-io.js';
export {
  parseModelJson,
  checkWeightBytes,
  resolveWeightUrl,
  readModelArtifacts,
  MODEL_FILES_CODE,
  type CheckedModelJson,
  type ModelFilesSource,
} from './model-json.js';
