/**
 * Train a classifier on MNIST: what `npm run train` does, as a program you can edit.
 * Run it with `npm run train:program`. Every option of `cnn train --help` is an option here (camelCase).
 */
import { trainClassifier } from '@cnn/cli';

const result = await trainClassifier({
  source: 'mnist', // the offline copy where present, else the checksummed download
  validPct: 0.1, // a seeded, stratified 10% of the training images is held out for validation
  epochs: 5,
  seed: 0,
  out: 'runs/latest', // model/, history.json, summary.json, report.html
});
if (result) console.log(`validation accuracy ${result.summary.valAcc}, test accuracy ${result.summary.testAcc}; model in ${result.outDir}/model`);
