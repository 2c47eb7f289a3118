/**
 * `@cnn/augment/node`: the augmentation preview grid as PNG (sharp).
 *
 * @packageDocumentation
 */
export { augmentationPreview, type PreviewOptions } from './preview.js';
