import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GradCam } from '../cam/grad-cam.js';
import { GradCamPlusPlus } from '../cam/grad-cam-plus-plus.js';
import { assertSpatialLayer, forwardLayers, lastConvLayerName } from '../cam/layer-graph.js';
import { smoothGrad } from '../cam/saliency.js';
import { ExplainError } from '../errors.js';
import { writeFileAtomic, writeJsonAtomic } from '@cnn/core/node';
import { type ClassificationReport, classificationReport } from '../metrics/classification-report.js';
import { confusionMatrix } from '../metrics/confusion-matrix.js';
import { type PerClassAccuracy, perClassAccuracy, topKAccuracy } from '../metrics/top-k-accuracy.js';
import { activationHistograms, type Histogram } from '@cnn/core';
import { applyColormap, type ColormapName, colormapLut } from '../render/colormap.js';
import { composeGrid, type GridTile, overlayPng, rawToPng } from '../render/images.js';
import type { ImageDataset, Normalization } from '../types.js';
import { datasetBatch, datasetImage, datasetSelection, validateDataset, validateNormalization } from './dataset-input.js';
import { weightHistograms } from './histograms.js';

/** Options of {@link analyzeRun}. */
export interface AnalyzeRunOptions {
  /** Run directory (created if missing); PNGs and `analysis.json` are written there. */
  runDir: string;
  /** Trained single-input `tfjs-layers` classifier taking `[batch, height, width, channels]`. */
  model: tfl.LayersModel;
  /** Evaluation dataset (usually the test split). */
  dataset: ImageDataset;
  /** Normalisation the model was trained with: `x = (pixel / 255 − mean) / std`. */
  normalize: Normalization;
  /** Class names; default `dataset.classNames`. */
  classNames?: readonly string[];
  /** Layer explained by Grad-CAM; default the last convolution layer. */
  camLayer?: string;
  /** Maximum images per gallery (misclassified, top losses). Default 24. */
  maxGallery?: number;
  /** Number of Grad-CAM examples. Default 6. */
  maxCam?: number;
  /** Images per prediction batch. Default 256. */
  batchSize?: number;
  /** Colormap of the heat maps. Default `'turbo'`. */
  colormap?: ColormapName;
  /** Noisy samples of SmoothGrad in the Grad-CAM panel. Default 16. */
  smoothGradSamples?: number;
}

/** One sample of an error gallery. */
export interface GalleryEntry {
  /** Index in the dataset. */
  index: number;
  trueLabel: number;
  predLabel: number;
  /** Softmax probability of the predicted class, in `[0, 1]`. */
  confidence: number;
  /** Cross-entropy `−ln p(true class)`. */
  loss: number;
}

/** Everything {@link analyzeRun} computes; written as `analysis.json`. */
export interface Analysis {
  /** ISO date of the analysis. */
  createdAt: string;
  numSamples: number;
  classNames: string[];
  accuracy: number;
  /** Mean cross-entropy over the dataset. */
  meanLoss: number;
  topK: { k: number; accuracy: number }[];
  /** `[numClasses, numClasses]` counts, rows true, columns predicted. */
  confusionMatrix: number[][];
  report: ClassificationReport;
  perClassAccuracy: PerClassAccuracy[];
  /** Misclassified samples, most confident first. */
  misclassified: GalleryEntry[];
  /** Highest-loss samples, highest first. */
  topLosses: GalleryEntry[];
  camLayer: string;
  camExamples: GalleryEntry[];
  weightHistograms: Histogram[];
  activationHistograms: Histogram[];
  /** Names of the PNG files written in the run directory (`null` when not written). */
  images: { samples: string; misclassified: string | null; topLosses: string; gradCam: string };
}

const TILE = 96;

/**
 * Evaluates a trained model on a dataset and writes the analysis of a run into `runDir`: predictions (batched,
 * inside `tf.tidy`), confusion matrix, classification report, top-k accuracy, per-class accuracy, misclassified
 * and top-loss galleries, Grad-CAM / Grad-CAM++ / SmoothGrad examples, weight and activation histograms and a
 * sample grid. Files: `analysis.json`, `samples.png`, `misclassified.png` (when there are errors),
 * `top-losses.png`, `gradcam.png`, each written atomically. Render the HTML afterwards with `writeReport(runDir)`.
 * Every tensor is read with `await t.data()`, so it runs on backends without synchronous reads (webgpu in Node).
 *
 * @throws ExplainError on inconsistent datasets (sizes, labels ≥ numClasses), a model input shape that does not
 *   match the images, an empty dataset, bad normalisation or an unknown / non-4-D `camLayer`.
 */
