/**
 * `@cnn/augment`: seeded batch-level image augmentation on `[batch, height, width, channels]` float32
 * tensors, written as tfjs-core ops (any backend). Each transform draws per-sample parameters once per batch
 * (`makeParams(rng, shape)`) and applies them (`apply(x, params)`); pure kernels live in `kernels/`. Browser-safe;
 * the PNG preview grid (sharp) is in `@cnn/augment/node`.
 *
 * @packageDocumentation
 */
export { Compose, checkImages, type BatchContext, type BatchShape, type ForwardOptions, type ResizingTransform, type Transform } from './transform.js';
export {
  AlternatingFlip,
  RandomAffine,
  RandomCrop,
  RandomHorizontalFlip,
  RandomRotation,
  RandomVerticalFlip,
  type AffineParams,
  type AlternatingFlipOptions,
  type FlipParams,
  type RandomAffineOptions,
  type RandomCropOptions,
  type RandomCropParams,
  type WarpOptions,
} from './geometry.js';
export { ColorJitter, type ColorJitterOptions, type ColorJitterParams } from './color-jitter.js';
export { Cutout, RandomErasing, eraseBoxes, type EraseParams, type RandomErasingOptions } from './erasing.js';
export { Normalize } from './normalize.js';
export { CutMix, MixUp, sampleBeta, sampleGamma, type MixParams, type MixedBatch } from './mix.js';
export { AugmentedLoader, type AugmentedLoaderOptions } from './augmented-loader.js';
export { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, blend, rgbToGrayscale } from './kernels/color.js';
export { affineWarp, flipWhere, inverseAffineMatrix, padCrop, type PaddingMode } from './kernels/geometry.js';
export { AugmentError } from './errors.js';
