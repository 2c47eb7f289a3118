/**
 * `@cnn/data`: IDX files, MNIST / Fashion-MNIST loaders, checksummed downloads, a seeded PRNG, dataset
 * statistics and a seeded DataLoader producing normalised NHWC float32 batches.
 *
 * @packageDocumentation
 */
export { encodeIdx, isGzip, parseIdx, readIdx, writeIdx, type IdxArray, type WriteIdxOptions } from './idx.js';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  MNIST_CLASSES,
  MNIST_FILES,
  MNIST_MEAN,
  MNIST_STD,
  defaultDataDir,
  loadMnist,
  mnistDataDir,
  type LoadMnistOptions,
  type MnistSplit,
  type MnistSplits,
  type MnistVariant,
} from './mnist.js';
export {
  FASHION_MNIST_MIRRORS,
  FASHION_MNIST_RESOURCES,
  MNIST_MIRRORS,
  MNIST_RESOURCES,
  downloadFile,
  hashFile,
  type DatasetResource,
  type DownloadOptions,
  type DownloadResult,
} from './download.js';
export { createRng, deriveSeed, shuffleInPlace, type Rng, type RngState } from './rng.js';
export { datasetSubset, validateImageDataset, type ImageDataset } from './image-dataset.js';
export { DataLoader, type Batch, type DataLoaderOptions } from './data-loader.js';
export { channelMeanStd, type ChannelStats } from './stats.js';
export { writeFileAtomic, writeJsonAtomic } from './atomic-write.js';