export async function analyzeRun(options: AnalyzeRunOptions): Promise<Analysis> {
  const { runDir, model, dataset, normalize } = options;
  validateDataset('analyzeRun', dataset);
  validateNormalization('analyzeRun', normalize, dataset.channels);
  const classNames = [...(options.classNames ?? dataset.classNames)];
  if (classNames.length < dataset.classNames.length) {
    throw new ExplainError(`analyzeRun: classNames has ${classNames.length} entries, the dataset has ${dataset.classNames.length} classes`);
  }
  if (dataset.length === 0) throw new ExplainError('analyzeRun: dataset is empty');
  const inputShape = model.inputs[0]?.shape.slice(1);
  const expected = [dataset.height, dataset.width, dataset.channels];
  if (!inputShape || inputShape.some((d, i) => d !== null && d !== expected[i])) {
    throw new ExplainError(`analyzeRun: model input shape ${JSON.stringify(inputShape)} does not match dataset images ${JSON.stringify(expected)}`);
  }
  const camLayer = options.camLayer ?? lastConvLayerName(model);
  assertSpatialLayer('analyzeRun', model, camLayer);
  const maxGallery = options.maxGallery ?? 24;
  const maxCam = options.maxCam ?? 6;
  const batchSize = options.batchSize ?? 256;
  await mkdir(runDir, { recursive: true });

  // Predictions, batched; softmax of the logits so a model with or without a softmax head gives probabilities.
  const n = dataset.length;
  const numClasses = classNames.length;
  const probs = new Float32Array(n * numClasses);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const p = tf.tidy(() => tf.softmax(forwardLayers(model, datasetBatch(dataset, start, end, normalize)).output as tf.Tensor2D));
    if (p.shape[1] !== numClasses) {
      p.dispose();
      throw new ExplainError(`analyzeRun: model outputs ${p.shape[1]} classes, classNames has ${numClasses}`);
    }
    try {
      probs.set((await p.data()) as Float32Array, start * numClasses);
    } finally {
      p.dispose();
    }
  }
  const yTrue = dataset.labels;
  const yPred = new Uint8Array(n);
  const entries: GalleryEntry[] = [];
  let lossSum = 0;
  for (let i = 0; i < n; i++) {
    const row = probs.subarray(i * numClasses, (i + 1) * numClasses);
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (row[c] > row[best]) best = c;
    yPred[i] = best;
    const loss = -Math.log(Math.max(row[yTrue[i]], 1e-12));
    lossSum += loss;
    entries.push({ index: i, trueLabel: yTrue[i], predLabel: best, confidence: row[best], loss });
  }
  const misclassified = entries.filter((e) => e.trueLabel !== e.predLabel).sort((a, b) => b.confidence - a.confidence);
  const topLosses = [...entries].sort((a, b) => b.loss - a.loss).slice(0, maxGallery);
  // Confident correct predictions, interleaved across classes so the Grad-CAM panel shows several classes.
  const correctByClass = classNames.map((_, c) => entries.filter((e) => e.trueLabel === c && e.predLabel === c).sort((a, b) => b.confidence - a.confidence));
  const correct: GalleryEntry[] = [];
  for (let rank = 0; correct.length < maxCam && correctByClass.some((list) => list.length > rank); rank++) {
    for (const list of correctByClass) if (list.length > rank) correct.push(list[rank]);
  }
  // Grad-CAM examples: up to half mistakes (most confident first), the rest confident correct predictions.
  const wrongFirst = misclassified.slice(0, Math.floor(maxCam / 2));
  const camExamples = [...wrongFirst, ...correct, ...misclassified.slice(wrongFirst.length)].slice(0, maxCam);

  const caption = (e: GalleryEntry, withLoss: boolean): GridTile['caption'] => [
    `true: ${classNames[e.trueLabel]}`,
    `pred: ${classNames[e.predLabel]} ${(e.confidence * 100).toFixed(0)}%`,
    ...(withLoss ? [`loss ${e.loss.toFixed(2)}`] : []),
  ];
  const galleryTiles = async (list: GalleryEntry[], withLoss: boolean): Promise<GridTile[]> =>
    Promise.all(
      list.map(async (e) => ({
        image: await rawToPng(datasetImage(dataset, e.index), TILE),
        caption: caption(e, withLoss),
        captionColor: e.trueLabel === e.predLabel ? '#1a7f37' : '#c62828',
      })),
    );
  const images: Analysis['images'] = { samples: 'samples.png', misclassified: null, topLosses: 'top-losses.png', gradCam: 'gradcam.png' };
  if (misclassified.length > 0) {
    await writeFileAtomic(join(runDir, 'misclassified.png'), await composeGrid(await galleryTiles(misclassified.slice(0, maxGallery), false)));
    images.misclassified = 'misclassified.png';
  }
  await writeFileAtomic(join(runDir, 'top-losses.png'), await composeGrid(await galleryTiles(topLosses, true)));

  // Sample grid: a few images of every class, in class order.
  const perClass = Math.max(1, Math.min(8, Math.floor(40 / numClasses)));
  const sampleTiles: GridTile[] = [];
  for (let c = 0; c < numClasses; c++) {
    let taken = 0;
    for (let i = 0; i < n && taken < perClass; i++) {
      if (yTrue[i] !== c) continue;
      sampleTiles.push({ image: await rawToPng(datasetImage(dataset, i), TILE), caption: [classNames[c]] });
      taken++;
    }
  }
  await writeFileAtomic(join(runDir, 'samples.png'), await composeGrid(sampleTiles, { columns: Math.min(8, Math.max(perClass, 4)) }));

  // Grad-CAM panel: input | Grad-CAM | Grad-CAM++ | SmoothGrad, explaining the predicted class.
  const lut = await colormapLut(options.colormap ?? 'turbo');
  const camIndices = camExamples.map((e) => e.index);
  const x = datasetSelection(dataset, camIndices, normalize);
  const targets = camExamples.map((e) => e.predLabel);
  const maps = [
    new GradCam(model, camLayer).compute(x, { targets }),
    new GradCamPlusPlus(model, camLayer).compute(x, { targets }),
    smoothGrad(model, x, { targets, samples: options.smoothGradSamples ?? 16 }),
  ];
  const camTiles: GridTile[] = [];
  for (let r = 0; r < camExamples.length; r++) {
    const image = datasetImage(dataset, camExamples[r].index);
    camTiles.push({
      image: await rawToPng(image, TILE),
      caption: caption(camExamples[r], false),
      captionColor: camExamples[r].trueLabel === camExamples[r].predLabel ? '#1a7f37' : '#c62828',
    });
    for (const map of maps) {
      const one = tf.tidy(() => tf.squeeze(tf.slice(map, [r, 0, 0], [1, -1, -1]), [0]) as tf.Tensor2D);
      let pixels: Uint8Array;
      try {
        pixels = await applyColormap(one, lut);
      } finally {
        one.dispose();
      }
      const heat = { pixels, height: dataset.height, width: dataset.width, channels: 3 as const };
      camTiles.push({ image: await overlayPng(image, heat, TILE * 2, 0.5) });
    }
  }
  tf.dispose([x, ...maps]);
  await writeFileAtomic(
    join(runDir, 'gradcam.png'),
    await composeGrid(camTiles, { columns: 4, tileSize: 128, columnHeaders: ['input', `Grad-CAM (${camLayer})`, 'Grad-CAM++', 'SmoothGrad'] }),
  );

  const histogramBatch = datasetBatch(dataset, 0, Math.min(n, 64), normalize);
  let activations: Histogram[];
  try {
    activations = await activationHistograms(model, histogramBatch);
  } finally {
    histogramBatch.dispose();
  }
  const kernels = await weightHistograms(model);

  const ks = [1, 3, 5].filter((k) => k < numClasses || k === 1);
  const analysis: Analysis = {
    createdAt: new Date().toISOString(),
    numSamples: n,
    classNames,
    accuracy: entries.filter((e) => e.trueLabel === e.predLabel).length / n,
    meanLoss: lossSum / n,
    topK: ks.map((k) => ({ k, accuracy: topKAccuracy(probs, yTrue, k) })),
    confusionMatrix: confusionMatrix(yTrue, yPred, numClasses),
    report: classificationReport(yTrue, yPred, { numClasses, classNames }),
    perClassAccuracy: perClassAccuracy(yTrue, yPred, classNames),
    misclassified: misclassified.slice(0, maxGallery),
    topLosses,
    camLayer,
    camExamples,
    weightHistograms: kernels,
    activationHistograms: activations,
    images,
  };
  await writeJsonAtomic(join(runDir, 'analysis.json'), analysis);
  return analysis;
}
