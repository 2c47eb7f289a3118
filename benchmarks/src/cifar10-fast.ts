import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { CIFAR10_FAST_RECIPE, CIFAR10_MUON_RECIPE, airbench94Muon, createFastOptimizer, createMuonRecipeOptimizer, fastOptimizerSettings } from '@cnn/cli';
import { getPrimitiveImpls, setPrecision } from '@cnn/backend-onednn';
import { airbench94 } from '@cnn/models';
import { benchInfer, benchTrain, emit, interleavedRatio, ratio, runPythonReference, spread } from './common.js';
import { gflopsPerSecond, parseFastReference, trainingFlops } from './flops.js';

/** `scripts/fast_step_reference.py` of this app. */
export const FAST_REFERENCE_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../scripts/fast_step_reference.py');

/** Options of {@link benchFast}. */
export interface FastBenchOptions {
  /** Which recipe's step: `fast` (airbench94, two-group SGD; the default) or `muon` (airbench94_muon: Muon + SGD groups). */
  recipe?: 'fast' | 'muon';
  /** Interleaved rounds (ours, then PyTorch). */
  rounds: number;
  /** Timed training steps per round on each side. */
  steps: number;
  /** Untimed steps before each round's timing on each side. */
  warmup: number;
  /** Training batch (the recipe's: 1024 fast, 2000 muon). */
  batch: number;
  /** Evaluation batch of the inference measurement. */
  evalBatch: number;
  /** Threads of both sides. */
  threads: number;
}

/**
 * `pnpm bench:cifar10 -- --recipe fast`: the fast recipe's training step — airbench94 (default widths), forward in
 * training mode, label-smoothed (0.2) cross-entropy summed over the batch, gradients, and the two-group Nesterov
 * SGD update (`createFastOptimizer`) — on random input on the current backend, in rounds interleaved with the same
 * step in PyTorch (`scripts/fast_step_reference.py`, Debian's python3-torch, same thread count). JSON lines:
 * - `{bench: 'flops', perImage: {forward, train}, pytorchPerImage}`: FLOPs per image from the layer shapes
 *   (`trainingFlops`) and the reference's own count;
 * - `{bench: 'round', round, ours: {train, eval, trainGflops}, pytorch: {…}, ratio: {train, eval}}` per round (img/s,
 *   effective GFLOP/s = training FLOPs per image × img/s);
 * - `{bench: 'ratio', note, train: {median, min, max}, trainRounds, eval, ours: {trainImgPerSec, trainGflops},
 *   pytorch: {…}}` — ours / PyTorch over the rounds (or `{bench: 'train', …}` alone when PyTorch is missing).
 *
 * `recipe: 'muon'` (`--recipe muon`): the muon recipe's step instead — airbench94 with airbench94_muon's head
 * (`airbench94Muon`) and `createMuonRecipeOptimizer` (Muon on the conv filters, Nesterov SGD on the biases and the
 * head) — against `fast_step_reference.py --recipe muon`.
 */
