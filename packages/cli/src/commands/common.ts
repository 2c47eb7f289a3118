/**
 * What the model-folder commands (`predict`, `serve`, `export`) share: option parsing that throws
 * {@link UsageError}, the backend switch and the checked loading of a model folder.
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { BACKEND_CHOICES, type BackendChoice, selectBackend } from '@cnn/backend-onednn';
import { loadModelFiles } from './deploy.js';
import '@cnn/models'; // registers the custom layers (BatchNorm, SeededDropout, …) for loading
import { UsageError } from '../errors.js';

/** A user path resolved against the directory the command runs in (`process.cwd()`). */
export function userPath(p: string): string {
  return resolve(process.cwd(), p);
}

/**
 * Parses an integer option value.
 * @throws UsageError naming `flag` when `value` is not an integer in `[min, max]`.
 */
export function parseIntOption(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got "${value}"`);
  }
  return n;
}

/**
 * Checks a `--backend` value.
 * @throws UsageError naming `--backend` and the accepted names.
 */
export function parseBackend(value: string): BackendChoice {
  if (!(BACKEND_CHOICES as readonly string[]).includes(value)) {
    throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got "${value}"`);
  }
  return value as BackendChoice;
}

/**
 * Activates the tfjs backend `choice` (`auto`: onednn where its addon loads, else cpu, with a warning).
 * @returns The active backend name and why it was chosen.
 */
export async function useBackend(choice: BackendChoice): Promise<{ backend: string; reason: string }> {
  return selectBackend(choice, { fallback: true, log: (m) => process.stderr.write(`${m}\n`) });
}

/**
 * Loads the model folder `dir` (a `model.json` plus weight shards, as `cnn train` writes to `RUN/model`), after
 * checking that it is a folder holding `model.json`.
 *
 * @param dir - Resolved against `process.cwd()`.
 * @throws UsageError naming the path when it does not exist, is not a folder or holds no `model.json`;
 *   `ModelFileError` (exit 1) when the files are there but malformed.
 */
export async function loadModelDir(dir: string): Promise<tfl.LayersModel> {
  const abs = userPath(dir);
  const info = await stat(abs).catch(() => undefined);
  if (!info) throw new UsageError(`MODEL_DIR ${abs} does not exist`);
  if (!info.isDirectory()) throw new UsageError(`MODEL_DIR ${abs} is not a folder (expected a model folder holding model.json, e.g. RUN/model)`);
  const json = await stat(join(abs, 'model.json')).catch(() => undefined);
  if (!json?.isFile()) {
    throw new UsageError(`MODEL_DIR ${abs} holds no model.json (expected a model folder written by \`cnn train\`, e.g. RUN/model)`);
  }
  return loadModelFiles(abs);
}

/**
 * Whether `model` ends in logits (true) or already in probabilities (false: its last layer is a softmax
 * activation or a `Softmax` layer), so the commands apply softmax exactly once.
 */
export function outputsLogits(model: tfl.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  if (!last) return true;
  if (last.getClassName() === 'Softmax') return false;
  const activation = (last.getConfig() as { activation?: unknown }).activation;
  return activation !== 'softmax';
}
