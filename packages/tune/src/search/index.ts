// The search: plans trials (grid, random, successive halving) and runs them locally or on the queue.
export { runSearch, type SearchOptions, type SearchStrategy, type SearchSummary } from './runner.js';
