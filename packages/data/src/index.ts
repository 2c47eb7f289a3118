/**
 * `@cnn/data`: IDX files, MNIST / Fashion-MNIST and CIFAR-10 loaders (official binary and image folders), checksummed downloads, a seeded PRNG, dataset
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
export {
  CIFAR10_BINARY_RESOURCE,
  CIFAR10_CLASSES,
  CIFAR10_IMAGE_BYTES,
  CIFAR10_JPEG_FOLDER,
  CIFAR10_MEAN,
  CIFAR10_META_FILE,
  CIFAR10_RECORD_BYTES,
  CIFAR10_STD,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  cifar10DataDir,
  decodeCifar10Records,
  downloadCifar10Binary,
  encodeCifar10Records,
  ensureCifar10Jpeg,
  findCifar10JpegArchive,
  loadCifar10,
  readCifar10Batch,
  readCifar10Binary,
  type Cifar10Format,
  type Cifar10Records,
  type Cifar10Splits,
  type DownloadCifar10Options,
  type EnsureCifar10JpegOptions,
  type LoadCifar10Options,
  type LoadedCifar10,
} from './cifar10.js';
export {
  IMAGE_EXTENSIONS,
  decodeImage,
  imageFolderCacheDir,
  loadImageFolder,
  scanImageFolder,
  type DecodedImage,
  type ImageFolderDataset,
  type ImageFolderOptions,
  type ImageFolderScan,
} from './image-folder.js';
export { convertImageFolderToCifar10Binary, writeCifar10Binary } from './convert-cifar.js';
