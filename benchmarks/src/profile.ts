/**
 * `pnpm bench:profile -- --recipe fast|muon [--precision float32|bf16] [--by-shape]` — where one training step of a CIFAR-10
 * recipe spends its time, per category, on the onednn backend. Every kernel registered for the backend is wrapped
 * with a wall-clock timer (the backend's kernels run synchronously on the calling thread, so the time of a call is
 * the time of its work); a step is the run's: the recipe's augmentation of a batch (`AugmentedLoader` over a
 * synthetic uint8 data set of CIFAR-10's shape), the forward and backward pass (`computeGradients`) and the
 * optimizer update (`applyGradients`). JSON lines:
 *  - `{bench: 'profile', recipe, precision, batch, steps, msPerStep, imgPerSec, categories: [{category, ms, share}],
 *    phases: {data, forward, backward, update}, topKernels: [{kernel, phase, ms, calls}]}` — ms per step;
 *    a category's `share` is of the step's wall time; "outside kernels" is the step's time in no kernel (tape
 *    bookkeeping, JavaScript of the loader and the layers, garbage collection).
 *
 * Flags: `--recipe fast|muon` (default muon), `--precision float32|bf16` (default float32), `--steps N` timed
 * (default 6), `--warmup W` untimed (default 3), `--batch B` (default: the recipe's), `--threads T` (default: all cores),
 * `--by-shape` (the top kernels keyed by their input shapes, 40 of them: one row per layer and pass).
 * The kernel timers add ~1 µs per kernel call (a few hundred per step): negligible against steps of seconds.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { flipTranslate } from '@cnn/cli';
import { PRECISION_CHOICES, selectBackend, setPrecision } from '@cnn/backend-onednn';
import { AugmentedLoader } from '@cnn/augment';
import { CIFAR10_MEAN, CIFAR10_STD, createRng, DataLoader, type ImageDataset } from '@cnn/data';
import { applyGradients, computeGradients } from '@cnn/train';
import { recipeStep, recipeTable } from './cifar10-fast.js';
import { instrumentKernels, kernelCategory, type KernelTally, type Phase } from './kernel-profile.js';
import { emit, intFlag, oneOf, parseBenchArgs, runMain } from './common.js';

/** Whether the engine is inside a gradient computation (its `backward` scope). */
function inBackward(): boolean {
  const stack = (tf.engine() as unknown as { state: { scopeStack: { name: string }[] } }).state.scopeStack;
  return stack.some((s) => s.name === 'backward');
}

/** A synthetic uint8 data set of CIFAR-10's shape (`n` images of 32×32×3, labels 0–9). */
function syntheticCifar(n: number): ImageDataset {
  const rng = createRng(7);
  const images = new Uint8Array(n * 32 * 32 * 3);
  for (let i = 0; i < images.length; i++) images[i] = rng.nextInt(256);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return {
    name: 'synthetic-cifar10',
    height: 32,
    width: 32,
    channels: 3,
    length: n,
    images,
    labels,
    classNames: Array.from({ length: 10 }, (_, i) => `class${i}`),
  };
}

