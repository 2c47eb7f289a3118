/**
 * `@cnn/callbacks/node`: the callbacks that write files (Node only). Importing it also imports
 * `@cnn/train/node`, so `ModelCheckpoint` and `fit({resume})` take folder paths.
 *
 * @packageDocumentation
 */
import '@cnn/train/node';

export { HistoryLogger, type HistoryLoggerOptions } from './history-logger.js';
export { writeLrFinderPlot } from './lr-finder-plot.js';
