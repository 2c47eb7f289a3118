// The search: plans trials (grid, random, successive halving) and runs them locally or on the queue.
export { runSearch, MIN_POLL_MS, type SearchOptions, type SearchStrategy, type SearchSummary } from './runner.js';
