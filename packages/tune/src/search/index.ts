export { DEFAULT_SPACE, gridConfigs, randomConfigs, normalizeSpace, type ParamSpec, type ParamValue, type SearchSpace, type TrialConfig } from './space';
export { trialId, readResults, sortTrials, resultsCsv, formatResultsTable, writeResults, type TrialRecord, type SearchResults } from './results';
export { serveTrial, type TrialFn, type TrialContext, type RunMessage, type WorkerMessage } from './worker';
export { startTrialProcess, type TrialProcess, type TrialProcessOptions, type TrialOutcome } from './trial-process';
export { runSearch, type SearchOptions, type SearchStrategy, type SearchSummary } from './runner';
export { parseSearchArgs, runSearchCli, queueFromArgs, SEARCH_USAGE } from './cli';
