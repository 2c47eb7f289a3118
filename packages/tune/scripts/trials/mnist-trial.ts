// A real trial worker for the hyperparameter search: a small MNIST CNN trained with the config's
// lr, batchSize, weightDecay, dropout and optimizer ('adam' | 'sgd') for ctx.budget epochs on the first
// TRIAL_TRAIN_N training images (default 5000) less a seeded, stratified validation split of TRIAL_VALID_PCT of
// them (default 0.1) that scores the trial (val_accuracy / val_loss); the test set is not touched by the search.
// Each epoch is reported with ctx.progress; with an artifacts folder (--artifacts) it saves a checkpoint per
// epoch and a re-run of the same trial (its worker was killed) resumes from it.
//   cnn search --trial scripts/trials/mnist-trial.ts --out results/search --strategy halving --trials 9 --parallel 2
//   cnn worker --queue redis://127.0.0.1:6379 --trial-dir scripts/trials   (then: cnn search --queue … --trial mnist-trial)
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ModelCheckpoint } from '@cnn/callbacks';
import { DataLoader, MNIST_MEAN, MNIST_STD, datasetSubset, randomSplit } from '@cnn/data';
import { loadMnist } from '@cnn/data/node';
import { dropout, layerInit } from '@cnn/models';
import { Adam, LambdaCallback, SGD, evaluate, fit, type BatchSource } from '@cnn/train';
import '@cnn/train/node'; // folder checkpoints (resume, ModelCheckpoint)
import { serveTrial } from '../../src/trial/serve.js';
import { useBackend } from '../common.js';

serveTrial(async (config, ctx) => {
  await useBackend(process.env.TRIAL_BACKEND ?? 'auto');
  const { train } = await loadMnist();
  const validPct = Number(process.env.TRIAL_VALID_PCT ?? 0.1);
  const [tr, va] = randomSplit(datasetSubset(train, Number(process.env.TRIAL_TRAIN_N ?? 5000)), [1 - validPct, validPct], { seed: 0 });
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 5, activation: 'relu', ...layerInit('pytorch', 25, ctx.seed) }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(dropout({ rate: Number(config.dropout ?? 0.5), seed: ctx.seed + 7 }));
  m.add(tfl.layers.dense({ units: 10, ...layerInit('pytorch', 12 * 12 * 16, ctx.seed + 3) }));
  const lr = Number(config.lr ?? 1e-3);
  const weightDecay = Number(config.weightDecay ?? 0);
  const optimizer = config.optimizer === 'sgd' ? new SGD({ lr, momentum: 0.9, weightDecay }) : new Adam({ lr, weightDecay });
  const bs = Number(config.batchSize ?? 64);
  const mk = (ds: typeof tr, shuffle: boolean): BatchSource =>
    new DataLoader(ds, { batchSize: bs, shuffle, seed: ctx.seed, mean: MNIST_MEAN, std: MNIST_STD }) as unknown as BatchSource;
  const ckpt = ctx.artifactsDir ? path.join(ctx.artifactsDir, 'checkpoint') : undefined;
  const progress = new LambdaCallback({
    onEpochEnd: (epoch, logs) => ctx.progress(epoch, { val_accuracy: logs.val_accuracy ?? Number.NaN, val_loss: logs.val_loss ?? Number.NaN }),
  });
  await fit(m, {
    train: mk(tr, true),
    validation: mk(va, false),
    epochs: ctx.budget,
    optimizer,
    log: ctx.log,
    progress: 'none',
    ...(ckpt ? { resume: ckpt, resumeIfMissing: true } : {}),
    callbacks: [progress, ...(ckpt ? [new ModelCheckpoint(ckpt, { log: ctx.log })] : [])],
  });
  const r = await evaluate(m, mk(va, false));
  m.dispose();
  optimizer.dispose();
  tf.disposeVariables();
  return { val_accuracy: r.accuracy, val_loss: r.loss };
});
