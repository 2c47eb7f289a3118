/**
 * CIFAR10Net training-step profile on a tfjs backend: ms/step, img/s and a per-kernel time breakdown, plus eval
 * throughput. Usage:
 *   pnpm exec tsx scripts/profile-cifar-step.ts [--backend onednn|cpu] [--steps 5] [--warmup 2] [--batch 128]
 *     [--no-kernels] [--eval-batch 500] [--fused false] [--bn-kernels false]
 * The network is @cnn/models' `cifar10Net` (7 conv3x3 'same' + PyTorch-semantics BatchNorm + ReLU, 3 max-pools,
 * fc 4096→512 + BatchNorm1d, dropout, fc 512→10), trained with @cnn/train's SGD (lr 0.01, momentum 0.9,
 * weight decay 5e-4), which uses the backend's `CnnSgdUpdate` kernel when registered (`--fused false`: op path);
 * BatchNorm uses `CnnBatchNormTrain` / `CnnBatchNormGrad` when registered (`--bn-kernels false` unregisters them
 * for this run: the layer's tf-op path with the closed-form gradient).
 * Both are imported by relative source path (dev script only; those packages devDepend on this one).
 * Data is random (timing only).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import { cifar10Net } from '../../models/src/index.js';
import { SGD } from '../../train/src/optimizers/sgd.js';
import { getBinding, selectBackend } from '../src/index.js';
import { arg, KernelProfiler } from './kernel-profiler.js';

const profiler = new KernelProfiler();

async function main(): Promise<void> {
  const backend = arg('backend', 'onednn');
  const steps = Number(arg('steps', '5'));
  const warmup = Number(arg('warmup', '2'));
  const batch = Number(arg('batch', '128'));
  const evalBatch = Number(arg('eval-batch', '500'));
  const kernels = !process.argv.includes('--no-kernels');
  const chosen = await selectBackend(backend as 'onednn');
  console.log(`backend: ${chosen.backend} (${chosen.reason})`);
  if (chosen.backend === 'onednn') console.log('native:', JSON.stringify(getBinding().getInfo()));
  if (arg('bn-kernels', 'true') === 'false') {
    for (const name of ['CnnBatchNormTrain', 'CnnBatchNormGrad']) {
      if (tf.getKernel(name, chosen.backend)) tf.unregisterKernel(name, chosen.backend);
    }
  }
  profiler.byShape = process.argv.includes('--by-shape');
  if (kernels) profiler.instrument(chosen.backend);

  const model: tfl.LayersModel = cifar10Net({ seed: 1 });
  const optimizer = new SGD({ lr: 0.01, momentum: 0.9, weightDecay: 5e-4, fused: arg('fused', 'true') !== 'false' });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const varMap = Object.fromEntries(vars.map((v) => [v.name, v]));
  const x = tf.randomUniform([batch, 32, 32, 3]);
  const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10);

  const step = (): number => {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    }, vars);
    optimizer.step(grads, varMap);
    const loss = value.dataSync()[0]!;
    value.dispose();
    tf.dispose(grads);
    return loss;
  };

  for (let i = 0; i < warmup; i++) step();
  const before = tf.memory().numTensors;
  profiler.on = kernels;
  const times: number[] = [];
  let loss = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint();
    loss = step();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  profiler.on = false;
  const total = times.reduce((a, b) => a + b, 0);
  const msPerStep = total / steps;
  console.log(
    `train: ${msPerStep.toFixed(1)} ms/step (min ${Math.min(...times).toFixed(1)}), ` +
      `${((batch * 1000) / msPerStep).toFixed(0)} img/s (batch ${batch}, ${steps} steps, loss ${loss.toFixed(4)}, ` +
      `tensors ${before} -> ${tf.memory().numTensors})`,
  );
  if (kernels) profiler.print(total, steps, 30);
  if (evalBatch > 0) {
    const xe = tf.randomUniform([evalBatch, 32, 32, 3]);
    tf.tidy(() => {
      (model.predict(xe) as tf.Tensor).dataSync();
    });
    const reps = 3;
    const te = process.hrtime.bigint();
    for (let i = 0; i < reps; i++)
      tf.tidy(() => {
        (model.predict(xe) as tf.Tensor).dataSync();
      });
    const ms = Number(process.hrtime.bigint() - te) / 1e6 / reps;
    console.log(`eval: ${ms.toFixed(1)} ms/batch of ${evalBatch}, ${((evalBatch * 1000) / ms).toFixed(0)} img/s`);
    xe.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
