/**
 * One epoch of {@link fit}'s history, with Keras' metric names (`History.history` keys; the same keys as the
 * epoch-end callback logs). Accuracies are 0–1 fractions; `val_*` are measured on `fit`'s `test` loader after
 * the epoch.
 */
export interface HistoryEntry {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch. */
  loss: number;
  /** Training accuracy (0–1). */
  accuracy: number;
  /** Evaluation loss after the epoch. */
  val_loss: number;
  /** Evaluation accuracy after the epoch (0–1). */
  val_accuracy: number;
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
  /** Evaluation throughput of the final model, images per second. */
  evalImgPerSec: number;
}
