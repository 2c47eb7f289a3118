/** One epoch of {@link fit}'s history. Accuracies are 0–1 fractions. */
export interface HistoryEntry {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch. */
  trainLoss: number;
  /** Training accuracy (0–1). */
  trainAcc: number;
  /** Test loss after the epoch. */
  testLoss: number;
  /** Test accuracy after the epoch (0–1). */
  testAcc: number;
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

/**
 * What a training run's `summary.json` holds (written by the reference apps, read by `@cnn/explain`'s
 * report). Accuracies are 0–1 fractions.
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
