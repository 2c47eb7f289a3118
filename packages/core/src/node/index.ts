/**
 * `@cnn/core/node`: the Node-only part of the core — atomic file writes and PNG charts.
 *
 * @packageDocumentation
 */
export { tempPathFor, writeFileAtomic, writeJsonAtomic } from './atomic-write.js';
export { chartFolder, renderChartPng, writeChart } from './charts.js';
