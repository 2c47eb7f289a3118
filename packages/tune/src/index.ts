/**
 * `@cnn/tune`: transfer learning and tuning on top of `@cnn/models` and `@cnn/train` — parameter groups
 * with discriminative learning rates, staged fine-tuning, ensemble training, loading pretrained TF.js
 * models from paths/URLs, and a resumable hyperparameter search with trials in worker processes or, for
 * several machines, as BullMQ jobs in Redis taken by `cnn worker`s (the `cnn search` and `cnn worker` commands of `@cnn/cli`).
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
} from './param-groups.js';
export {
  stagedFineTune,
  CHAPTER_PHASES,
  type FineTunePhase,
  type PhaseTrainable,
  type StagedFineTuneOptions,
  type StagedFineTuneResult,
  type PhaseResult,
} from './staged.js';
export { loadLayersModelFrom } from './load.js';
export { TuneError, type TuneErrorCode } from './errors.js';
export * from './trial/index.js';
export * from './queue/index.js';
export * from './search/index.js';
export * from './ensemble/index.js';