runMain(async () => {
  const values = parseBenchArgs({
    recipe: { type: 'string', default: 'muon' },
    precision: { type: 'string', default: 'float32' },
    steps: { type: 'string', default: '6' },
    warmup: { type: 'string', default: '3' },
    batch: { type: 'string' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    'by-shape': { type: 'boolean', default: false },
  });
  const recipe = oneOf('--recipe', values.recipe as string, ['fast', 'muon'] as const);
  const precision = oneOf('--precision', values.precision as string, PRECISION_CHOICES);
  const steps = intFlag('--steps', values.steps as string);
  const warmup = intFlag('--warmup', values.warmup as string, 0);
  process.env.OMP_NUM_THREADS = String(intFlag('--threads', values.threads as string));
  await selectBackend('onednn');
  setPrecision(precision);

  const batch = intFlag('--batch', (values.batch as string | undefined) ?? String(recipeTable(recipe).batchSize));
  const { model, opt, step: stepOptions } = recipeStep(recipe, batch);
  const ds = syntheticCifar(batch * 2);
  const loader = new DataLoader(ds, { batchSize: batch, shuffle: true, seed: 0, dropLast: true, mean: CIFAR10_MEAN, std: CIFAR10_STD });
  const source = new AugmentedLoader(loader, flipTranslate(0), { seed: 0 });

  let phase: Phase = 'data';
  const tally: KernelTally = { ms: new Map(), calls: new Map() };
  const phaseMs: Record<Phase, number> = { data: 0, forward: 0, backward: 0, update: 0 };
  const restore = instrumentKernels('onednn', tally, () => (phase === 'forward' && inBackward() ? 'backward' : phase), values['by-shape'] === true);
  let stepMs = 0;
  let gradMs = 0;
  try {
    let it = source[Symbol.iterator]();
    for (let i = 0; i < warmup + steps; i++) {
      if (i === warmup) {
        tally.ms.clear();
        tally.calls.clear();
      }
      const t0 = performance.now();
      phase = 'data';
      let next = it.next();
      if (next.done) {
        it = source[Symbol.iterator]();
        next = it.next();
      }
      const { x, y } = next.value!;
      const t1 = performance.now();
      phase = 'forward';
      const g = await computeGradients(model, x, y, stepOptions);
      const t2 = performance.now();
      phase = 'update';
      await applyGradients(opt, g.grads, g.vars, stepOptions);
      tf.dispose([...Object.values(g.grads), x, y]);
      const t3 = performance.now();
      if (i >= warmup) {
        stepMs += t3 - t0;
        gradMs += t2 - t1;
        phaseMs.data += t1 - t0;
        phaseMs.update += t3 - t2;
      }
    }
  } finally {
    restore();
    setPrecision('float32');
    opt.dispose();
    model.dispose();
  }

  // Forward and backward share computeGradients' wall time in proportion to their kernel time.
  const kernelMsOf = (p: Phase): number => [...tally.ms].filter(([k]) => k.endsWith(`|${p}`)).reduce((s, [, v]) => s + v, 0);
  const fwdK = kernelMsOf('forward');
  const bwdK = kernelMsOf('backward');
  phaseMs.forward = fwdK + bwdK > 0 ? (gradMs * fwdK) / (fwdK + bwdK) : 0;
  phaseMs.backward = gradMs - phaseMs.forward;

  const perStep = (v: number) => Math.round((v / steps) * 10) / 10;
  const byCategory = new Map<string, number>();
  let kernelTotal = 0;
  for (const [key, ms] of tally.ms) {
    const [kernel, p] = key.split('|') as [string, Phase];
    const c = kernelCategory(kernel.split(' ')[0]!, p);
    byCategory.set(c, (byCategory.get(c) ?? 0) + ms);
    kernelTotal += ms;
  }
  byCategory.set('outside kernels', stepMs - kernelTotal);
  const categories = [...byCategory]
    .sort((a, b) => b[1] - a[1])
    .map(([category, ms]) => ({ category, ms: perStep(ms), share: Math.round((ms / stepMs) * 1000) / 1000 }));
  const topKernels = [...tally.ms]
    .sort((a, b) => b[1] - a[1])
    .slice(0, values['by-shape'] === true ? 40 : 12)
    .map(([key, ms]) => {
      const [kernel, p] = key.split('|');
      return { kernel, phase: p, ms: perStep(ms), calls: (tally.calls.get(key) ?? 0) / steps };
    });
  emit({
    bench: 'profile',
    recipe,
    precision,
    batch,
    steps,
    msPerStep: perStep(stepMs),
    imgPerSec: Math.round((batch * steps * 1000) / stepMs),
    categories,
    phases: Object.fromEntries(Object.entries(phaseMs).map(([k, v]) => [k, perStep(v)])),
    topKernels,
  });
  for (const c of categories) process.stderr.write(`${c.category.padEnd(36)} ${String(c.ms).padStart(8)} ms  ${(c.share * 100).toFixed(1).padStart(5)}%\n`);
});
