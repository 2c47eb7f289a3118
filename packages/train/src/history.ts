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
}

/** The per-epoch records returned by {@link fit}. */
export type History = HistoryEntry[];
