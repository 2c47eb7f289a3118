/**
 * `pnpm bench:mnist` — MNISTNet throughput, ours vs PyTorch in one invocation. JSON lines:
 *  - `{bench: 'train', backend, batch, steps, msPerStep, imgPerSec}` — training steps (forward, backward,
 *    Adam update) at batch 64 on a real MNIST batch, after warm-up (`onednn`, then a few on `cpu` for scale);
 *  - `{bench: 'eval', backend, batch, imgPerSec}` — inference at batch 64 and 1,000;
 *  - `{bench: 'impls', impls}` — the oneDNN implementation of every primitive used (never `ref:`);
 *  - `{bench: 'pytorch', ...}` — `../shared/anchors/pytorch_reference.py mnist-step` at batch 64 and 1,000
 *    with the same thread count (when `/usr/bin/python3` has torch);
 *  - `{bench: 'ratio', train64, eval64, eval1000}` — ours / PyTorch.
 * Flags: `--steps N` (default 200), `--cpu-steps N` on the JS `cpu` backend (default 1; 0 skips; one step takes
 * tens of seconds), `--threads T` (default: all cores; sets OMP_NUM_THREADS for both).
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { benchInfer, benchTrain, emit, ratio, runMain, runPytorchReference } from '@cnn/app-common';
import { getPrimitiveImpls, selectBackend } from '@cnn/backend-onednn';
import { DataLoader, loadMnist, MNIST_MEAN, MNIST_STD, type ImageDataset } from '@cnn/data';
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
      steps: { type: 'string', default: '200' },
      'cpu-steps': { type: 'string', default: '1' },
      threads: { type: 'string', default: String(os.availableParallelism()) },
    },
  });
  const steps = Number(values.steps);
  const threads = Number(values.threads);
  process.env.OMP_NUM_THREADS = String(threads);
  const { train } = await loadMnist();
  const results: Record<string, number> = {};

  for (const backend of ['onednn', 'cpu'] as const) {
    const trainSteps = backend === 'onednn' ? steps : Number(values['cpu-steps']);
    if (trainSteps <= 0) continue;
    await selectBackend(backend);
    const model = mnistNet({ seed: 0 });
    const opt = new Adam({ lr: 1e-3 });
    const { x, y } = firstBatch(train, 64);
    const t = benchTrain(model, opt, x, y, trainSteps, backend === 'onednn' ? 10 : 0);
    emit({ bench: 'train', backend, threads, ...t });
    if (backend === 'onednn') {
      results.train64 = t.imgPerSec;
      for (const batch of [64, 1000]) {
        const b = batch === 64 ? { x, y } : firstBatch(train, batch);
        results[`eval${batch}`] = benchInfer(model, b.x, batch === 64 ? 100 : 10);
        emit({ bench: 'eval', backend, batch, imgPerSec: results[`eval${batch}`] });
        if (batch !== 64) tf.dispose([b.x, b.y]);
      }
      emit({ bench: 'impls', impls: getPrimitiveImpls().map((p) => `${p.kernel} ${p.key} → ${p.impl}`) });
    }
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  }

  const pt64 = runPytorchReference('mnist-step', ['--batch', '64', '--steps', String(Math.max(20, Math.round(steps / 2))), '--threads', String(threads)]);
  const pt1000 = runPytorchReference('mnist-step', ['--batch', '1000', '--steps', '5', '--threads', String(threads)]);
  if (pt64) emit({ bench: 'pytorch', ...pt64 });
  if (pt1000) emit({ bench: 'pytorch', ...pt1000 });
  if (pt64) {
    emit({
      bench: 'ratio',
      note: 'ours / PyTorch, same machine, same invocation',
      train64: ratio(results.train64!, pt64.train_img_per_s as number),
      eval64: ratio(results.eval64!, pt64.infer_img_per_s as number),
      eval1000: pt1000 ? ratio(results.eval1000!, pt1000.infer_img_per_s as number) : null,
    });
  }
});
