// The chapter's ensemble exercise (issue 6, item 5): three different architectures trained with different
// seeds, then combined by soft voting (mean softmax) and hard voting; every member and both ensembles are
// evaluated on the test set (markdown table + JSON).
//   --dataset mnist (default): MNISTNet, ImprovedMNISTNet and a CIFAR-stem ResNet-18 of width 16 on MNIST
//     (28x28x1), 3 epochs each: about 15 minutes on 2 cores.
//   --dataset cifar10: the chapter's VGG-style CIFAR10Net, a CIFAR-stem ResNet-18 and a small DenseNet-BC on
//     CIFAR-10, 30 epochs each (hours on CPU).
// Run:   pnpm --filter @cnn/tune ensemble-experiment --out results/ensemble-mnist.json
// Smoke: pnpm --filter @cnn/tune ensemble-experiment --smoke   (tiny data and models, not a result)
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DataLoader, MNIST_MEAN, MNIST_STD, randomSplit, type ImageDataset } from '@cnn/data';
import { loadMnist, writeJsonAtomic } from '@cnn/data/node';
import { ModelEnsemble, cifar10Net, densenetCifar, improvedMnistNet, mnistNet, resnet18 } from '@cnn/models';
import { Adam, type BatchSource } from '@cnn/train';
import type { EnsembleMemberSpec } from '../src/index.js';
import { trainEnsemble } from '../src/index.js';
import { cifar, loader, markdownTable, useBackend } from './common.js';

const { values: f } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'auto' },
    epochs: { type: 'string' },
    dataset: { type: 'string', default: 'mnist' },
    'batch-size': { type: 'string', default: '128' },
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
const smoke = f.smoke!;
const dataset = f.dataset!;
if (dataset !== 'mnist' && dataset !== 'cifar10') throw new Error(`--dataset must be mnist or cifar10. Received: ${dataset}`);
const epochs = Number(f.epochs ?? (smoke ? 1 : dataset === 'mnist' ? 3 : 30));
const bs = Number(f['batch-size']);
const seed = Number(f.seed);
const log = (s: string): void => console.log(s);

const backend = await useBackend(f.backend!);
log(`backend ${backend}; ${smoke ? 'SMOKE run (tiny data and models, not a result)' : 'full run'}`);
/** The first `n` images of `ds` (smoke runs). */
function head(ds: ImageDataset, n: number): ImageDataset {
  const px = ds.height * ds.width * ds.channels;
  return { ...ds, images: ds.images.subarray(0, n * px), labels: ds.labels.subarray(0, n), length: Math.min(n, ds.length) };
}

let data: { train: ImageDataset; test: ImageDataset };
let makeLoader: (ds: ImageDataset, batchSize: number, shuffle: boolean, s: number) => BatchSource;
let members: EnsembleMemberSpec[];
const adam = () => new Adam({ lr: 1e-3 });
if (dataset === 'mnist') {
  const m = await loadMnist();
  data = smoke ? { train: head(m.train, 512), test: head(m.test, 256) } : m;
  makeLoader = (ds, batchSize, shuffle, s) => new DataLoader(ds, { batchSize, shuffle, seed: s, mean: MNIST_MEAN, std: MNIST_STD }) as unknown as BatchSource;
  members = [
    { name: 'MNISTNet', seed, build: (s) => mnistNet({ seed: s }), optimizer: adam },
    { name: 'ImprovedMNISTNet (BatchNorm)', seed: seed + 1, build: (s) => improvedMnistNet({ seed: s }), optimizer: adam },
    {
      name: `resnet18-cifar-stem (width ${smoke ? 4 : 16})`,
      seed: seed + 2,
      build: (s) => resnet18({ stem: 'cifar', seed: s, baseWidth: smoke ? 4 : 16, inputShape: [28, 28, 1] }),
      optimizer: adam,
    },
  ];
} else {
  data = await cifar(smoke ? 20 : undefined);
  makeLoader = loader;
  members = [
    { name: 'cifar10net (VGG-style)', seed, build: (s) => cifar10Net({ seed: s }), optimizer: adam },
    { name: 'resnet18-cifar', seed: seed + 1, build: (s) => resnet18({ stem: 'cifar', seed: s, baseWidth: smoke ? 8 : 64 }), optimizer: adam },
    {
      name: 'densenet-bc',
      seed: seed + 2,
      build: (s) => densenetCifar({ seed: s, ...(smoke ? { growthRate: 6, blockConfig: [2, 2, 2] } : { growthRate: 12, blockConfig: [16, 16, 16] }) }),
      optimizer: adam,
    },
  ];
}
const testLoader = () => makeLoader(data.test, 256, false, 0);
// members are scored on a seeded, stratified 10 % validation split of the training images; the test set is
// only evaluated at the end
const [trainSplit, validSplit] = randomSplit(data.train, [0.9, 0.1], { seed });
const t0 = performance.now();
const r = await trainEnsemble({
  members,
  data: (s) => ({ train: makeLoader(trainSplit, bs, true, s), validation: makeLoader(validSplit, 256, false, 0) }),
  epochs,
  log,
  progress: 'none',
});
const soft = await r.ensemble.evaluate(testLoader());
const hard = await new ModelEnsemble(r.ensemble.members, { voting: 'hard', names: r.ensemble.names }).evaluate(testLoader());
const bestMember = Math.max(...soft.members.map((m) => m.accuracy));
const pct = (a: number): string => `${(100 * a).toFixed(2)} %`;
const table = markdownTable(
  ['model', `${dataset === 'mnist' ? 'MNIST' : 'CIFAR-10'} test accuracy (${soft.samples} images, ${epochs} epochs each)`],
  [
    ...soft.members.map((m) => [m.name, pct(m.accuracy)]),
    ['ensemble, soft voting (mean softmax)', pct(soft.accuracy)],
    ['ensemble, hard voting', pct(hard.accuracy)],
  ],
);
log(`\n${table}\n\nsoft-voting ensemble vs best member: ${soft.accuracy >= bestMember ? '+' : ''}${(100 * (soft.accuracy - bestMember)).toFixed(2)} points`);
if (f.out) {
  mkdirSync(path.dirname(path.resolve(f.out)), { recursive: true });
  await writeJsonAtomic(path.resolve(f.out), {
    smoke,
    backend,
    dataset,
    epochs,
    seed,
    members: soft.members,
    soft: soft.accuracy,
    hard: hard.accuracy,
    bestMember,
    seconds: (performance.now() - t0) / 1000,
    table,
  });
  log(`wrote ${f.out}`);
}
r.ensemble.dispose();
