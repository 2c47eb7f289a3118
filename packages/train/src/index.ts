export { TrainError, NonFiniteLossError } from './errors';
export { softmaxCrossEntropy, type SoftmaxCrossEntropyOptions } from './loss';
export { Optimizer, type OptimizerState, type SlotState } from './optimizers/optimizer';
export { Adam, type AdamOptions } from './optimizers/adam';
export { SGD, type SGDOptions } from './optimizers/sgd';
export { trainStep, trainableVariables, countCorrect, type StepResult } from './train-step';
export {
  trainEpoch, evaluate, fit, formatEpochLine,
  type Batch, type BatchSource, type EpochResult, type BatchEndInfo, type TrainEpochOptions, type EvaluateOptions,
  type HistoryEntry, type History, type FitControl, type FitOptions,
} from './loop';
export { createProgress, formatProgressLine, type ProgressMode, type ProgressInfo, type ProgressReporter } from './progress';
export { formatCount, formatPercent, formatLr, formatSeconds } from './format';
export { saveModel, loadModel, type SaveModelOptions, type SaveFs, type SavedModelInfo } from './model-io';
