export type { ImageDataset, Normalization } from '@cnn/core';
export type { HistoryEntry, RunSummary } from '@cnn/train';

/** One test-time augmentation view (as `@cnn/models`' `TtaView`). */
export type TtaView = NonNullable<import('@cnn/train').RunSummary['tta']>['views'][number];
