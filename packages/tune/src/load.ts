import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { isHttpUrl, readSource } from '@cnn/models/node';
import { CnnError } from '@cnn/core';
import { loadModel, MODEL_FILES_CODE, readModelArtifacts, resolveWeightUrl } from '@cnn/train';
import '@cnn/train/node'; // folder paths for loadModel
import { TuneError } from './errors.js';

/**
 * Loads a TF.js layers-format model (`model.json` + weight files) from a folder, a `model.json` path, or
 * an http(s) URL of a `model.json`. Folders go through `@cnn/train`'s `loadModel` (weight paths must stay
 * inside the folder; byte counts are checked). URLs go through `@cnn/train`'s one `model.json` reader
 * (`readModelArtifacts`, the same checks): every weight path must be relative and resolve under the
 * `model.json`'s directory URL (no `..`, no other host), each group's bytes must match its manifest; each file
 * is fetched once. Import `@cnn/models` first so custom layers (BatchNorm, SeededDropout) are registered — this
 * module does.
 *
 * @throws TuneError (code `ERR_CNN_MODEL_SOURCE`) naming the URL when the JSON is malformed, a weight path leaves
 *   the model's folder or the bytes differ from the manifest; the error of `readSource` naming the URL when it
 *   cannot be fetched (e.g. "… answered 404 Not Found"); for folders, `loadModel`'s TrainError naming the file.
 */
export async function loadLayersModelFrom(source: string): Promise<tfl.LayersModel> {
  if (!isHttpUrl(source)) {
    const dir = /model\.json$/i.test(source) ? source.replace(/[/\\]?model\.json$/i, '') || '.' : source;
    return loadModel(dir);
  }
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await readModelArtifacts(source, { read: (u) => readSource(u), resolve: (p) => resolveWeightUrl(source, p).href });
  } catch (err) {
    if (!CnnError.isInstance(err) || (err as CnnError).code !== MODEL_FILES_CODE) throw err;
    throw new TuneError(`loadLayersModelFrom: ${(err as Error).message}`, { code: 'ERR_CNN_MODEL_SOURCE', cause: err });
  }
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}
