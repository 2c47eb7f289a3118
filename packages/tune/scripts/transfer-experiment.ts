// Transfer learning demonstrated on CIFAR-10 (issue 6, item 4):
//   1. pretrain a CIFAR-stem ResNet-18 on the six animal classes (all their training images);
//   2. fine-tune it on the four vehicle classes with only --per-class labelled images per class
//      (new head; staged: head only → last stage → all, lower LR each phase);
//   3. train the same network from scratch on the same images with the same number of epochs;
//   4. report test accuracy on the vehicle test images (markdown table + JSON).
// Full run (hours on CPU):  pnpm --filter @cnn/tune transfer-experiment --out results/transfer.json
// Smoke run (about a minute): pnpm --filter @cnn/tune transfer-experiment --smoke
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '@cnn/data/node';
import { replaceHead, resnet18 } from '@cnn/models';
import { Adam, evaluate, fit } from '@cnn/train';
import { stagedFineTune, type FineTunePhase } from '../src/index.js';
import { ANIMALS, VEHICLES, cifar, loader, markdownTable, selectClasses, useBackend } from './common.js';

const { values: f } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'auto' },
    seed: { type: 'string', default: '1' },
    'pretrain-epochs': { type: 'string' },
    'finetune-epochs': { type: 'string' },
    'per-class': { type: 'string', default: '100' },
    width: { type: 'string' },
    'batch-size': { type: 'string', default: '64' },
    out: { type: 'string' },
  },
});
const smoke = f.smoke!;
const seed = Number(f.seed);
const perClass = Number(f['per-class']);
const pretrainEpochs = Number(f['pretrain-epochs'] ?? (smoke ? 1 : 30));
const finetuneEpochs = Number(f['finetune-epochs'] ?? (smoke ? 3 : 40));
const width = Number(f.width ?? (smoke ? 4 : 64));
const bs = Number(f['batch-size']);
const log = (s: string): void => console.log(s);

const backend = await useBackend(f.backend!);
log(`backend ${backend}; ${smoke ? 'SMOKE run (tiny data, not a result)' : 'full run'}`);
const data = await cifar(smoke ? 30 : undefined);
const animalsTrain = selectClasses(data.train, ANIMALS);
const animalsTest = selectClasses(data.test, ANIMALS);
const vehTrain = selectClasses(data.train, VEHICLES, smoke ? Math.min(perClass, 10) : perClass);
const vehTest = selectClasses(data.test, VEHICLES);
log(`pretrain: ${animalsTrain.length} animal images; fine-tune: ${vehTrain.length} vehicle images; test: ${vehTest.length}`);

const t0 = performance.now();
const backbone = resnet18({ stem: 'cifar', baseWidth: width, numClasses: ANIMALS.length, seed });
await fit(backbone, {
  train: loader(animalsTrain, bs, true, seed),
  test: loader(animalsTest, 256, false, 0),
  epochs: pretrainEpochs,
  optimizer: new Adam({ lr: 1e-3 }),
  log,
  progress: 'none',
});
const pretrainAcc = (await evaluate(backbone, loader(animalsTest, 256, false, 0))).accuracy;

// staged fine-tuning with the same total epochs as the from-scratch run
const e1 = Math.max(1, Math.round(finetuneEpochs * 0.25));
const e3 = Math.max(1, Math.round(finetuneEpochs * 0.25));
const e2 = Math.max(1, finetuneEpochs - e1 - e3);
const phases: FineTunePhase[] = [
  { name: 'head', epochs: e1, lr: 1e-3, trainable: 'head' },
  { name: 'last-stage', epochs: e2, lr: 1e-4, trainable: { lastStages: 1 } },
  { name: 'all', epochs: e3, lr: 1e-5, trainable: 'all' },
];
const transfer = replaceHead(backbone, VEHICLES.length, { seed: seed + 1 });
const staged = await stagedFineTune(transfer, {
  train: loader(vehTrain, Math.min(bs, 32), true, seed),
  test: loader(vehTest, 256, false, 0),
  phases,
  log,
  progress: 'none',
});
const transferAcc = (await evaluate(transfer, loader(vehTest, 256, false, 0))).accuracy;

const scratch = resnet18({ stem: 'cifar', baseWidth: width, numClasses: VEHICLES.length, seed: seed + 2 });
const epochsTotal = e1 + e2 + e3;
await fit(scratch, {
  train: loader(vehTrain, Math.min(bs, 32), true, seed),
  test: loader(vehTest, 256, false, 0),
  epochs: epochsTotal,
  optimizer: new Adam({ lr: 1e-3 }),
  log,
  progress: 'none',
});
const scratchAcc = (await evaluate(scratch, loader(vehTest, 256, false, 0))).accuracy;

const pct = (a: number): string => `${(100 * a).toFixed(2)} %`;
const table = markdownTable(
  [`model (ResNet-18, CIFAR stem, width ${width})`, 'labelled vehicle images', 'epochs', 'vehicle test accuracy'],
  [
    [
      `transfer from animals (pretrain ${pretrainEpochs} ep, animal test acc ${pct(pretrainAcc)}), staged ${e1}+${e2}+${e3}`,
      vehTrain.length,
      epochsTotal,
      pct(transferAcc),
    ],
    ['from scratch', vehTrain.length, epochsTotal, pct(scratchAcc)],
  ],
);
log(`\n${table}\n`);
const result = {
  smoke,
  backend,
  seed,
  width,
  perClass: vehTrain.length / VEHICLES.length,
  pretrainEpochs,
  phases,
  pretrainAcc,
  transferAcc,
  scratchAcc,
  phaseTrainable: staged.phases.map((p) => ({ name: p.name, trainableParams: p.trainableParams })),
  seconds: (performance.now() - t0) / 1000,
  table,
};
if (f.out) {
  mkdirSync(path.dirname(path.resolve(f.out)), { recursive: true });
  await writeJsonAtomic(path.resolve(f.out), result);
  log(`wrote ${f.out}`);
}
transfer.dispose();
scratch.dispose();
