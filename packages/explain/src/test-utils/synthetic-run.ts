import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { writeFileAtomic, writeJsonAtomic } from '@cnn/core/node';
import { composeGrid, rawToPng } from '../render/images.js';
import type { HistoryEntry, ImageDataset, RunSummary } from '../types.js';

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Tiny 3-class RGB dataset, 12 × 12: a horizontal bar, a vertical bar or a square at a random position, in noisy
 * colours. `flip` labels of the first samples are changed so that some predictions are wrong.
 */
export function syntheticDataset(length: number, seed: number, flip = 0): ImageDataset {
  const h = 12;
  const w = 12;
  const c = 3;
  const random = rng(seed);
  const images = new Uint8Array(length * h * w * c);
  const labels = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const label = i % 3;
    labels[i] = i < flip ? (label + 1) % 3 : label;
    const r = 2 + Math.floor(random() * 7);
    const q = 2 + Math.floor(random() * 7);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const on = label === 0 ? Math.abs(y - r) <= 1 : label === 1 ? Math.abs(x - q) <= 1 : Math.abs(y - r) <= 1 && Math.abs(x - q) <= 1;
        const o = ((i * h + y) * w + x) * c;
        const noise = random() * 40;
        images[o] = on ? 230 - noise : 30 + noise;
        images[o + 1] = on ? 120 + noise : 40 + noise;
        images[o + 2] = on ? 40 + noise : 90 + noise;
      }
    }
  }
  return { images, labels, length, height: h, width: w, channels: c, classNames: ['horizontal', 'vertical', 'square'], name: 'synthetic-shapes' };
}

/** Small conv net for the synthetic data (Sequential, softmax head). */
export function tinyModel(): tfl.Sequential {
  const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const m = tfl.sequential({ name: 'tiny_cnn' });
  m.add(
    tfl.layers.conv2d({ inputShape: [12, 12, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1', kernelInitializer: init(1) }),
  );
  m.add(tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }));
  m.add(tfl.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv2', kernelInitializer: init(2) }));
  m.add(tfl.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'fc', kernelInitializer: init(3) }));
  return m;
}

export const NORMALIZE = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };

/**
 * A synthetic run directory: a briefly trained tiny model, its test set, a fake `history.json`/`summary.json`
 * and an `augment-preview.png`.
 */
export async function makeSyntheticRun(runDir: string): Promise<{ model: tfl.Sequential; test: ImageDataset }> {
  await mkdir(runDir, { recursive: true });
  const train = syntheticDataset(96, 1);
  const test = syntheticDataset(36, 2, 4);
  const model = tinyModel();
  model.compile({ optimizer: tf.train.adam(0.03), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = tf.tidy(() => tf.div(tf.sub(tf.div(tf.tensor4d(train.images, [96, 12, 12, 3], 'float32'), 255), 0.5), 0.25));
  const y = tf.tensor1d(train.labels, 'float32');
  await model.fit(x, y, { epochs: 5, batchSize: 32, shuffle: false, verbose: 0 });
  tf.dispose([x, y]);
  const epochs = 6;
  const history: HistoryEntry[] = Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    loss: 1.1 * Math.exp(-0.5 * i) + 0.05,
    accuracy: 1 - 0.6 * Math.exp(-0.6 * i),
    val_loss: 1.0 * Math.exp(-0.4 * i) + 0.12,
    val_accuracy: 0.97 - 0.55 * Math.exp(-0.5 * i),
    lr: 0.02 * 0.5 * (1 + Math.cos((Math.PI * i) / epochs)),
    seconds: 1.5 + 0.01 * i,
    imgPerSec: 640 + 3 * i,
  }));
  const summary: RunSummary = {
    model: 'tiny_cnn',
    backend: 'cpu',
    params: model.countParams(),
    epochs,
    testAcc: history[epochs - 1].val_accuracy!,
    testLoss: history[epochs - 1].val_loss!,
    trainSeconds: history.reduce((s, h) => s + h.seconds, 0),
    trainImgPerSec: 650,
    evalImgPerSec: 2100,
  };
  await writeJsonAtomic(join(runDir, 'history.json'), history);
  await writeJsonAtomic(join(runDir, 'summary.json'), summary);
  const size = 12 * 12 * 3;
  const tiles = await Promise.all(
    [0, 1, 2, 3, 4, 5].map(async (i) => ({
      image: await rawToPng({ pixels: train.images.subarray(i * size, (i + 1) * size), height: 12, width: 12, channels: 3 }, 64),
      caption: [`augmented #${i}`],
    })),
  );
  await writeFileAtomic(join(runDir, 'augment-preview.png'), await composeGrid(tiles, { columns: 6, tileSize: 64 }));
  return { model, test };
}
