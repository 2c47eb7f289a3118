/**
 * `pnpm bench:cifar10` — CIFAR10Net throughput, ours vs PyTorch in one invocation, interleaved. JSON lines:
 *  - `{bench: 'round', round, ours: {train, eval}, pytorch: {train, eval}, ratio}` — one round: `--warmup` (default 3) untimed steps, then `--steps` SGD
 *    (momentum 0.9, weight decay 5e-4) training steps and inference at batch 128 on random input on `onednn`,
 *    then `../shared/anchors/pytorch_reference.py cifar-step` with the same thread count (img/s each);
 *  - `{bench: 'eval', batch: 500, imgPerSec}` — inference at batch 500;
 *  - `{bench: 'augment', msPerBatch, fractionOfStep}` — the standard augmentation (RandomCrop 32 pad 4,
 *    flip, ColorJitter 0.2, Normalize) of a batch of 128, and its share of a training step (goal ≤ 10%);
 *  - `{bench: 'ratio', train, eval}` — ours / PyTorch at batch 128: the median over the rounds, with their min
 *    and max (rounds alternate so that a drift in machine speed hits both sides alike).
 * Flags: `--rounds R` (default 3), `--steps N` timed per round (default 6), `--warmup W` untimed per round (default 3),
 * `--threads T` (default: all cores). The defaults measure steady state: the first steps after idling run at half speed.
 *
 * `--recipe fast` measures the fast recipe's training step instead (airbench94 at batch 1024, see `cifar10-fast.ts`),
 * against `scripts/fast_step_reference.py`, with `--batch B` (default 1024), `--warmup W` untimed steps per round
 * (default 3), `--eval-batch E` (default 1000), `--rounds` (default 3) and `--steps` (default 6); `--recipe muon` the
 * muon recipe's (Muon + SGD groups, `--batch` default 2000) against `fast_step_reference.py --recipe muon`.
 *
 * `--precision float32|bf16|compare` (default float32): the onednn backend's conv/matmul precision of our side
 * (`setPrecision`; bf16 needs AVX512_BF16 / AMX and is refused elsewhere, naming the ISA). `compare` (with
 * `--recipe fast` or `--recipe muon`) times our float32 and bf16 steps in interleaved rounds instead of PyTorch: `{bench: 'round',
 * round, float32: {train}, bf16: {train}, ratio}` per round and `{bench: 'precision', ratio: {median, min, max},
 * float32: {trainImgPerSec}, bf16: {trainImgPerSec}}` (bf16 / float32).
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { RECIPE_NAMES, trainingAugmentation, UsageError } from '@cnn/cli';
import { PRECISION_CHOICES, selectBackend, setPrecision } from '@cnn/backend-onednn';
import { CIFAR10_MEAN, CIFAR10_STD, createRng } from '@cnn/data';
import { cifar10Net } from '@cnn/models';
import { SGD } from '@cnn/train';
import { benchFast, benchFastPrecision, recipeTable } from './cifar10-fast.js';
import { benchInfer, benchTrain, emit, intFlag, interleavedRatio, oneOf, parseBenchArgs, ratio, runMain, runPytorchReference, spread } from './common.js';

/** Untimed steps per round before the timing, on each side: the first steps after idling are slow on these VMs. */
export const DEFAULT_WARMUP = 3;
/** Timed steps per round. */
export const DEFAULT_STEPS = 6;

