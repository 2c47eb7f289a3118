import type { EpochMetrics } from '@cnn/core';
import type { TtaView } from '@cnn/models';

/**
 * One epoch of {@link fit}'s history, with Keras' metric names (`History.history` keys; the same keys as the
 * epoch-end callback logs): @cnn/core's {@link EpochMetrics} (`epoch`, `loss`, `accuracy`, `val_loss`,
 * `val_accuracy`, `test_loss`, `test_accuracy`, `evaluated`) plus the epoch's schedule and timing. Accuracies are
 * 0–1 fractions; `val_*` are measured on `fit`'s `validation` loader after the epoch (present only when one was
 * given), `test_*` on its `test` loader (likewise); both `NaN` on an epoch `fit({evalEvery})` did not evaluate
 * (`evaluated: false`; `history.json` then holds `null`).
 */
export interface HistoryEntry extends EpochMetrics {
  /** Learning rate at the start of the epoch. */
  lr: number;
  /** Training seconds of the epoch (evaluation excluded). */
  seconds: number;
  /** Training throughput (img/s). */
  imgPerSec: number;
  /**
   * Batches trained in this epoch, present only on the partial last epoch of a fractional `fit({epochs})`
   * (e.g. 89 of 98 for airbench's `9.9` epochs).
   */
  batches?: number;
}

/** The per-epoch records returned by {@link fit}. */
export type History = HistoryEntry[];

/** The names history entries had before the Keras vocabulary (`trainLoss` → `loss`, …), for old files. */
const LEGACY_HISTORY_FIELDS: Readonly<Record<string, keyof HistoryEntry>> = {
  trainLoss: 'loss',
  trainAcc: 'accuracy',
  testLoss: 'val_loss',
  testAcc: 'val_accuracy',
};

/**
 * A history entry with today's field names: an entry written before the rename (`trainLoss`, `trainAcc`,
 * `testLoss`, `testAcc`, as in old `history.json` files and checkpoints) is converted; other fields are kept.
 */
export function normalizeHistoryEntry(entry: Record<string, unknown>): HistoryEntry {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) out[LEGACY_HISTORY_FIELDS[k] ?? k] = v;
  return out as unknown as HistoryEntry;
}

/**
 * What a training run's `summary.json` holds (written by the reference apps, read by `@cnn/explain`'s
 * report) — a published format, so its names stay as they are (`testAcc` is the final model's
 * `val_accuracy` on the test set). Accuracies are 0–1 fractions.
 */
export interface RunSummary {
  /** Model name, e.g. `mnistnet`. */
  model: string;
  /** tfjs backend the run trained on, e.g. `onednn`. */
  backend: string;
  /**
   * The WebGPU adapter when `backend` is `webgpu` (`@cnn/backend-onednn`'s `selectBackend` result); `software: true`
   * for an emulated GPU (llvmpipe, lavapipe, SwiftShader), whose throughput says nothing about a GPU.
   */
  adapter?: { vendor: string; architecture: string; device: string; description: string; software: boolean };
  /** Trainable parameter count. */
  params: number;
  /** Epochs in the history (after a resume: including the restored ones). */
  epochs: number;
  /** Final model's test accuracy (0–1). */
  testAcc: number;
  /** Final model's mean test cross-entropy. */
  testLoss: number;
  /** Training time summed over epochs, seconds (evaluation excluded). */
  trainSeconds: number;
  /** Training throughput over the run, images per second. */
  trainImgPerSec: number;
  /** Evaluation throughput of the final model, images per second (with TTA: original images per second). */
  evalImgPerSec: number;
  /** Final model's test accuracy without test-time augmentation (0–1); equals `testAcc` when `tta` is absent. */
  testAccNoTta?: number;
  /** Final model's mean test cross-entropy without test-time augmentation. */
  testLossNoTta?: number;
  /**
   * The test-time augmentation behind `testAcc` / `testLoss`, when the run used one: the views (`@cnn/models`'
   * `TtaView`: `'identity'`, `'flip'`, `{translate: [dy, dx], flip?}`), their weights (summing to 1) and, for
   * airbench's presets, the level (0–2).
   */
  tta?: { level?: number; views: TtaView[]; weights: number[] };
  /**
   * Wall time of the run in seconds, from the first training step (a data-dependent initialisation such as
   * patch whitening counts) to the end of the final evaluation; the data set already decoded.
   */
  totalSeconds?: number;
  /** Name of the training recipe, e.g. `standard` or `fast`. */
  recipe?: string;
  /** The run's random seed. */
  seed?: number;
  /** The run's settings that identify it (recipe, batch size, epochs, …), as the app recorded them. */
  config?: Record<string, string | number | boolean | null>;
}
