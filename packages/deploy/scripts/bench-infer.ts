/**
 * Inference benchmark: `pnpm bench:infer [-- --models mnistnet,cifar10net --batches 1,32,256
 * --runtimes onednn-graph,onednn,cpu,wasm,onnxruntime --max-seconds 3 --rounds 3 --out FILE --profile]`.
 *
 * Each model is built with a fixed seed, optimised with `optimizeForInference` (BN folded, dropout
 * removed, ReLU fused) and exported to ONNX (float32). Runtimes: `onednn-graph` (`compileNative`: the whole
 * model in one native call on @cnn/backend-onednn), tfjs `onednn` (`predict`, kernels native), `cpu` (JS; only
 * batch × pixels ≤ 32 × 784, few iterations), `wasm` (tfjs-backend-wasm, local .wasm files, if it initialises) and ONNX
 * Runtime (onnxruntime-node CPU execution provider). Per (model, batch), `--rounds` rounds (default 3) run every
 * runtime in turn — interleaved, so that a drift in the shared host's speed hits all of them alike — each with 3
 * warm-up calls, then timed calls for `--max-seconds` (at least 3, at most 2,000: a 0.1 ms call gets hundreds).
 * A runtime's row is its round with the median p50; the ratio ours / ONNX Runtime is the median of the rounds'
 * ratios (min–max in the second table). Prints JSON lines, then the Markdown tables. `--profile` prints each
 * onednn-graph op's time (stderr) and the convolution algorithm `winogradTile: 'auto'` chose.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '@cnn/data/node';
import { getBinding, isOnednnAvailable } from '@cnn/backend-onednn';
import { getModel, getModelEntry } from '@cnn/models';
import { benchmark, compileNative, formatBenchTable, optimizeForInference, percentile, type BenchResult } from '../src/index.js';
import { exportOnnx } from '../src/onnx/index.js';
import { cliArgs, userPath } from './cli-args.js';

const { values } = parseArgs({
  args: cliArgs(),
  options: {
    models: { type: 'string', default: 'mnistnet,cifar10net' },
    batches: { type: 'string', default: '1,32,256' },
    runtimes: { type: 'string', default: 'onednn-graph,onednn,cpu,wasm,onnxruntime' },
    'max-seconds': { type: 'string', default: '1' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const batches = values.batches!.split(',').map(Number);
const runtimes = values.runtimes!.split(',');
const maxSeconds = Number(values['max-seconds']);
const rounds = Number(values.rounds);
const rows: BenchResult[] = [];
const emit = (r: BenchResult): void => {
  rows.push(r);
  console.log(JSON.stringify(r));
};

async function tryWasm(): Promise<string | null> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(`${dist}/`);
    if (!(await tf.setBackend('wasm'))) return 'tf.setBackend("wasm") failed';
    await tf.ready();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

await import('@tensorflow/tfjs-backend-cpu');
let wasmProblem: string | null = 'not requested';
if (runtimes.includes('wasm')) wasmProblem = await tryWasm();
if (wasmProblem) console.error(`wasm: skipped (${wasmProblem})`);

/** A runtime ready to time on one (model, batch): `select` runs before each round (tfjs backend switch). */
interface Runner {
  runtime: string;
  run: () => unknown;
  select?: () => Promise<unknown>;
  opts?: { iterations: number; warmup: number };
  dispose: () => Promise<unknown> | void;
}

/** Ratio spreads `ours / ONNX Runtime` per model, runtime and batch (median, min, max over the rounds). */
const ratios: { model: string; runtime: string; batch: number; median: number; min: number; max: number }[] = [];

