/**
 * Trains the chapter's MNISTNet briefly and saves it (TF.js layers format) — the model the benchmark,
 * quantisation table, load test and browser demo use.
 *
 *   pnpm --filter @cnn/deploy exec tsx scripts/train-mnist.ts --steps 600 --out .cache/mnistnet
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { selectBackend } from '@cnn/backend-onednn';
import { DataLoader, MNIST_MEAN, MNIST_STD, MNIST_CLASSES } from '@cnn/data';
import { loadMnist } from '@cnn/data/node';
import { getModel } from '@cnn/models';
import { Adam, evaluate, saveModel, trainStep } from '@cnn/train';
import '@cnn/train/node'; // folder paths for saveModel

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '600' },
    batch: { type: 'string', default: '64' },
    model: { type: 'string', default: 'mnistnet' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: '.cache/mnistnet' },
    backend: { type: 'string', default: 'auto' },
  },
});
const steps = Number(values.steps);
const batchSize = Number(values.batch);
const seed = Number(values.seed);
const { backend } = await selectBackend(values.backend as 'auto', { fallback: true });
const { train, test } = await loadMnist();
const model = getModel(values.model!, { seed });
const opt = new Adam({ lr: 1e-3 });
const t0 = performance.now();
let i = 0;
for (const b of new DataLoader(train, { batchSize, shuffle: true, seed, mean: MNIST_MEAN, std: MNIST_STD, limit: Math.min(train.length, steps * batchSize) })) {
  const r = await trainStep(model, b.x, b.y, opt);
  tf.dispose([b.x, b.y]);
  if (++i % 100 === 0) console.log(`step ${i}/${steps} loss ${r.loss.toFixed(4)}`);
}
const secs = (performance.now() - t0) / 1000;
const ev = await evaluate(model, new DataLoader(test, { batchSize: 500, mean: MNIST_MEAN, std: MNIST_STD }));
await saveModel(model, values.out!, { metadata: { normalization: { mean: [MNIST_MEAN], std: [MNIST_STD] }, classNames: [...MNIST_CLASSES] } });
console.log(`${values.model} on ${backend}: ${i} steps in ${secs.toFixed(1)} s, test acc ${(ev.accuracy * 100).toFixed(2)}% → ${values.out}`);
