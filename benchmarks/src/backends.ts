/**
 * `pnpm bench:backends` — every tfjs backend available on this machine, in one invocation, on the same
 * models: MNISTNet and airbench94 training img/s (`trainStep` of `@cnn/train`: forward in training mode, softmax
 * cross-entropy, backward, SGD-with-Nesterov update; the loss read back with `await data()` every step, so each
 * step is finished before the next is timed) and inference img/s at batch 1 and 256 (`predict` + `await data()`). JSON lines:
 *  - `{bench: 'backend', backend, available: true, reason, adapter?}` or `{…, available: false, why}` for
 *    every backend tried (`onednn`, `webgpu`, `wasm`, `tensorflow`, `cpu`);
 *  - `{bench: 'train' | 'infer', backend, model, batch, imgPerSec, steps}` per measurement;
 *  - on a software WebGPU adapter every line of that backend carries `note: 'software adapter: not a benchmark'`
 *    (the GPU is emulated on the CPU; the figures say nothing about a GPU).
 * Random inputs (uniform [0, 1)), weights seeded; numbers are throughput, not accuracy.
 * Flags: `--backends a,b` (default all), `--models mnist,airbench94` (default both), `--train-batch N`
 * (default 64), `--steps N` timed training steps (default 5, after 1 warm-up), `--runs N` timed inferences per
 * batch size (default 3, after 1 warm-up; batch 1 runs 10× as many).
 */
import { parseArgs } from 'node:util';
import { BACKEND_CHOICES, type BackendChoice, disposeWebGpu, selectBackend, type WebGpuAdapterInfo } from '@cnn/backend-onednn';
import { airbench94, mnistNet } from '@cnn/models';
import { SGD, trainStep } from '@cnn/train';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import { emit, runMain } from './common.js';

const MODELS = {
  mnist: { build: () => mnistNet({ seed: 0 }), input: [28, 28, 1] },
  airbench94: { build: () => airbench94({ seed: 0 }), input: [32, 32, 3] },
} as const;
type ModelName = keyof typeof MODELS;

/** Training img/s over `steps` steps after one warm-up step. */
async function trainThroughput(model: tfl.LayersModel, input: readonly number[], batch: number, steps: number): Promise<number> {
  const x = tf.randomUniform([batch, ...input], 0, 1, 'float32', 1);
  const y = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => i % 10),
    'int32',
  );
  const opt = new SGD({ lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  const step = async () => {
    await trainStep(model, x, y, opt);
  };
  await step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([x, y]);
  opt.dispose();
  return (batch * steps) / seconds;
}

/** Inference img/s at `batch` over `runs` calls after one warm-up call. */
async function inferThroughput(model: tfl.LayersModel, input: readonly number[], batch: number, runs: number): Promise<number> {
  const x = tf.randomUniform([batch, ...input], 0, 1, 'float32', 2);
  const once = async () => {
    const out = model.predict(x, { batchSize: batch }) as tf.Tensor;
    await out.data();
    out.dispose();
  };
  await once();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await once();
  const seconds = (performance.now() - t0) / 1000;
  x.dispose();
  return (batch * runs) / seconds;
}

runMain(async () => {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      backends: { type: 'string', default: 'onednn,webgpu,wasm,tensorflow,cpu' },
      models: { type: 'string', default: 'mnist,airbench94' },
      'train-batch': { type: 'string', default: '64' },
      steps: { type: 'string', default: '5' },
      runs: { type: 'string', default: '3' },
    },
  });
  const backends = values.backends.split(',').filter(Boolean);
  for (const b of backends) {
    if (b === 'auto' || !(BACKEND_CHOICES as readonly string[]).includes(b)) {
      throw new Error(`--backends: unknown backend "${b}"; expected some of ${BACKEND_CHOICES.filter((c) => c !== 'auto').join(', ')}`);
    }
  }
  const models = values.models.split(',').filter(Boolean);
  for (const m of models) if (!(m in MODELS)) throw new Error(`--models: unknown model "${m}"; expected some of ${Object.keys(MODELS).join(', ')}`);
  const positive = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} must be a positive integer, got "${v}"`);
    return n;
  };
  const trainBatch = positive('train-batch', values['train-batch']);
  const steps = positive('steps', values.steps);
  const runs = positive('runs', values.runs);

  for (const backend of backends as BackendChoice[]) {
    let adapter: WebGpuAdapterInfo | undefined;
    try {
      const chosen = await selectBackend(backend, { log: () => {} });
      adapter = chosen.adapter;
      emit({ bench: 'backend', backend, available: true, reason: chosen.reason, ...(adapter ? { adapter } : {}) });
    } catch (error) {
      emit({ bench: 'backend', backend, available: false, why: (error instanceof Error ? error.message : String(error)).split('\n')[0] });
      continue;
    }
    const note = adapter?.software ? { note: 'software adapter: not a benchmark' } : {};
    for (const name of models as ModelName[]) {
      const { build, input } = MODELS[name];
      const model = build();
      const train = await trainThroughput(model, input, trainBatch, steps);
      emit({ bench: 'train', backend, model: name, batch: trainBatch, imgPerSec: Math.round(train * 10) / 10, steps, ...note });
      for (const batch of [1, 256]) {
        const n = batch === 1 ? runs * 10 : runs;
        const infer = await inferThroughput(model, input, batch, n);
        emit({ bench: 'infer', backend, model: name, batch, imgPerSec: Math.round(infer * 10) / 10, runs: n, ...note });
      }
      model.dispose();
    }
    if (backend === 'webgpu') {
      await tf.setBackend('cpu');
      disposeWebGpu();
    }
  }
});
