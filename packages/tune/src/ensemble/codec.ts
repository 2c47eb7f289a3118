// A trained member as JSON, for the trip from a queue worker back to the submitting process.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@cnn/models'; // registers the custom layers (BatchNorm, SeededDropout) decodeModel may meet
import { modelArtifacts } from '@cnn/train';

/** A layers model as JSON: topology, weight specs and the weights' bytes in base64 (float32 round trip is exact). */
export interface EncodedModel {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  /** The concatenated weight bytes, base64. */
  weightData: string;
}

/**
 * Serialises a layers model (topology + weights) into {@link EncodedModel}, from `@cnn/train`'s
 * `modelArtifacts` (what `saveModel` writes), with the weight bytes as base64 so the model travels as JSON.
 * @throws TrainError (from `modelArtifacts`) when the model produces no weight specs.
 */
export async function encodeModel(model: tfl.LayersModel): Promise<EncodedModel> {
  const saved = await modelArtifacts(model);
  const bytes = new Uint8Array(saved.weightData ? tf.io.CompositeArrayBuffer.join(saved.weightData) : new ArrayBuffer(0));
  return {
    modelTopology: saved.modelTopology as object,
    weightSpecs: saved.weightSpecs ?? [],
    weightData: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  };
}

/**
 * Rebuilds a model from {@link encodeModel}'s output. Custom layers (e.g. `@cnn/models`' `BatchNorm`) must be
 * registered, i.e. their package imported (this module imports `@cnn/models`).
 * @throws TuneError when the topology or weights do not match.
 */
export async function decodeModel(e: EncodedModel): Promise<tfl.LayersModel> {
  const buf = Buffer.from(e.weightData, 'base64');
  const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: e.modelTopology, weightSpecs: e.weightSpecs, weightData }));
}
