import { readFile, stat } from 'node:fs/promises';
import { BACKEND_CHOICES } from '@cnn/backend-onednn';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Command } from 'commander';
import { checkNormalization, getModelMetadata } from '@cnn/core';
import { decodeImageInput } from './deploy.js';
import { UsageError } from '../errors.js';
import type { RegisterCommand } from '../program.js';
import { loadModelDir, outputsLogits, parseBackend, parseIntOption, useBackend, userPath } from './common.js';

/** One class of a {@link FilePrediction}. */
export interface ClassProbability {
  /** The class name saved with the model (`'0'`, `'1'`, … when the model carries none). */
  className: string;
  /** Softmax probability in `[0, 1]`. */
  probability: number;
}

/** The answer of {@link predictFiles} (and of `cnn predict --json`) for one image. */
export interface FilePrediction {
  /** The path as given. */
  file: string;
  /** The `topK` most probable classes, most probable first. */
  top: ClassProbability[];
}

/** Images per `model.predict` call. */
const CHUNK = 64;

/**
 * Classifies image files with a loaded model: decodes each file with sharp (PNG, JPEG, WebP, GIF; alpha dropped,
 * grey or sRGB as the model's channels), resizes it to the model input (`fit: 'fill'`, bilinear), normalises it
 * with the normalisation saved with the model, runs the model on NHWC float32 batches `[n, height, width, channels]`
 * and returns the top-k classes by name (softmax applied unless the model already ends in one).
 *
 * @param model - A model with a fully defined input `[batch, height, width, 1 | 3]` and `@cnn/core` metadata
 *   (`normalization`, `classNames`), as `cnn train` saves it.
 * @param files - Image paths, resolved against `process.cwd()`; reported as given.
 * @param topK - Classes per image (at most the number of classes). Default `3`.
 * @throws UsageError naming the file when it does not exist or is not a decodable image, or when the model has no
 *   normalisation metadata or no fully defined input shape.
 */
export async function predictFiles(model: tfl.LayersModel, files: readonly string[], topK = 3): Promise<FilePrediction[]> {
  const [, height, width, channels] = model.inputs[0]!.shape;
  if (typeof height !== 'number' || typeof width !== 'number' || (channels !== 1 && channels !== 3)) {
    throw new UsageError(`the model input ${JSON.stringify(model.inputs[0]!.shape)} is not an image input [batch, height, width, 1 | 3]`);
  }
  const metadata = getModelMetadata(model);
  if (!metadata) {
    throw new UsageError(
      'the model carries no normalisation (model.json userDefinedMetadata.cnn.normalization); save it with `cnn train` or saveModel(model, dir, {metadata})',
    );
  }
  const norm = checkNormalization('cnn predict', metadata.normalization, channels);
  const logits = outputsLogits(model);
  const pixels = height * width * channels;
  const results: FilePrediction[] = [];
  for (let start = 0; start < files.length; start += CHUNK) {
    const chunk = files.slice(start, start + CHUNK);
    const batch = new Float32Array(chunk.length * pixels);
    for (const [i, file] of chunk.entries()) {
      const abs = userPath(file);
      const info = await stat(abs).catch(() => undefined);
      if (!info?.isFile()) throw new UsageError(`IMAGE ${abs} ${info ? 'is not a file' : 'does not exist'}`);
      let image: Float32Array;
      try {
        image = await decodeImageInput(await readFile(abs), [height, width, channels], norm);
      } catch (err) {
        throw new UsageError(`IMAGE ${abs} is not a decodable image (PNG, JPEG, WebP or GIF): ${(err as Error).message}`, { cause: err });
      }
      batch.set(image, i * pixels);
    }
    const probs = tf.tidy(() => {
      const out = model.predict(tf.tensor4d(batch, [chunk.length, height, width, channels])) as tf.Tensor2D;
      return logits ? tf.softmax(out) : out;
    });
    const values = (await probs.array()) as number[][];
    probs.dispose();
    const names = metadata.classNames;
    for (const [i, row] of values.entries()) {
      const order = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]!);
      const top = order.slice(0, topK).map((c) => ({ className: names?.[c] ?? String(c), probability: row[c]! }));
      results.push({ file: chunk[i]!, top });
    }
  }
  return results;
}

/** `cnn predict MODEL_DIR IMAGE...`: top-k classes of each image, by name. */
export const registerPredict: RegisterCommand = (program: Command) => {
  program
    .command('predict')
    .description('classify images with a trained model folder (RUN/model): the top-k classes of each image, by name')
    .argument('<MODEL_DIR>', 'model folder holding model.json (e.g. runs/…/model)')
    .argument('<IMAGE...>', 'image files (PNG, JPEG, WebP, GIF), resized to the model input')
    .option('-k, --top-k <n>', 'classes per image', '3')
    .option('--json', 'print a JSON array of {file, top: [{className, probability}]}')
    .option('--backend <name>', `tfjs backend: ${BACKEND_CHOICES.join(', ')}`, 'auto')
    .addHelpText('after', '\nExample:\n  cnn predict runs/my-run/model photo1.jpg photo2.png --top-k 2')
    .action(async (modelDir: string, images: string[], opts: { topK: string; json?: boolean; backend: string }) => {
      const topK = parseIntOption('--top-k', opts.topK, 1);
      const backend = parseBackend(opts.backend);
      await useBackend(backend);
      const model = await loadModelDir(modelDir);
      const results = await predictFiles(model, images, topK);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        return;
      }
      for (const r of results) {
        process.stdout.write(`${r.file}\n${r.top.map((t, i) => `  ${i + 1}. ${t.className}  ${(t.probability * 100).toFixed(1)}%`).join('\n')}\n`);
      }
    });
};
