/**
 * File size and MNIST test accuracy per storage format: `pnpm --filter @cnn/deploy quantize-table --
 * --models .cache/mnistnet[,.cache/improved] [--out FILE]`. For each trained model folder: TF.js float32
 * / float16 / uint8 weights (saveModelFiles → loadModelFiles) and ONNX float32 / int8 (onnxruntime-node),
 * accuracy on the 10,000 test images and the delta vs float32, and tfjs predict time for the test set.
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '@cnn/backend-onednn';
import { DataLoader, MNIST_MEAN, MNIST_STD } from '@cnn/data';
import { loadMnist, writeJsonAtomic } from '@cnn/data/node';
import '@cnn/models';
import { loadModelFiles, optimizeForInference, saveModelFiles } from '../src/index.js';
import { exportOnnx } from '../src/onnx/index.js';
import { cliArgs, userPath } from './cli-args.js';

const { values } = parseArgs({ args: cliArgs(), options: { models: { type: 'string', default: '.cache/mnistnet' }, out: { type: 'string' } } });
await selectBackend('auto', { fallback: true });
const { test } = await loadMnist({ split: 'test' });
const batch = new DataLoader(test, { batchSize: test.length, mean: MNIST_MEAN, std: MNIST_STD })[Symbol.iterator]().next().value!;
const x = batch.x;
const labels = test.labels;
const accuracy = (logits: Float32Array): number => {
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < 10; c++) if (logits[i * 10 + c]! > logits[i * 10 + best]!) best = c;
    if (best === labels[i]) ok++;
  }
  return ok / labels.length;
};
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'quant-table-'));
const rows: { model: string; format: string; bytes: number; acc: number; deltaPts: number; predictSeconds: number }[] = [];
for (const dir of values.models!.split(',')) {
  const name = path.basename(dir);
  const model = optimizeForInference(await loadModelFiles(userPath(dir)));
  let base = NaN;
  for (const q of [null, 'float16', 'uint8'] as const) {
    const out = path.join(tmp, `${name}-${q ?? 'float32'}`);
    const saved = await saveModelFiles(model, out, { quantization: q });
    const loaded = await loadModelFiles(out);
    const t0 = performance.now();
    const pred = loaded.predict(x, { batchSize: x.shape[0] }) as tf.Tensor;
    const logits = pred.dataSync() as Float32Array; // read outside tf.tidy, which would walk every element
    pred.dispose();
    const secs = (performance.now() - t0) / 1000;
    const acc = accuracy(logits);
    if (q === null) base = acc;
    rows.push({
      model: name,
      format: `tfjs ${q ?? 'float32'}`,
      bytes: saved.weightBytes + saved.modelJsonBytes,
      acc,
      deltaPts: (acc - base) * 100,
      predictSeconds: secs,
    });
    loaded.dispose();
  }
  for (const w of ['float32', 'int8'] as const) {
    const bytes = exportOnnx(model, { weights: w });
    const session = await ort.InferenceSession.create(bytes);
    const t0 = performance.now();
    const res = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape) });
    const secs = (performance.now() - t0) / 1000;
    const acc = accuracy(res[session.outputNames[0]!]!.data as Float32Array);
    rows.push({ model: name, format: `onnx ${w}`, bytes: bytes.byteLength, acc, deltaPts: (acc - base) * 100, predictSeconds: secs });
    await session.release();
  }
}
await fs.rm(tmp, { recursive: true, force: true });
for (const r of rows) console.log(JSON.stringify(r));
console.log('\n| model | format | size (bytes) | test acc | Δ vs tfjs float32 (pts) | predict 10k (s) |\n|---|---|---:|---:|---:|---:|');
for (const r of rows)
  console.log(
    `| ${r.model} | ${r.format} | ${r.bytes.toLocaleString('en-US')} | ${(r.acc * 100).toFixed(2)}% | ${r.deltaPts >= 0 ? '+' : ''}${r.deltaPts.toFixed(2)} | ${r.predictSeconds.toFixed(2)} |`,
  );
if (values.out) await writeJsonAtomic(userPath(values.out), rows);
