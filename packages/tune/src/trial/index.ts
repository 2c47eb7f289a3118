// The trial layer: what one trial is (its space, id, record), how a script serves it and how a process runs it.
// Depends on nothing else in @cnn/tune; queue/, search/ and ensemble/ build on it.
export { DEFAULT_SPACE, gridConfigs, randomConfigs, normalizeSpace, type ParamSpec, type ParamValue, type SearchSpace, type TrialConfig } from './space.js';
export { trialId, readResults, sortTrials, resultsCsv, formatResultsTable, writeResults, type TrialRecord, type SearchResults } from './results.js';
export { serveTrial, type TrialFn, type TrialContext, type RunMessage, type WorkerMessage } from './serve.js';
export { startTrialProcess, type TrialProcess, type TrialProcessOptions, type TrialOutcome } from './process.js';
