/**
 * `pnpm bench:mnist` — MNISTNet throughput on this machine, ours vs PyTorch in one invocation.
 *
 * Prints one JSON object per line:
 *  - `{bench: 'train', backend, batch, steps, msPerStep, imgPerSec}` — training steps (forward, backward,
 *    Adam update) at batch 64 on real MNIST batches, after warm-up;
 *  - `{bench: 'eval', backend, batch, imgPerSec}` — inference at batch 64 and 1,000;
 *  - `{bench: 'impls', impls}` — the oneDNN implementation chosen for each primitive (never `ref:`);
 *  - `{bench: 'pytorch', ...}` — `../shared/anchors/pytorch_reference.py mnist-step` at batch 64 and 1,000
 *    (when `/usr/bin/python3` has torch), run with the same thread count;
 *  - `{bench: 'ratio', ...}` — ours / PyTorch for training (batch 64) and evaluation (batch 64 and 1,000).
 *
 * Flags: `--steps N` (default 200), `--cpu-steps N` training steps on the JS `cpu` backend for scale
 * (default 1; 0 skips it; one step takes tens of seconds), `--threads T` (default: all cores).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { getPrimitiveImpls, selectBackend } from '@cnn/backend-onednn';
import { DataLoader, loadMnist, MNIST_MEAN, MNIST_STD, type ImageDataset } from '@cnn/data';
import { mnistNet } from '@cnn/models';
import { Adam, trainStep } from '@cnn/train';

type Json = Record<string, unknown>;
const emit = (o: Json) => console.log(JSON.stringify(o));

function firstBatch(ds: ImageDataset, batchSize: number): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const loader = new DataLoader(ds, { batchSize, mean: MNIST_MEAN, std: MNIST_STD });
  const it = loader[Symbol.iterator]();
  const { x, y } = it.next().value!;
  return { x, y };
}

async function benchTrain(backend: string, ds: ImageDataset, steps: number, warmup: number): Promise<Json> {
  await selectBackend(backend as 'onednn' | 'cpu');
  const { x, y } = firstBatch(ds, 64);
  const model = mnistNet({ seed: 0 });
  const opt = new Adam({ lr: 1e-3 });
  for (let i = 0; i < warmup; i++) trainStep(model, x, y, opt);
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) trainStep(model, x, y, opt);
  const ms = (performance.now() - t0) / steps;
  const evals: Json = {};
  for (const batch of [64, 1000]) {
    if (backend === 'cpu') break;
    const b = firstBatch(ds, batch);
    const runs = batch === 64 ? 100 : 10;
    tf.tidy(() => (model.predict(b.x, { batchSize: batch }) as tf.Tensor).dataSync());
    const t1 = performance.now();
    for (let i = 0; i < runs; i++) tf.tidy(() => (model.predict(b.x, { batchSize: batch }) as tf.Tensor).dataSync());
    evals[`eval${batch}`] = (batch * runs) / ((performance.now() - t1) / 1000);
    tf.dispose([b.x, b.y]);
  }
  tf.dispose([x, y]);
  model.dispose();
  opt.dispose?.();
  return { backend, batch: 64, steps, msPerStep: round(ms), imgPerSec: round((64 * 1000) / ms), ...roundAll(evals) };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
function ratio(ours: unknown, theirs: unknown): number {
  return Math.round(((ours as number) / (theirs as number)) * 100) / 100;
}
function roundAll(o: Json): Json {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round(v) : v]));
}

function pytorch(threads: number, batch: number, steps: number): Json | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const script = path.resolve(here, '../../../../shared/anchors/pytorch_reference.py');
  const python = '/usr/bin/python3';
  if (!existsSync(script) || !existsSync(python)) return undefined;
  const args = [script, 'mnist-step', '--batch', String(batch), '--steps', String(steps), '--threads', String(threads)];
  const r = spawnSync(python, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    emit({ bench: 'pytorch', skipped: `pytorch_reference.py failed: ${(r.stderr || '').trim().split('\n').pop()}` });
    return undefined;
  }
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Json;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      steps: { type: 'string', default: '200' },
      'cpu-steps': { type: 'string', default: '1' },
      threads: { type: 'string', default: String(os.availableParallelism()) },
    },
  });
  const steps = Number(values.steps);
  const cpuSteps = Number(values['cpu-steps']);
  const threads = Number(values.threads);
  process.env.OMP_NUM_THREADS ??= String(threads);
  const { train } = await loadMnist();

  const ours = await benchTrain('onednn', train, steps, 10);
  emit({ bench: 'train', ...ours });
  emit({ bench: 'impls', impls: getPrimitiveImpls().map((p) => `${p.kernel} ${p.key} → ${p.impl}`) });
  if (cpuSteps > 0) emit({ bench: 'train', ...(await benchTrain('cpu', train, cpuSteps, 0)) });

  const pt64 = pytorch(threads, 64, Math.max(20, Math.round(steps / 2)));
  const pt1000 = pytorch(threads, 1000, 5);
  if (pt64) emit({ bench: 'pytorch', ...pt64 });
  if (pt1000) emit({ bench: 'pytorch', ...pt1000 });
  if (pt64) {
    emit({
      bench: 'ratio',
      note: 'ours / PyTorch, same machine, same invocation',
      train64: ratio(ours.imgPerSec, pt64.train_img_per_s),
      eval64: ratio(ours.eval64, pt64.infer_img_per_s),
      eval1000: pt1000 ? ratio(ours.eval1000, pt1000.infer_img_per_s) : null,
    });
  } else {
    emit({ bench: 'ratio', skipped: 'no PyTorch: apt-get install -y python3-torch to compare' });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
