/**
 * airbench94 training-step profile (the fast CIFAR-10 recipe's step) on a tfjs backend: ms/step, img/s and a
 * per-kernel breakdown by category (convolutions, batch norm, GELU, pooling, other) and by shape. Usage:
 *   pnpm exec tsx --single-threaded-gc scripts/profile-airbench-step.ts [--backend onednn|cpu] [--batch 1024]
 *     [--steps 3] [--warmup 1] [--by-shape] [--tile auto|2..7] [--no-kernels] [--precision float32|bf16]
 *     [--ab 'ENV=a,ENV2=b|ENV=c']   (alternates steps between environment settings read by the native code,
 *                                    e.g. ONEDNN_CONV_ALGO; prints min / median ms per setting, no breakdown)
 * The network is @cnn/models' `airbench94` (whitening conv with a trainable bias, GELU, BatchNorm without scale,
 * widths 64/256/256); the step is the recipe's: label-smoothed (0.2) cross-entropy summed over the batch, gradients
 * of every trainable weight, Nesterov SGD (momentum 0.85) in two parameter groups through `CnnSgdUpdate`. Both
 * are imported by relative source path (dev script only). Data is random (timing only).
 */
import * as tf from '@tensorflow/tfjs-core';

import { airbench94 } from '../../models/src/index.js';
import { computeGradients } from '../../train/src/train-step.js';
import { ParamGroupOptimizer } from '../../train/src/optimizers/param-groups.js';
import { SGD } from '../../train/src/optimizers/sgd.js';
import { selectBackend, setPrecision, setWinogradTile, type WinogradTile } from '../src/index.js';
import { arg, KernelProfiler } from './kernel-profiler.js';

/** Kernel-name → category of the breakdown. */
function category(kernel: string): string {
  if (/Conv2D/.test(kernel)) return 'convolutions';
  if (/BatchNorm/.test(kernel)) return 'batch norm';
  if (/Gelu/.test(kernel)) return 'GELU';
  if (/Pool/.test(kernel)) return 'pooling';
  return 'other';
}

async function main(): Promise<void> {
  const backend = arg('backend', 'onednn');
  const batch = Number(arg('batch', '1024'));
  const steps = Number(arg('steps', '3'));
  const warmup = Number(arg('warmup', '1'));
  const kernels = !process.argv.includes('--no-kernels');
  const chosen = await selectBackend(backend as 'onednn');
  console.log(`backend: ${chosen.backend} (${chosen.reason})`);
  setPrecision(arg('precision', 'float32') as 'float32' | 'bf16');
  if (process.argv.includes('--tile')) {
    const tile = arg('tile', 'auto');
    setWinogradTile(tile === 'auto' ? 'auto' : (Number(tile) as WinogradTile));
  }
  const profiler = new KernelProfiler();
  profiler.byShape = true;
  if (kernels) profiler.instrument(chosen.backend);

  const model = airbench94({ seed: 0 });
  const lr = 11.5 / (1024 * (1 + 1 / (1 - 0.85)));
  const wd = (0.0153 * batch) / (1024 * (1 + 1 / (1 - 0.85)));
  const optimizer = new ParamGroupOptimizer([
    {
      name: 'norm-biases',
      params: (n: string) => /norm/.test(n),
      optimizer: new SGD({ lr: lr * 64, momentum: 0.85, nesterov: true, weightDecay: wd / (lr * 64) }),
    },
    { name: 'other', params: /.*/, optimizer: new SGD({ lr, momentum: 0.85, nesterov: true, weightDecay: wd / lr }) },
  ]);
  const x = tf.randomNormal([batch, 32, 32, 3], 0, 1, 'float32', 1);
  const y = tf.randomUniform([batch], 0, 10, 'int32', 2);
  const step = async (): Promise<number> => {
    const g = await computeGradients(model, x, y, { labelSmoothing: 0.2, reduction: 'sum' });
    optimizer.step(g.grads, g.vars);
    tf.dispose(Object.values(g.grads));
    return g.loss;
  };
  for (let i = 0; i < warmup; i++) await step();

  const ab = arg('ab', '');
  if (ab) {
    const settings = ab.split('|').map((c) =>
      Object.fromEntries(
        c
          .split(',')
          .filter(Boolean)
          .map((kv) => kv.split('=') as [string, string]),
      ),
    );
    const keys = [...new Set(settings.flatMap((s) => Object.keys(s)))];
    const times: number[][] = settings.map(() => []);
    for (let r = 0; r < steps; r++) {
      for (const [i, s] of settings.entries()) {
        for (const k of keys) delete process.env[k];
        Object.assign(process.env, s);
        const t0 = performance.now();
        await step();
        times[i]!.push(performance.now() - t0);
      }
    }
    settings.forEach((s, i) => {
      const sorted = [...times[i]!].sort((a, b) => a - b);
      console.log(`${JSON.stringify(s)}: min ${sorted[0]!.toFixed(0)} ms, median ${sorted[sorted.length >> 1]!.toFixed(0)} ms per step`);
    });
    return;
  }

  const before = tf.memory().numTensors;
  profiler.on = kernels;
  const times: number[] = [];
  let loss = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    loss = await step();
    times.push(performance.now() - t0);
  }
  profiler.on = false;
  const total = times.reduce((a, b) => a + b, 0);
  const ms = total / steps;
  console.log(
    `train: ${ms.toFixed(0)} ms/step (min ${Math.min(...times).toFixed(0)}), ${((batch * 1000) / ms).toFixed(1)} img/s ` +
      `(batch ${batch}, ${steps} steps, loss ${loss.toFixed(3)}, tensors ${before} -> ${tf.memory().numTensors})`,
  );
  if (!kernels) return;
  const byCategory = new Map<string, number>();
  for (const [key, s] of profiler.stats) {
    const c = category(key);
    byCategory.set(c, (byCategory.get(c) ?? 0) + s.ms / steps);
  }
  console.log('category        ms/step     %');
  for (const [c, v] of [...byCategory].sort((a, b) => b[1] - a[1])) {
    console.log(`${c.padEnd(14)} ${v.toFixed(0).padStart(8)} ${((100 * v) / ms).toFixed(1).padStart(6)}`);
  }
  if (process.argv.includes('--by-shape')) profiler.print(total, steps, 40);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
