// Child process of resume.test.ts: trains toyNet for EPOCHS epochs with fit + ModelCheckpoint and
// prints one JSON line per event. Usage: node --import tsx resume-child.ts <ckptDir> <historyOut> [resume]
// With SLOW_EPOCH=k it announces "in-epoch k" at batch 2 of epoch k and then slows down, so the parent
// can SIGKILL it in the middle of that epoch.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileSync } from 'node:fs';
import { Adam, fit } from '@cnn/train';
import '@cnn/train/node';
import { Callback, LRSchedulerCallback, ModelCheckpoint, EarlyStopping } from '../index.js';
import { toyLoaders, toyNet } from '../testing/toy.js';
import { StepLR } from '@cnn/train';

const [dir, out, mode] = process.argv.slice(2);
const slowEpoch = Number(process.env.SLOW_EPOCH ?? 0);
const EPOCHS = 5;

class Announce extends Callback {
  override onBatchEnd(batch: number): Promise<void> | void {
    if (this.context.epoch === slowEpoch && batch >= 2) {
      process.stdout.write(`${JSON.stringify({ event: 'in-epoch', epoch: slowEpoch, batch })}\n`);
      return new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function main(): Promise<void> {
  await tf.setBackend('cpu');
  const model = toyNet(3);
  const { train, validation } = toyLoaders();
  const optimizer = new Adam({ lr: 0.02 });
  const history = await fit(model, {
    train,
    validation,
    epochs: EPOCHS,
    optimizer,
    log: () => {},
    progress: 'none',
    resume: mode === 'resume' ? dir : undefined,
    callbacks: [
      new LRSchedulerCallback((opt) => new StepLR(opt, { stepSize: 2, gamma: 0.5 })),
      new EarlyStopping({ monitor: 'val_loss', patience: 10, restoreBestWeights: false, log: () => {} }),
      new ModelCheckpoint(dir, { log: () => {} }),
      new Announce(),
    ],
  });
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  writeFileSync(out, JSON.stringify({ history, weights }));
  process.stdout.write(`${JSON.stringify({ event: 'done' })}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