for (const name of values.models!.split(',')) {
  const entry = getModelEntry(name);
  await tf.setBackend('cpu');
  const model = optimizeForInference(getModel(name, { seed: 1 }));
  const onnx = exportOnnx(model);
  for (const batch of batches) {
    const x = tf.randomUniform([batch, ...entry.inputShape], -1, 1, 'float32', 7);
    const data = x.dataSync() as Float32Array;
    const runners: Runner[] = [];
    for (const rt of runtimes) {
      if (rt === 'onnxruntime') {
        const session = await ort.InferenceSession.create(onnx, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
        const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', data, [batch, ...entry.inputShape]) };
        runners.push({ runtime: rt, run: async () => (await session.run(feeds))[session.outputNames[0]!]!.data, dispose: () => session.release() });
        continue;
      }
      if (rt.startsWith('onednn') && !isOnednnAvailable()) {
        console.error(`${rt}: skipped (native addon unavailable)`);
        continue;
      }
      if (rt === 'onednn-graph') {
        const native = await compileNative(model);
        native.predictArray(data, batch); // builds (and tunes) this batch size's plan before timing
        if (values.profile) {
          for (const p of native.profile(data, batch, 5)) console.error(`  ${name} b${batch} ${p.ms.toFixed(3).padStart(9)} ms  ${p.op}`);
        }
        runners.push({ runtime: rt, run: () => native.predictArray(data, batch), dispose: () => native.dispose() });
        continue;
      }
      if (rt === 'wasm' && wasmProblem) continue;
      // The JS reference backend takes seconds per call: only small work (MNIST ≤ 32, CIFAR batch 1).
      if (rt === 'cpu' && batch * entry.inputShape.reduce((a, b) => a * b, 1) > 32 * 784) continue;
      await tf.setBackend(rt);
      const xb = tf.tensor(data, x.shape);
      runners.push({
        runtime: rt,
        select: () => tf.setBackend(rt),
        run: () =>
          tf.tidy(() => {
            (model.predict(xb, { batchSize: batch }) as tf.Tensor).dataSync();
          }),
        opts: rt === 'cpu' ? { iterations: 5, warmup: 1 } : undefined,
        dispose: () => xb.dispose(),
      });
    }
    const byRuntime = new Map<string, BenchResult[]>();
    for (let round = 0; round < rounds; round++) {
      for (const r of runners) {
        await r.select?.();
        const res = await benchmark(r.runtime, name, batch, r.run, { maxSeconds, iterations: 2000, warmup: 3, ...r.opts });
        console.log(JSON.stringify({ round, ...res }));
        byRuntime.set(r.runtime, [...(byRuntime.get(r.runtime) ?? []), res]);
      }
    }
    const ortRounds = byRuntime.get('onnxruntime');
    for (const [runtime, results] of byRuntime) {
      const sorted = [...results].sort((a, b) => a.p50Ms - b.p50Ms);
      emit(sorted[(sorted.length - 1) >> 1]!);
      if (!ortRounds || runtime === 'onnxruntime' || ortRounds.length !== results.length) continue;
      const rs = results.map((res, i) => res.imgPerSec / ortRounds[i]!.imgPerSec);
      ratios.push({ model: name, runtime, batch, median: percentile(rs, 0.5), min: Math.min(...rs), max: Math.max(...rs) });
    }
    for (const r of runners) await r.dispose();
    x.dispose();
  }
}
const table = formatBenchTable(rows);
console.log(`\n${table}`);
const ratioTable = [
  '| model | runtime | batch | ours / ONNX Runtime, median of rounds | min – max |',
  '|---|---|---:|---:|---:|',
  ...ratios.map((r) => `| ${r.model} | ${r.runtime} | ${r.batch} | **${r.median.toFixed(2)}×** | ${r.min.toFixed(2)} – ${r.max.toFixed(2)}× |`),
].join('\n');
if (ratios.length) console.log(`\n${ratioTable}`);
const info = isOnednnAvailable() ? getBinding().getInfo() : undefined;
console.log(
  `\n${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}, onnxruntime-node ${ort.env.versions.node}` +
    (info ? `, oneDNN ${info.onednnVersion} (${info.isa}, ${info.threads} threads)` : '') +
    `, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);
if (values.out) await writeJsonAtomic(userPath(values.out), { rows, ratios, rounds, table, ratioTable });
