/**
 * Inference benchmark: `pnpm bench:infer [-- --models mnistnet,cifar10net --batches 1,32,256
 * --runtimes onednn-graph,onednn,cpu,wasm,onnxruntime --max-seconds 3 --out FILE --profile]`.
 *
 * Each model is built with a fixed seed, optimised with `optimizeForInference` (BN folded, dropout
 * removed, ReLU fused) and exported to ONNX (float32). Runtimes: `onednn-graph` (`compileNative`: the whole
 * model in one native call on @cnn/backend-onednn), tfjs `onednn` (`predict`, kernels native), `cpu` (JS; only
 * batch × pixels ≤ 32 × 784, few iterations), `wasm` (tfjs-backend-wasm, local .wasm files, if it initialises) and ONNX
 * Runtime (onnxruntime-node CPU execution provider). Per (model, runtime, batch): 3 warm-up calls, then
 * up to 20 timed calls or `--max-seconds`; p50/p95 latency and img/s. Prints JSON lines, then a Markdown
 * table with the throughput ratio ours / ONNX Runtime. `--profile` prints each onednn-graph op's time (stderr).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from '@cnn/data';
import { getBinding, isOnednnAvailable } from '@cnn/backend-onednn';
import { getModel, getModelEntry } from '@cnn/models';
import { benchmark, compileNative, exportOnnx, formatBenchTable, optimizeForInference, type BenchResult } from '../src/index';
import { cliArgs, userPath } from './cli-args';

const { values } = parseArgs({
  args: cliArgs(),
  options: {
    models: { type: 'string', default: 'mnistnet,cifar10net' },
    batches: { type: 'string', default: '1,32,256' },
    runtimes: { type: 'string', default: 'onednn-graph,onednn,cpu,wasm,onnxruntime' },
    'max-seconds': { type: 'string', default: '3' },
    out: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
});
const batches = values.batches!.split(',').map(Number);
const runtimes = values.runtimes!.split(',');
const maxSeconds = Number(values['max-seconds']);
const rows: BenchResult[] = [];
const emit = (r: BenchResult): void => { rows.push(r); console.log(JSON.stringify(r)); };

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

for (const name of values.models!.split(',')) {
  const entry = getModelEntry(name);
  await tf.setBackend('cpu');
  const model = optimizeForInference(getModel(name, { seed: 1 }));
  const onnx = exportOnnx(model);
  for (const batch of batches) {
    const x = tf.randomUniform([batch, ...entry.inputShape], -1, 1, 'float32', 7);
    const data = x.dataSync() as Float32Array;
    for (const rt of runtimes) {
      if (rt === 'onnxruntime') {
        const session = await ort.InferenceSession.create(onnx, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
        const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', data, [batch, ...entry.inputShape]) };
        emit(await benchmark(rt, name, batch, async () => (await session.run(feeds))[session.outputNames[0]!]!.data, { maxSeconds }));
        await session.release();
        continue;
      }
      if (rt.startsWith('onednn') && !isOnednnAvailable()) { console.error(`${rt}: skipped (native addon unavailable)`); continue; }
      if (rt === 'onednn-graph') {
        const native = await compileNative(model);
        emit(await benchmark(rt, name, batch, () => native.predictArray(data, batch), { maxSeconds }));
        if (values.profile) {
          for (const p of native.profile(data, batch, 5)) console.error(`  ${name} b${batch} ${p.ms.toFixed(3).padStart(9)} ms  ${p.op}`);
        }
        native.dispose();
        continue;
      }
      if (rt === 'wasm' && wasmProblem) continue;
      // The JS reference backend takes seconds per call: only small work (MNIST ≤ 32, CIFAR batch 1).
      if (rt === 'cpu' && batch * entry.inputShape.reduce((a, b) => a * b, 1) > 32 * 784) continue;
      await tf.setBackend(rt);
      const xb = tf.tensor(data, x.shape);
      emit(await benchmark(rt, name, batch, () => tf.tidy(() => { (model.predict(xb, { batchSize: batch }) as tf.Tensor).dataSync(); }), { maxSeconds, iterations: rt === 'cpu' ? 5 : 20, warmup: rt === 'cpu' ? 1 : 3 }));
      xb.dispose();
    }
    x.dispose();
  }
}
const table = formatBenchTable(rows);
console.log(`\n${table}`);
const info = isOnednnAvailable() ? getBinding().getInfo() : undefined;
console.log(`\n${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, Node ${process.version}, onnxruntime-node ${ort.env.versions.node}` +
  (info ? `, oneDNN ${info.onednnVersion} (${info.isa}, ${info.threads} threads)` : '') + `, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
if (values.out) await writeJsonAtomic(userPath(values.out), { rows, table });
