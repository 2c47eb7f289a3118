/**
 * `@cnn/cli`: the `cnn` command (Node only) and the runner behind `cnn train`, {@link trainClassifier}, so a
 * program gets exactly what the command does.
 *
 * @packageDocumentation
 */
export { UsageError, exitCodeOf } from './errors.js';
export { createProgram, runProgram, type RegisterCommand } from './program.js';
export { registerTrain } from './commands/train.js';
export {
  assertFiniteEvaluation,
  assertResumable,
  buildRun,
  checkpointRunInfo,
  createCallbacks,
  createOptimizer,
  trainClassifier,
  trainingAugmentation,
  type RunPlan,
  type TrainClassifierResult,
  type TrainClassifierSummary,
} from './train/train-classifier.js';
export { resolveTrainConfig, runInfoOf, type TrainClassifierOptions, type TrainConfig } from './train/config.js';
export {
  AUGMENT_NAMES,
  BACKEND_NAMES,
  PRECISION_NAMES,
  BUILTIN_SOURCES,
  CIFAR10_FAST_RECIPE,
  CIFAR10_MUON_RECIPE,
  CIFAR10_STANDARD_RECIPE,
  FOLDER_RECIPE,
  MNIST_RECIPE,
  OPTIMIZER_NAMES,
  RECIPE_NAMES,
  recipeFor,
  type AugmentName,
  type BackendName,
  type PrecisionName,
  type BuiltinSource,
  type MuonRecipeSettings,
  type OptimizerName,
  type RecipeName,
  type RecipeOptimizer,
  type TrainingRecipe,
} from './train/recipes.js';
export {
  checkImageFolder,
  datasetSha256,
  ensureCifar10BinaryArchive,
  loadSource,
  mnistPackageDir,
  type DataInfo,
  type LoadSourceOptions,
  type LoadedSource,
} from './train/data.js';
export { RUN_RECORD_KEY, RunRecord, runInfoDifferences, type RunInfo, type RunRecordState } from './train/run-record.js';
export { evaluateWithTta, type EvaluateTtaOptions, type TtaEvaluation, type TtaSpec } from './train/evaluate-tta.js';
export {
  AIRBENCH94_RECIPE,
  WhiteningBiasSchedule,
  createFastOptimizer,
  fastCallbacks,
  fastLrSchedule,
  fastOptimizerSettings,
  firstNormalisedImages,
  flipTranslate,
  identityPatchKernel,
  initFastWhitening,
  isNormBias,
  warmupSteps,
  whiteningIndices,
  whiteningLayer,
  type FastOptimizerSettings,
  type SgdGroupSettings,
} from './train/airbench.js';
export {
  MuonLrSchedule,
  airbench94Muon,
  createMuonRecipeOptimizer,
  isConvFilter,
  isWhiteningBias,
  linearDecayFactor,
  muonCallbacks,
} from './train/airbench-muon.js';
export { predictFiles, registerPredict, type ClassProbability, type FilePrediction } from './commands/predict.js';
export { serveModel, registerServe, type ServeModelOptions, type ServedModel } from './commands/serve.js';
export { registerReport } from './commands/report.js';
export { registerExport } from './commands/export.js';
export { loadModelDir } from './commands/common.js';
