import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cnn/backend-onednn';
import { DataLoader, loadMnist, MNIST_MEAN, MNIST_STD, writeJsonAtomic } from '@cnn/data';
import { analyzeRun, writeReport } from '@cnn/explain';
import { formatSummary, getModel, summary } from '@cnn/models';
import { Adam, SGD, evaluate, fit, saveModel, type HistoryEntry } from '@cnn/train';
import type { MnistFlags } from './cli.js';

/** What `DIR/summary.json` holds after a run (accuracies are fractions 0–1). */
export interface RunSummary {
  model: string;
  backend: string;
  /** Trainable parameter count. */
  params: number;
  epochs: number;
  testAcc: number;
  testLoss: number;
  /** Training time summed over epochs, seconds (evaluation excluded). */
  trainSeconds: number;
  /** Training throughput over the whole run, images per second. */
  trainImgPerSec: number;
  /** Evaluation throughput of the final model on the test set (batch 1,000), images per second. */
  evalImgPerSec: number;
}

/**
 * Runs the chapter's MNIST project: selects the backend (falling back to `cpu` with a loud warning),
 * loads MNIST, builds the model, trains `flags.epochs` epochs, evaluates on the 10,000 test images after
 * each epoch, and writes `out/model/` (TF.js layers format), `out/history.json`, `out/summary.json`, the
 * error analysis of the test set (`analysis.json`, confusion matrix, galleries, Grad-CAM PNGs) and the
 * self-contained `out/report.html`.
 * @returns the run summary (also written to `out/summary.json`).
 */
export async function runMnist(
  flags: MnistFlags,
  log: (line: string) => void = console.log,
): Promise<{ summary: RunSummary; history: HistoryEntry[] }> {
  const chosen = await selectBackend(flags.backend, { fallback: true, log });
  log(`backend: ${chosen.backend} (${chosen.reason})`);

  const { train, test } = await loadMnist({ root: flags.dataDir });
  const trainLoader = new DataLoader(train, {
    batchSize: flags.batchSize,
    shuffle: true,
    seed: flags.seed,
    mean: MNIST_MEAN,
    std: MNIST_STD,
    limit: flags.limit,
  });
  const testLoader = new DataLoader(test, { batchSize: 1000, mean: MNIST_MEAN, std: MNIST_STD });
  log(`data: ${trainLoader.numSamples} training images, ${testLoader.numSamples} test images`);

  const model = getModel(flags.model, { seed: flags.seed });
  const s = summary(model);
  log(formatSummary(s));

  const optimizer =
    flags.optimizer === 'adam' ? new Adam({ lr: flags.lr }) : new SGD({ lr: flags.lr, momentum: 0.9 });
  const history = await fit(model, {
    train: trainLoader,
    test: testLoader,
    epochs: flags.epochs,
    optimizer,
    log,
    logEvery: flags.logEvery,
  });

  const final = await evaluate(model, testLoader);
  const trainSeconds = history.reduce((sum, h) => sum + h.seconds, 0);
  const trainImages = trainLoader.numSamples * history.length;
  const result: RunSummary = {
    model: flags.model,
    backend: tf.getBackend(),
    params: s.trainableParams,
    epochs: history.length,
    testAcc: final.acc,
    testLoss: final.loss,
    trainSeconds,
    trainImgPerSec: trainImages / trainSeconds,
    evalImgPerSec: final.imgPerSec,
  };

  await saveModel(model, path.join(flags.out, 'model'));
  await writeJsonAtomic(path.join(flags.out, 'history.json'), history);
  await writeJsonAtomic(path.join(flags.out, 'summary.json'), result);
  await analyzeRun({ runDir: flags.out, model, dataset: test, normalize: { mean: [MNIST_MEAN], std: [MNIST_STD] } });
  const report = await writeReport(flags.out, { title: `MNIST — ${flags.model}` });
  log(`report: ${report}`);
  log(
    `done: test accuracy ${(result.testAcc * 100).toFixed(2)}%, ${result.trainSeconds.toFixed(1)} s training, ` +
      `${Math.round(result.trainImgPerSec)} img/s train, ${Math.round(result.evalImgPerSec)} img/s eval → ${flags.out}`,
  );
  model.dispose();
  return { summary: result, history };
}
