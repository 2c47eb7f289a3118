/**
 * Train a classifier on your own images: what `npm run train` does, as a program you can edit.
 * Run it with `npm run train:program`. Every option of `cnn train --help` is an option here (camelCase).
 */
import { trainClassifier } from '@cnn/cli';

const result = await trainClassifier({
  source: './images', // one sub-folder per class: images/cat/*.jpg, images/dog/*.jpg, …
  imageSize: 32, // every image is resized to 32×32
  validPct: 0.1, // a seeded, stratified 10% of the images is held out for validation
  epochs: 5,
  seed: 0,
  out: 'runs/latest', // model/, history.json, summary.json, report.html
});
if (result) console.log(`validation accuracy ${result.summary.valAcc}; model in ${result.outDir}/model (npm run serve)`);
