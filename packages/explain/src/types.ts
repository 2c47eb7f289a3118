export type { ImageDataset, Normalization } from '@cnn/core';
export type { HistoryEntry, RunSummary } from '@cnn/train';
