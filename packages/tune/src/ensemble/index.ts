// Ensembles: members trained here or as jobs on a queue (the top layer: it uses trial/ and queue/).
export { trainEnsemble } from './train.js';
export {
  trainMember,
  type EnsembleMemberSpec,
  type MemberFitOptions,
  type TrainEnsembleOptions,
  type TrainEnsembleQueueOptions,
  type TrainEnsembleResult,
  type TrainedMember,
} from './member.js';
export { serveEnsembleMember, memberJobId, type MemberResult, type MemberRunMessage, type ServeEnsembleMemberOptions } from './queue.js';
export { encodeModel, decodeModel, type EncodedModel } from './codec.js';
