/**
 * `@cnn/train/node`: the Node-only part of `@cnn/train`. Importing it registers, for the whole process:
 *
 * - a `tf.io` router for folder paths and `file://` URLs (the atomic folder handler), so `saveModel` /
 *   `loadModel` of `@cnn/train` take paths, as tfjs-node registers `file://`;
 * - a checkpoint router for the same strings, so `fit({resume: dir})` and `ModelCheckpoint(dir)` take folders;
 * - the terminal progress bar (`progress: 'bar'` / `'auto'` on a TTY).
 *
 * It also exports the checkpoint-folder functions.
 *
 * @packageDocumentation
 */
import * as tf from '@tensorflow/tfjs-core';
import { registerCheckpointRouter } from '../checkpoint-store.js';
import { registerProgressBar } from '../progress.js';
import { fileCheckpointStore } from './checkpoint-files.js';
import { folderRouter, isFolderTarget } from './model-files.js';
import { cliProgressBar } from './progress-bar.js';

// Once per process, even when the ESM and the CJS build are both loaded (two tf.io routers would make every
// save ambiguous).
const REGISTERED = Symbol.for('@cnn/train/node.registered');
const registry = globalThis as { [REGISTERED]?: boolean };
if (!registry[REGISTERED]) {
  registry[REGISTERED] = true;
  tf.io.registerSaveRouter(folderRouter);
  tf.io.registerLoadRouter(folderRouter);
}
registerCheckpointRouter((target) => (isFolderTarget(target) ? fileCheckpointStore(target) : undefined));
registerProgressBar(cliProgressBar);

export { assertCheckpointDir, fileCheckpointStore, hasCheckpoint, loadCheckpoint, saveCheckpoint, type SavedCheckpoint } from './checkpoint-files.js';
export { folderRouter, isFolderTarget, modelFolderHandler } from './model-files.js';
export { cliProgressBar } from './progress-bar.js';
