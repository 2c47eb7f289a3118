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

/** One line of `history.json` as written by the training apps (accuracies are fractions in `[0, 1]`). */
export interface HistoryEntry {
  /** 1-based epoch number. */
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  /** Learning rate used during this epoch. */
  lr: number;
  /** Wall time of the epoch in seconds. */
  seconds: number;
  /** Training throughput in images per second. */
  imgPerSec: number;
}

/** `summary.json` as written by the training apps. */
export interface RunSummary {
  model: string;
  backend: string;
  /** Number of trainable parameters. */
  params: number;
  epochs: number;
  /** Final test accuracy, fraction in `[0, 1]`. */
  testAcc: number;
  testLoss: number;
  /** Total training time in seconds. */
  trainSeconds: number;
  /** Training throughput in images per second. */
  trainImgPerSec: number;
  /** Evaluation throughput in images per second. */
  evalImgPerSec: number;
}
