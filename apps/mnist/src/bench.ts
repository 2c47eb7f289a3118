/**
 * `pnpm bench:mnist` — MNISTNet throughput, ours vs PyTorch in one invocation, interleaved. JSON lines:
 *  - `{bench: 'round', round, ours: {train64, eval64}, pytorch: {train64, eval64}, ratio: {train64, eval64}}` —
 *    one round: 5 warm-up, then `--steps` training steps (forward, backward, Adam update) and 100 inferences at batch 64 on a
 *    real MNIST batch on `onednn`, then `../shared/anchors/pytorch_reference.py mnist-step` at batch 64 with
 *    half as many steps and the same thread count (when `/usr/bin/python3` has torch); img/s each;
 *  - `{bench: 'eval', backend, batch: 1000, imgPerSec}` and its PyTorch twin — inference at batch 1,000;
 *  - `{bench: 'train', backend: 'cpu', ...}` — `--cpu-steps` steps on the JS `cpu` backend, for scale;
 *  - `{bench: 'impls', impls}` — the implementation of every primitive used (never `ref:`);
 *  - `{bench: 'ratio', train64, eval64, eval1000}` — ours / PyTorch: the median over the rounds, with their
 *    min and max (rounds alternate so that a drift in machine speed hits both sides alike).
 * Flags: `--rounds R` (default 5), `--steps N` per round (default 60), `--cpu-steps N` on the JS `cpu`
 * backend (default 1; 0 skips; one step takes tens of seconds), `--threads T` (default: all cores; sets
 * OMP_NUM_THREADS for both).
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { benchInfer, benchTrain, emit, interleavedRatio, ratio, runMain, runPytorchReference, spread } from '@cnn/app-common';
import { getPrimitiveImpls, selectBackend } from '@cnn/backend-onednn';
import { DataLoader, MNIST_MEAN, MNIST_STD, type ImageDataset } from '@cnn/data';
import { loadMnist } from '@cnn/data/node';
import { mnistNet } from '@cnn/models';
import { Adam } from '@cnn/train';

function firstBatch(ds: ImageDataset, batchSize: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const { x, y } = new DataLoader(ds, { batchSize, mean: MNIST_MEAN, std: MNIST_STD })[Symbol.iterator]().next().value!;
  return { x, y };
}

runMain(async () => {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      rounds: { type: 'string', default: '5' },
      steps: { type: 'string', default: '60' },
      'cpu-steps': { type: 'string', default: '1' },
      threads: { type: 'string', default: String(os.availableParallelism()) },
    },
  });
  const rounds = Number(values.rounds);
  const steps = Number(values.steps);
  const threads = Number(values.threads);
  process.env.OMP_NUM_THREADS = String(threads);
  const { train } = await loadMnist();

  await selectBackend('onednn');
  const model = mnistNet({ seed: 0 });
  const opt = new Adam({ lr: 1e-3 });
  const { x, y } = firstBatch(train, 64);
  await benchTrain(model, opt, x, y, 0, 10); // warm-up: primitives created, buffer pool filled

  const ptArgs = (batch: number, n: number) => ['--batch', String(batch), '--steps', String(n), '--threads', String(threads)];
  const perRound = { oursTrain: [] as number[], ours: [] as number[], pytorch: [] as number[] };
  const train64 = await interleavedRatio(
    rounds,
    async () => {
      // Warm up every round, as the reference does: a process left idle while the reference runs comes back
      // slow for its first steps on these VMs.
      const t = await benchTrain(model, opt, x, y, steps, 5);
      perRound.oursTrain.push(t.imgPerSec);
      perRound.ours.push(benchInfer(model, x, 100));
      return t.imgPerSec;
    },
    (round) => {
      const pt = runPytorchReference('mnist-step', ptArgs(64, Math.max(20, Math.round(steps / 2))));
      if (!pt) return undefined;
      perRound.pytorch.push(pt.infer_img_per_s as number);
      const ours = { train64: perRound.oursTrain[round]!, eval64: perRound.ours[round]! };
      const theirs = { train64: pt.train_img_per_s as number, eval64: pt.infer_img_per_s as number };
      emit({
        bench: 'round',
        round,
        ours,
        pytorch: theirs,
        ratio: { train64: ratio(ours.train64, theirs.train64), eval64: ratio(ours.eval64, theirs.eval64) },
      });
      return pt.train_img_per_s as number;
    },
  );

  const b1000 = firstBatch(train, 1000);
  const eval1000 = benchInfer(model, b1000.x, 10);
  emit({ bench: 'eval', backend: 'onednn', batch: 1000, imgPerSec: eval1000 });
  tf.dispose([b1000.x, b1000.y]);
  emit({ bench: 'impls', impls: getPrimitiveImpls().map((p) => `${p.kernel} ${p.key} → ${p.impl}`) });
  tf.dispose([x, y]);
  opt.dispose();
  model.dispose();

  const cpuSteps = Number(values['cpu-steps']);
  if (cpuSteps > 0) {
    await selectBackend('cpu');
    const m = mnistNet({ seed: 0 });
    const o = new Adam({ lr: 1e-3 });
    const b = firstBatch(train, 64);
    emit({ bench: 'train', backend: 'cpu', threads: 1, ...(await benchTrain(m, o, b.x, b.y, cpuSteps, 0)) });
    tf.dispose([b.x, b.y]);
    o.dispose();
    m.dispose();
  }

  const pt1000 = train64 ? runPytorchReference('mnist-step', ptArgs(1000, 5)) : undefined;
  if (pt1000) emit({ bench: 'pytorch', ...pt1000 });
  if (train64) {
    const eval64 = spread(perRound.ours.map((v, i) => v / perRound.pytorch[i]!));
    emit({
      bench: 'ratio',
      note: `ours / PyTorch, same machine, same invocation: median (min–max) of ${rounds} interleaved rounds`,
      train64: train64.spread,
      trainRounds: train64.ratios,
      eval64,
      eval1000: pt1000 ? ratio(eval1000, pt1000.infer_img_per_s as number) : null,
    });
  }
});
