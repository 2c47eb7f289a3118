/**
 * MNISTNet training-step profile on a tfjs backend: ms/step, img/s and a per-kernel time breakdown, plus
 * eval (batch 1000) throughput. Usage:
 *   pnpm exec tsx scripts/profile-step.ts [--backend onednn|cpu] [--steps 30] [--warmup 5] [--batch 64]
 *     [--no-kernels] [--eval-batch 1000] [--optimizer fused|ops|tfjs] [--pool-ab 0]
 *     [--pool-bytes 268435456]
 * The network is @cnn/models' `mnistNet` (conv5x5 1→32 relu, maxpool2, conv5x5 32→64 relu, maxpool2, flatten,
 * dense 1024→128 relu, seeded dropout 0.5, dense 128→10; NHWC; fused conv/dense layers); Adam(1e-3); softmax
 * cross-entropy. Data is random (timing only).
 * `--optimizer`: `fused` (default) is @cnn/train's Adam, which runs the backend's `CnnAdamUpdate` kernel when
 * registered; `ops` is the same Adam forced onto its tf-op path; `tfjs` is `tf.train.adam`. The models and train
 * sources are imported by relative path (dev script only: those packages devDepend on this one, not the reverse).
 * `--pool-ab R` (onednn only): before the profile, R rounds alternating the output-buffer pool off
 * (`maxPoolBytes = 0`) and on, `--steps` timed steps each, in this one process; prints min/p25/median per step.
 * `--pool-bytes N` sets the backend's `maxPoolBytes` for the profile (0 disables buffer recycling).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';

import { mnistNet } from '../../models/src/index.js';
import { Adam } from '../../train/src/optimizers/adam.js';
import { DEFAULT_POOL_BYTES, getBinding, type OnednnBackend, selectBackend } from '../src/index.js';
import { arg, KernelProfiler } from './kernel-profiler.js';

const profiler = new KernelProfiler();

async function main(): Promise<void> {
  const backend = arg('backend', 'onednn');
  const steps = Number(arg('steps', '30'));
  const warmup = Number(arg('warmup', '5'));
  const batch = Number(arg('batch', '64'));
  const evalBatch = Number(arg('eval-batch', '1000'));
  const kernels = !process.argv.includes('--no-kernels');
  const chosen = await selectBackend(backend as 'onednn');
  console.log(`backend: ${chosen.backend} (${chosen.reason})`);
  if (chosen.backend === 'onednn') console.log('native:', JSON.stringify(getBinding().getInfo()));
  profiler.byShape = process.argv.includes('--by-shape');
  if (kernels) profiler.instrument(chosen.backend);
  if (chosen.backend === 'onednn') {
    (tf.backend() as OnednnBackend).maxPoolBytes = Number(arg('pool-bytes', String(DEFAULT_POOL_BYTES)));
  }

  const model = mnistNet({ seed: 0 });
  const which = arg('optimizer', 'fused');
  const tfjsAdam = tf.train.adam(1e-3);
  const cnnAdam = new Adam({ lr: 1e-3, fused: which === 'fused' });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const varMap = Object.fromEntries(vars.map((v) => [v.name, v]));
  console.log(`optimizer: ${which === 'tfjs' ? 'tf.train.adam' : `@cnn/train Adam (${which})`}`);
  const x = tf.randomUniform([batch, 28, 28, 1]);
  const labels = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32') as tf.Tensor1D, 10);

  const step = (): number => {
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor;
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    }, vars);
    if (which === 'tfjs') tfjsAdam.applyGradients(grads as unknown as Parameters<typeof tfjsAdam.applyGradients>[0]);
    else cnnAdam.step(grads, varMap);
    const loss = value.dataSync()[0]!;
    value.dispose();
    tf.dispose(grads);
    return loss;
  };

  for (let i = 0; i < warmup; i++) step();
  const abRounds = Number(arg('pool-ab', '0'));
  if (abRounds > 0 && chosen.backend === 'onednn') {
    const ob = tf.backend() as OnednnBackend;
    const bound = ob.maxPoolBytes;
    const times = { off: [] as number[], on: [] as number[] };
    for (let r = 0; r < abRounds; r++) {
      for (const mode of ['off', 'on'] as const) {
        ob.maxPoolBytes = mode === 'on' ? bound : 0;
        ob.clearPool();
        step(); // refills the pool (or drains it) before timing
        for (let i = 0; i < steps; i++) {
          const ta = process.hrtime.bigint();
          step();
          times[mode].push(Number(process.hrtime.bigint() - ta) / 1e6);
        }
      }
    }
    ob.maxPoolBytes = bound;
    const summary = (t: number[]) => {
      const sorted = [...t].sort((p, q) => p - q);
      return (
        `min ${sorted[0]!.toFixed(2)} / p25 ${sorted[Math.floor(sorted.length / 4)]!.toFixed(2)} / median ` +
        `${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} ms/step`
      );
    };
    console.log(
      `pool A/B (${abRounds} rounds x ${steps} steps each): off ${summary(times.off)}; ` + `on ${summary(times.on)}; ${JSON.stringify(ob.poolStats())}`,
    );
  }
  const before = tf.memory().numTensors;
  profiler.on = kernels;
  const t0 = process.hrtime.bigint();
  let loss = 0;
  for (let i = 0; i < steps; i++) loss = step();
  const total = Number(process.hrtime.bigint() - t0) / 1e6;
  profiler.on = false;
  const msPerStep = total / steps;
  console.log(
    `train: ${msPerStep.toFixed(2)} ms/step, ${((batch * 1000) / msPerStep).toFixed(0)} img/s ` +
      `(batch ${batch}, ${steps} steps, loss ${loss.toFixed(4)}, tensors ${before} -> ${tf.memory().numTensors})`,
  );
  if (kernels) profiler.print(total, steps);
  if (evalBatch > 0) {
    const xe = tf.randomUniform([evalBatch, 28, 28, 1]);
    for (let i = 0; i < 2; i++)
      tf.tidy(() => {
        (model.predict(xe) as tf.Tensor).dataSync();
      });
    const reps = 5;
    const te = process.hrtime.bigint();
    for (let i = 0; i < reps; i++)
      tf.tidy(() => {
        (model.predict(xe) as tf.Tensor).dataSync();
      });
    const ms = Number(process.hrtime.bigint() - te) / 1e6 / reps;
    console.log(`eval: ${ms.toFixed(2)} ms/batch of ${evalBatch}, ${((evalBatch * 1000) / ms).toFixed(0)} img/s`);
    xe.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
