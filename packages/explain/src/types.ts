/**
 * An in-memory image classification dataset, the structural shape `@cnn/data` produces.
 * `images` holds `length * height * width * channels` bytes in NHWC order (0–255), `labels` one class index
 * per image.
 */
export interface ImageDataset {
  /** `[length, height, width, channels]` pixels, uint8, NHWC. */
  readonly images: Uint8Array;
  /** `[length]` class indices, each `< classNames.length`. */
  readonly labels: Uint8Array;
  readonly length: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly classNames: readonly string[];
}

/** Per-channel normalisation applied after scaling pixels to `[0, 1]`: `x = (pixel / 255 - mean) / std`. */
export interface Normalization {
  /** One value per channel (or a single value for all channels). */
  readonly mean: readonly number[];
  /** One value per channel (or a single value for all channels); every entry > 0. */
  readonly std: readonly number[];
}

export type { HistoryEntry, RunSummary } from '@cnn/train';

/** One test-time augmentation view (as `@cnn/models`' `TtaView`). */
export type TtaView = NonNullable<import('@cnn/train').RunSummary['tta']>['views'][number];
