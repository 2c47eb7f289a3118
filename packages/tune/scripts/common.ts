// Shared helpers of the experiment scripts (not part of the package API).
import * as tf from '@tensorflow/tfjs-core';
import { CIFAR10_CLASSES, CIFAR10_MEAN, CIFAR10_STD, DataLoader, type ImageDataset } from '@cnn/data';
import { loadCifar10 } from '@cnn/data/node';
import type { BatchSource } from '@cnn/train';

/** CIFAR-10 class indices of the animal and vehicle classes. */
export const ANIMALS = [2, 3, 4, 5, 6, 7];
export const VEHICLES = [0, 1, 8, 9];

/** Picks `backend` ('auto' → onednn when its addon loads, else cpu). */
export async function useBackend(choice: string): Promise<string> {
  try {
    const m = (await import('@cnn/backend-onednn')) as {
      selectBackend: (c: string, o: { fallback: boolean; log: (s: string) => void }) => Promise<{ backend: string; reason: string }>;
    };
    const r = await m.selectBackend(choice, { fallback: true, log: () => undefined });
    return `${r.backend} (${r.reason})`;
  } catch {
    await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    return 'cpu';
  }
}

/**
 * The samples of `classes` (relabelled 0..k-1 in the given order), at most `perClass` of each (first ones).
 * Copies the pixels into a new dataset.
 */
export function selectClasses(ds: ImageDataset, classes: number[], perClass = Infinity): ImageDataset {
  const counts = new Map<number, number>();
  const keep: number[] = [];
  for (let i = 0; i < ds.length; i++) {
    const c = ds.labels[i];
    if (!classes.includes(c)) continue;
    const n = counts.get(c) ?? 0;
    if (n >= perClass) continue;
    counts.set(c, n + 1);
    keep.push(i);
  }
  const px = ds.height * ds.width * ds.channels;
  const images = new Uint8Array(keep.length * px);
  const labels = new Uint8Array(keep.length);
  keep.forEach((src, j) => {
    images.set(ds.images.subarray(src * px, (src + 1) * px), j * px);
    labels[j] = classes.indexOf(ds.labels[src]);
  });
  return { ...ds, images, labels, length: keep.length, classNames: classes.map((c) => CIFAR10_CLASSES[c]), name: `${ds.name}[${classes.join(',')}]` };
}

/** A CIFAR-normalised loader. */
export function loader(ds: ImageDataset, batchSize: number, shuffle: boolean, seed: number): BatchSource {
  return new DataLoader(ds, { batchSize, shuffle, seed, mean: CIFAR10_MEAN, std: CIFAR10_STD }) as unknown as BatchSource;
}

/** CIFAR-10 (offline archive / data dir), optionally only the first `limitPerClass` images per class. */
export async function cifar(limitPerClass?: number): Promise<{ train: ImageDataset; test: ImageDataset }> {
  const d = await loadCifar10(limitPerClass ? { limitPerClass } : {});
  return { train: d.train, test: d.test };
}

/** `| a | b |` markdown table. */
export function markdownTable(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
