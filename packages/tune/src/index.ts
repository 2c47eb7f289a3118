/**
 * `@cnn/tune`: transfer learning and tuning on top of `@cnn/models` and `@cnn/train` — parameter groups
 * with discriminative learning rates, staged fine-tuning, ensemble training, loading pretrained TF.js
 * models from paths/URLs, and a resumable hyperparameter search with trials in worker processes or, for
 * several machines, as BullMQ jobs in Redis taken by `cnn-tune worker`s.
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
export {
  trainEnsemble,
  trainMember,
  type EnsembleMemberSpec,
  type MemberFitOptions,
  type TrainEnsembleOptions,
  type TrainEnsembleQueueOptions,
  type TrainEnsembleResult,
  type TrainedMember,
} from './ensemble-train';
export {
  serveEnsembleMember,
  encodeModel,
  decodeModel,
  memberJobId,
  type EncodedModel,
  type MemberResult,
  type MemberRunMessage,
  type ServeEnsembleMemberOptions,
} from './ensemble-queue';
export { loadLayersModelFrom } from './load';
export * from './search/index';
export * from './queue/index';