export async function benchFast(o: FastBenchOptions): Promise<void> {
  const recipe = o.recipe ?? 'fast';
  const { model, opt, step } = recipeStep(recipe, o.batch);
  const flops = trainingFlops(model);
  const x = tf.randomNormal([o.batch, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.randomUniform([o.batch], 0, 10, 'int32', 2) as tf.Tensor1D;
  const xe = tf.randomNormal([o.evalBatch, 32, 32, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const ours = { train: [] as number[], eval: [] as number[] };
  const theirs = { train: [] as number[], eval: [] as number[] };
  let pytorchFlops: number | undefined;
  try {
    const train = await interleavedRatio(
      o.rounds,
      async () => {
        const t = await benchTrain(model, opt, x, y, o.steps, o.warmup, step);
        ours.train.push(t.imgPerSec);
        ours.eval.push(benchInfer(model, xe, 1));
        return t.imgPerSec;
      },
      (round) => {
        const line = runPythonReference(FAST_REFERENCE_SCRIPT, [
          ...(recipe === 'muon' ? ['--recipe', 'muon'] : []),
          '--batch',
          String(o.batch),
          '--steps',
          String(o.steps),
          '--warmup',
          String(o.warmup),
          '--threads',
          String(o.threads),
          '--eval-batch',
          String(o.evalBatch),
        ]);
        if (!line) return undefined;
        const pt = parseFastReference(line);
        pytorchFlops ??= pt.trainFlopsPerImage;
        theirs.train.push(pt.train);
        theirs.eval.push(pt.eval);
        if (round === 0)
          emit({ bench: 'flops', model: 'airbench94', perImage: { forward: flops.forward, train: flops.train }, pytorchPerImage: pytorchFlops ?? null });
        const mine = { train: ours.train[round]!, eval: ours.eval[round]!, trainGflops: gflopsPerSecond(flops.train, ours.train[round]!) };
        const r1 = (v: number): number => Math.round(v * 10) / 10;
        const ref = { train: r1(pt.train), eval: r1(pt.eval), trainGflops: gflopsPerSecond(flops.train, pt.train) };
        emit({
          bench: 'round',
          round,
          batch: o.batch,
          ours: mine,
          pytorch: ref,
          ratio: { train: ratio(mine.train, ref.train), eval: ratio(mine.eval, ref.eval) },
        });
        return pt.train;
      },
    );
    if (!train) {
      emit({ bench: 'flops', model: 'airbench94', perImage: { forward: flops.forward, train: flops.train }, pytorchPerImage: null });
      emit({
        bench: 'train',
        recipe,
        threads: o.threads,
        batch: o.batch,
        imgPerSec: spread(ours.train),
        trainGflops: spread(ours.train.map((v) => gflopsPerSecond(flops.train, v))),
        evalImgPerSec: spread(ours.eval),
      });
      return;
    }
    if (pytorchFlops !== undefined && pytorchFlops !== flops.train) {
      emit({ bench: 'warning', message: `training FLOPs per image differ: ours ${flops.train}, fast_step_reference.py ${pytorchFlops}` });
    }
    emit({
      bench: 'ratio',
      recipe,
      note: `${recipe}-recipe training step (airbench94${recipe === 'muon' ? ', Muon + SGD groups' : ''}, batch ${o.batch}) ours / PyTorch, same machine, same invocation: median (min–max) of ${o.rounds} interleaved rounds`,
      train: train.spread,
      trainRounds: train.ratios,
      eval: spread(ours.eval.map((v, i) => v / theirs.eval[i]!)),
      ours: { trainImgPerSec: spread(ours.train), trainGflops: spread(ours.train.map((v) => gflopsPerSecond(flops.train, v))) },
      pytorch: { trainImgPerSec: spread(theirs.train), trainGflops: spread(theirs.train.map((v) => gflopsPerSecond(flops.train, v))) },
    });
  } finally {
    tf.dispose([x, y, xe]);
    opt.dispose();
    model.dispose();
  }
}

/** The frozen recipe table of `--recipe fast` or `--recipe muon` (its `batchSize` is the benches' default batch). */
export function recipeTable(recipe: 'fast' | 'muon'): typeof CIFAR10_FAST_RECIPE {
  return recipe === 'muon' ? CIFAR10_MUON_RECIPE : CIFAR10_FAST_RECIPE;
}

/** The model, optimizer and loss options of one recipe's training step at batch `batch` (as the app builds them). */
export function recipeStep(recipe: 'fast' | 'muon', batch: number) {
  const r = recipeTable(recipe);
  const model = recipe === 'muon' ? airbench94Muon({ seed: 0 }) : airbench94({ seed: 0 });
  const opt =
    recipe === 'muon'
      ? createMuonRecipeOptimizer(CIFAR10_MUON_RECIPE.muon!, { lr: r.lr, momentum: r.momentum, batchSize: batch })
      : createFastOptimizer(fastOptimizerSettings({ lr: r.lr, momentum: r.momentum, weightDecay: r.weightDecay, batchSize: batch }));
  return { model, opt, step: { labelSmoothing: r.labelSmoothing, reduction: r.reduction } };
}

/**
 * `pnpm bench:cifar10 -- --recipe fast|muon --precision compare`: the recipe's training step (as {@link benchFast})
 * on the onednn backend in float32 and in bf16 (`setPrecision`), alternating per round (float32 first) so that a
 * drift in machine speed hits both alike; each side warms up `warmup` steps per round. JSON lines:
 * - `{bench: 'round', round, batch, float32: {train}, bf16: {train}, ratio}` per round (img/s; ratio bf16 / float32);
 * - `{bench: 'impls', bf16: {Conv2D: [...], ...}}`: oneDNN's implementation names of the bf16 primitives;
 * - `{bench: 'precision', recipe, note, ratio: {median, min, max}, rounds, float32: {trainImgPerSec}, bf16: {trainImgPerSec}}`.
 * @throws Bf16UnsupportedError (from `setPrecision`) on a CPU without AVX512_BF16 / AMX.
 */
export async function benchFastPrecision(o: FastBenchOptions): Promise<void> {
  const recipe = o.recipe ?? 'fast';
  const { model, opt, step } = recipeStep(recipe, o.batch);
  const x = tf.randomNormal([o.batch, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.randomUniform([o.batch], 0, 10, 'int32', 2) as tf.Tensor1D;
  const f32: number[] = [];
  const bf16: number[] = [];
  const timed = async (precision: 'float32' | 'bf16'): Promise<number> => {
    setPrecision(precision);
    return (await benchTrain(model, opt, x, y, o.steps, o.warmup, step)).imgPerSec;
  };
  try {
    for (let round = 0; round < o.rounds; round++) {
      f32.push(await timed('float32'));
      bf16.push(await timed('bf16'));
      emit({ bench: 'round', round, batch: o.batch, float32: { train: f32[round]! }, bf16: { train: bf16[round]! }, ratio: ratio(bf16[round]!, f32[round]!) });
    }
  } finally {
    setPrecision('float32');
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  }
  const impls: Record<string, string[]> = {};
  for (const rec of getPrimitiveImpls().filter((p) => /_bf16(_gemm)?:/.test(p.key))) {
    const list = impls[rec.kernel] ?? [];
    if (!list.includes(rec.impl)) list.push(rec.impl);
    impls[rec.kernel] = list;
  }
  emit({ bench: 'impls', bf16: impls });
  emit({
    bench: 'precision',
    recipe,
    note: `${recipe}-recipe training step (airbench94${recipe === 'muon' ? ', Muon + SGD groups' : ''}, batch ${o.batch}) on onednn, bf16 / float32, same invocation: median (min–max) of ${o.rounds} interleaved rounds`,
    ratio: spread(bf16.map((v, i) => v / f32[i]!)),
    rounds: bf16.map((v, i) => ratio(v, f32[i]!)),
    float32: { trainImgPerSec: spread(f32) },
    bf16: { trainImgPerSec: spread(bf16) },
  });
}
