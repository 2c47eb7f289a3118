/**
 * `pnpm bench:cifar10` — CIFAR10Net throughput, ours vs PyTorch in one invocation. JSON lines:
 *  - `{bench: 'train', backend: 'onednn', batch: 128, msPerStep, imgPerSec}` — SGD (momentum 0.9, weight
 *    decay 5e-4) training steps on random input, after warm-up;
 *  - `{bench: 'eval', batch, imgPerSec}` — inference at batch 128 and 500;
 *  - `{bench: 'augment', msPerBatch, fractionOfStep}` — the standard augmentation (RandomCrop 32 pad 4,
 *    flip, ColorJitter 0.2, Normalize) of a batch of 128, and its share of a training step (goal ≤ 10%);
 *  - `{bench: 'pytorch', ...}` — `../shared/anchors/pytorch_reference.py cifar-step` with the same threads;
 *  - `{bench: 'ratio', train, eval}` — ours / PyTorch at batch 128.
 * Flags: `--steps N` (default 10), `--threads T` (default: all cores).
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { benchInfer, benchTrain, emit, ratio, runMain, runPytorchReference } from '@cnn/app-common';
import { selectBackend } from '@cnn/backend-onednn';
import { createRng } from '@cnn/data';
import { cifar10Net } from '@cnn/models';
import { SGD } from '@cnn/train';
import { cifar10Augmentation } from './run.js';

runMain(async () => {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      steps: { type: 'string', default: '10' },
      threads: { type: 'string', default: String(os.availableParallelism()) },
    },
  });
  const steps = Number(values.steps);
  const threads = Number(values.threads);
  process.env.OMP_NUM_THREADS = String(threads);
  await selectBackend('onednn');

  const x = tf.randomNormal([128, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.randomUniform([128], 0, 10, 'int32', 2) as tf.Tensor1D;
  const model = cifar10Net({ seed: 0 });
  const opt = new SGD({ lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
  const t = benchTrain(model, opt, x, y, steps, 2);
  emit({ bench: 'train', backend: 'onednn', threads, ...t });
  const eval128 = benchInfer(model, x, Math.max(3, steps));
  emit({ bench: 'eval', backend: 'onednn', batch: 128, imgPerSec: eval128 });
  const x500 = tf.randomNormal([500, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  emit({ bench: 'eval', backend: 'onednn', batch: 500, imgPerSec: benchInfer(model, x500, 3) });

  const images = tf.randomUniform([128, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const augment = cifar10Augmentation('standard');
  const rng = createRng(0);
  // Returns nothing: handed a typed array, tf.tidy walks every element (~0.8 µs each, 0.3 s for this batch).
  const runAug = () => tf.tidy(() => { augment.forward(images, rng).dataSync(); });
  for (let i = 0; i < 3; i++) runAug();
  const t0 = performance.now();
  const augRuns = 20;
  for (let i = 0; i < augRuns; i++) runAug();
  const augMs = (performance.now() - t0) / augRuns;
  emit({ bench: 'augment', backend: 'onednn', batch: 128, msPerBatch: Math.round(augMs * 10) / 10, fractionOfStep: ratio(augMs, t.msPerStep) });
  tf.dispose([x, y, x500, images]);
  opt.dispose();
  model.dispose();

  const pt = runPytorchReference('cifar-step', ['--batch', '128', '--steps', String(Math.max(3, Math.round(steps / 2))), '--threads', String(threads)]);
  if (pt) {
    emit({ bench: 'pytorch', ...pt });
    emit({ bench: 'ratio', note: 'ours / PyTorch, same machine, same invocation', train: ratio(t.imgPerSec, pt.train_img_per_s as number), eval: ratio(eval128, pt.infer_img_per_s as number) });
  }
});
