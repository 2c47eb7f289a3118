/**
 * `@cnn/tune`: transfer learning and tuning on top of `@cnn/models` and `@cnn/train` — parameter groups
 * with discriminative learning rates, staged fine-tuning, ensemble training, loading pretrained TF.js
 * models from paths/URLs, and a resumable hyperparameter search with trials in worker processes.
 *
 * @packageDocumentation
 */
export {
  ParamGroupOptimizer,
  stageParamGroups,
  type ParamGroup,
  type ParamMatcher,
  type ParamGroupOptimizerOptions,
  type StageParamGroupsOptions,
} from './param-groups';
export {
  stagedFineTune,
  CHAPTER_PHASES,
  type FineTunePhase,
  type PhaseTrainable,
  type StagedFineTuneOptions,
  type StagedFineTuneResult,
  type PhaseResult,
} from './staged';
export { trainEnsemble, type EnsembleMemberSpec, type TrainEnsembleOptions, type TrainEnsembleResult } from './ensemble-train';
export { loadLayersModelFrom } from './load';
export * from './search/index';