runMain(async () => {
  const values = parseBenchArgs({
    recipe: { type: 'string', default: 'standard' },
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    batch: { type: 'string' },
    warmup: { type: 'string', default: String(DEFAULT_WARMUP) },
    'eval-batch': { type: 'string', default: '1000' },
    precision: { type: 'string', default: 'float32' },
  });
  const precision = oneOf('--precision', values.precision as string, [...PRECISION_CHOICES, 'compare'] as const);
  const recipe = oneOf('--recipe', values.recipe as string, RECIPE_NAMES);
  const rounds = intFlag('--rounds', values.rounds as string);
  const steps = intFlag('--steps', (values.steps as string | undefined) ?? String(DEFAULT_STEPS));
  const threads = intFlag('--threads', values.threads as string);
  const warmup = intFlag('--warmup', values.warmup as string, 0);
  process.env.OMP_NUM_THREADS = String(threads);
  await selectBackend('onednn');
  /** The options of the fast / muon recipe benches (the batch defaults to the recipe's). */
  const recipeBench = (r: 'fast' | 'muon') => ({
    recipe: r,
    rounds,
    steps,
    threads,
    batch: intFlag('--batch', (values.batch as string | undefined) ?? String(recipeTable(r).batchSize)),
    warmup,
    evalBatch: intFlag('--eval-batch', values['eval-batch'] as string),
  });
  if (precision === 'compare') {
    if (recipe !== 'fast' && recipe !== 'muon') throw new UsageError('--precision compare: only with --recipe fast or --recipe muon');
    await benchFastPrecision(recipeBench(recipe));
    return;
  }
  setPrecision(precision);
  if (precision === 'bf16') emit({ bench: 'precision', precision, note: 'our side computes convolutions and matmuls in bf16 (oneDNN), PyTorch in float32' });
  if (recipe === 'fast' || recipe === 'muon') {
    await benchFast(recipeBench(recipe));
    return;
  }

  const x = tf.randomNormal([128, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.randomUniform([128], 0, 10, 'int32', 2) as tf.Tensor1D;
  const model = cifar10Net({ seed: 0 });
  const opt = new SGD({ lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
  await benchTrain(model, opt, x, y, 0, warmup); // warm-up

  const ours = { train: [] as number[], eval: [] as number[], msPerStep: [] as number[] };
  const theirs = { eval: [] as number[] };
  const train = await interleavedRatio(
    rounds,
    async () => {
      // Warm up every round, as the reference does (3 steps per run): a process left idle while the reference
      // runs comes back slow on these VMs (the first 2 steps after 15 s idle: ~55 img/s, then 190-210).
      const t = await benchTrain(model, opt, x, y, steps, warmup);
      ours.train.push(t.imgPerSec);
      ours.msPerStep.push(t.msPerStep);
      ours.eval.push(benchInfer(model, x, 3));
      return t.imgPerSec;
    },
    (round) => {
      const pt = runPytorchReference('cifar-step', ['--batch', '128', '--steps', String(Math.max(3, Math.round(steps / 2))), '--threads', String(threads)]);
      if (!pt) return undefined;
      theirs.eval.push(pt.infer_img_per_s as number);
      const o = { train: ours.train[round]!, eval: ours.eval[round]! };
      const p = { train: pt.train_img_per_s as number, eval: pt.infer_img_per_s as number };
      emit({ bench: 'round', round, ours: o, pytorch: p, ratio: { train: ratio(o.train, p.train), eval: ratio(o.eval, p.eval) } });
      return p.train;
    },
  );
  if (!train) emit({ bench: 'train', backend: 'onednn', threads, batch: 128, imgPerSec: spread(ours.train) });

  const x500 = tf.randomNormal([500, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  emit({ bench: 'eval', backend: 'onednn', batch: 500, imgPerSec: benchInfer(model, x500, 3) });

  const images = tf.randomUniform([128, 32, 32, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const augment = trainingAugmentation('standard', 32, 3, { mean: [...CIFAR10_MEAN], std: [...CIFAR10_STD] });
  const rng = createRng(0);
  // Returns nothing: handed a typed array, tf.tidy walks every element (~0.8 µs each, 0.3 s for this batch).
  const runAug = () =>
    tf.tidy(() => {
      augment.forward(images, rng).dataSync();
    });
  for (let i = 0; i < 3; i++) runAug();
  const t0 = performance.now();
  const augRuns = 20;
  for (let i = 0; i < augRuns; i++) runAug();
  const augMs = (performance.now() - t0) / augRuns;
  const stepMs = spread(ours.msPerStep).median;
  emit({ bench: 'augment', backend: 'onednn', batch: 128, msPerBatch: Math.round(augMs * 10) / 10, fractionOfStep: ratio(augMs, stepMs) });
  tf.dispose([x, y, x500, images]);
  opt.dispose();
  model.dispose();

  if (train) {
    emit({
      bench: 'ratio',
      note: `ours / PyTorch, same machine, same invocation: median (min–max) of ${rounds} interleaved rounds`,
      train: train.spread,
      trainRounds: train.ratios,
      eval: spread(ours.eval.map((v, i) => v / theirs.eval[i]!)),
    });
  }
});
