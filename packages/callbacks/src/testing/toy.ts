/**
 * Test helpers of `@cnn/callbacks` (not exported from the package entry): the one toy dataset, its loaders and a
 * tiny net, reused by every test here.
 *
 * @packageDocumentation
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { DataLoader, type ImageDataset } from '@cnn/data';
import { dropout } from '@cnn/models';

/**
 * A separable toy dataset of `[n, 6, 6, 1]` uint8 images: class 0 bright left half, class 1 bright right
 * half, plus seeded noise.
 */
export function toyDataset(n: number, seed: number, name = 'toy'): ImageDataset {
  const images = new Uint8Array(n * 36);
  const labels = new Uint8Array(n);
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    labels[i] = label;
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 6; c++) {
        const bright = c < 3 === (label === 0);
        images[i * 36 + r * 6 + c] = Math.floor(((bright ? 0.4 : 0) + 0.6 * rand()) * 255);
      }
    }
  }
  return { images, labels, length: n, height: 6, width: 6, channels: 1, classNames: ['left', 'right'], name };
}

/** Shuffling train loader and fixed validation loader over {@link toyDataset}. */
export function toyLoaders(nTrain = 48, batchSize = 8, seed = 1): { train: DataLoader; validation: DataLoader } {
  return {
    train: new DataLoader(toyDataset(nTrain, seed, 'toy-train'), { batchSize, shuffle: true, seed: 7 }),
    validation: new DataLoader(toyDataset(16, seed + 100, 'toy-validation'), { batchSize: 16 }),
  };
}

/** Dense net on `[b, 6, 6, 1]` with a seeded dropout: flatten → fc1 (8, tanh) → dropout 0.3 → fc2 (2). */
export function toyNet(seed = 1): tfl.Sequential {
  const m = tfl.sequential({ name: 'toy' });
  m.add(tfl.layers.flatten({ inputShape: [6, 6, 1], name: 'flatten' }));
  m.add(tfl.layers.dense({ units: 8, activation: 'tanh', name: 'fc1', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  m.add(dropout({ rate: 0.3, seed: seed + 10, name: 'dropout' }));
  m.add(tfl.layers.dense({ units: 2, name: 'fc2', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}
