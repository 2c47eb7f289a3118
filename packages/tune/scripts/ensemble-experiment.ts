// The chapter's ensemble exercise (issue 6, item 5): three different architectures — the chapter's
// VGG-style CIFAR10Net, a CIFAR-stem ResNet-18 and a small DenseNet-BC — trained on CIFAR-10 with
// different seeds, then combined by soft voting (mean softmax) and hard voting; every member and both
// ensembles are evaluated on the test set (markdown table + JSON).
// Full run (hours on CPU):  pnpm --filter @cnn/tune ensemble-experiment --out results/ensemble.json
// Smoke run (a few minutes): pnpm --filter @cnn/tune ensemble-experiment --smoke
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '@cnn/data';
import { ModelEnsemble, cifar10Net, densenetCifar, resnet18 } from '@cnn/models';
import { Adam } from '@cnn/train';
import { trainEnsemble } from '../src/index';
import { cifar, loader, markdownTable, useBackend } from './common';

const { values: f } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false }, backend: { type: 'string', default: 'auto' }, epochs: { type: 'string' },
    'batch-size': { type: 'string', default: '128' }, out: { type: 'string' }, seed: { type: 'string', default: '1' },
  },
});
const smoke = f.smoke!;
const epochs = Number(f.epochs ?? (smoke ? 1 : 30));
const bs = Number(f['batch-size']);
const seed = Number(f.seed);
const log = (s: string): void => console.log(s);

const backend = await useBackend(f.backend!);
log(`backend ${backend}; ${smoke ? 'SMOKE run (tiny data and models, not a result)' : 'full run'}`);
const data = await cifar(smoke ? 20 : undefined);
const t0 = performance.now();
const r = await trainEnsemble({
  members: [
    { name: 'cifar10net (VGG-style)', seed, build: (s) => cifar10Net({ seed: s }), optimizer: () => new Adam({ lr: 1e-3 }) },
    { name: 'resnet18-cifar', seed: seed + 1, build: (s) => resnet18({ stem: 'cifar', seed: s, baseWidth: smoke ? 8 : 64 }), optimizer: () => new Adam({ lr: 1e-3 }) },
    { name: 'densenet-bc', seed: seed + 2, build: (s) => densenetCifar({ seed: s, ...(smoke ? { growthRate: 6, blockConfig: [2, 2, 2] } : { growthRate: 12, blockConfig: [16, 16, 16] }) }), optimizer: () => new Adam({ lr: 1e-3 }) },
  ],
  data: (s) => ({ train: loader(data.train, bs, true, s), test: loader(data.test, 256, false, 0) }),
  epochs, log, progress: 'none',
});
const soft = await r.ensemble.evaluate(loader(data.test, 256, false, 0));
const hard = await new ModelEnsemble(r.ensemble.members, { voting: 'hard', names: r.ensemble.names }).evaluate(loader(data.test, 256, false, 0));
const bestMember = Math.max(...soft.members.map((m) => m.accuracy));
const pct = (a: number): string => `${(100 * a).toFixed(2)} %`;
const table = markdownTable(['model', `CIFAR-10 test accuracy (${soft.samples} images, ${epochs} epochs each)`], [
  ...soft.members.map((m) => [m.name, pct(m.accuracy)]),
  ['ensemble, soft voting (mean softmax)', pct(soft.accuracy)],
  ['ensemble, hard voting', pct(hard.accuracy)],
]);
log(`\n${table}\n\nsoft-voting ensemble vs best member: ${soft.accuracy >= bestMember ? '+' : ''}${(100 * (soft.accuracy - bestMember)).toFixed(2)} points`);
if (f.out) {
  mkdirSync(path.dirname(path.resolve(f.out)), { recursive: true });
  await writeJsonAtomic(path.resolve(f.out), { smoke, backend, epochs, seed, members: soft.members, soft: soft.accuracy, hard: hard.accuracy, bestMember, seconds: (performance.now() - t0) / 1000, table });
  log(`wrote ${f.out}`);
}
r.ensemble.dispose();
