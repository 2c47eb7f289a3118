import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { isHttpUrl, readSource } from '@cnn/models/node';
import { loadModel } from '@cnn/train';
import '@cnn/train/node'; // folder paths for loadModel
import { TuneError } from './errors.js';

/**
 * Loads a TF.js layers-format model (`model.json` + weight files) from a folder, a `model.json` path, or
 * an http(s) URL of a `model.json`. Folders go through `@cnn/train`'s `loadModel` (weight paths must stay
 * inside the folder; byte counts are checked). For URLs every weight path must be relative and resolve
 * under the `model.json`'s directory URL (no `..`, no other host); each file is fetched once.
 * Import `@cnn/models` first so custom layers (BatchNorm, SeededDropout) are registered — this module does.
 *
 * @throws TuneError naming the URL or file when it cannot be fetched (e.g. "… answered 404 Not Found"), the
 *   JSON is malformed, or a weight path leaves the model's folder.
 */
export async function loadLayersModelFrom(source: string): Promise<tfl.LayersModel> {
  if (!isHttpUrl(source)) {
    const dir = /model\.json$/i.test(source) ? source.replace(/[/\\]?model\.json$/i, '') || '.' : source;
    return loadModel(dir);
  }
  const text = new TextDecoder().decode(await readSource(source));
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TuneError(`loadLayersModelFrom: ${source} is not valid JSON: ${(err as Error).message}`, { code: 'ERR_CNN_MODEL_SOURCE', cause: err });
  }
  if (!json?.modelTopology || !Array.isArray(json.weightsManifest))
    throw new TuneError(`loadLayersModelFrom: ${source} must have modelTopology and a weightsManifest array`, { code: 'ERR_CNN_MODEL_SOURCE' });
  const baseUrl = new URL('.', source);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths ?? []) {
      const url = new URL(p, baseUrl);
      if (
        /^[a-z][a-z0-9+.-]*:/i.test(p) ||
        p.startsWith('/') ||
        url.origin !== baseUrl.origin ||
        !url.pathname.startsWith(baseUrl.pathname) ||
        p.split(/[\\/]/).includes('..')
      ) {
        throw new TuneError(`loadLayersModelFrom: ${source}: weight path '${p}' is outside the model folder`, { code: 'ERR_CNN_MODEL_SOURCE' });
      }
      const bytes = await readSource(url.href);
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
    specs.push(...group.weights);
  }
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: tf.io.CompositeArrayBuffer.join(buffers),
      format: json.format,
      generatedBy: json.generatedBy,
      convertedBy: json.convertedBy,
      userDefinedMetadata: json.userDefinedMetadata,
    }),
  );
}
