/**
 * `@cnn/data`: the browser-safe part of the data package — a seeded DataLoader producing normalised NHWC
 * float32 batches from an in-memory uint8 dataset, dataset subsets, seeded stratified splits (`randomSplit`) and statistics, the seeded PRNG (from
 * `@cnn/core`), and the class names / normalisation constants of MNIST, Fashion-MNIST and CIFAR-10. The file
 * readers and downloads are in `@cnn/data/node`.
 *
 * @packageDocumentation
 */
export { createRng, deriveSeed, shuffleInPlace, type Rng, type RngState, type Batch } from '@cnn/core';
export { datasetSubset, validateImageDataset, type ImageDataset } from './image-dataset.js';
export { randomSplit, type RandomSplitOptions } from './split.js';
export { DataError } from './errors.js';
export { DataLoader, type DataLoaderOptions, type LoaderBatch } from './data-loader.js';
export { channelMeanStd, type ChannelStats } from './stats.js';
export {
  CIFAR10_CLASSES,
  CIFAR10_MEAN,
  CIFAR10_STD,
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  MNIST_CLASSES,
  MNIST_MEAN,
  MNIST_STD,
} from './datasets.js';
