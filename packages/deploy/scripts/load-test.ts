/**
 * Load test on loopback: starts `scripts/serve.ts` as a child process, sends `--requests` (1000) PNG
 * predictions at concurrency `--connections` (32) with autocannon, prints p50/p99 latency, errors and
 * the server's RSS (from /metrics) before and after, as JSON and a line of text.
 *
 *   pnpm --filter @cnn/deploy load-test -- --model .cache/mnistnet
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadMnist } from '@cnn/data/node';
import { fileURLToPath } from 'node:url';
import { cliArgs, userPath } from './cli-args.js';

const { values } = parseArgs({
  args: cliArgs(),
  options: {
    model: { type: 'string' }, // default: this package's .cache/mnistnet
    requests: { type: 'string', default: '1000' },
    connections: { type: 'string', default: '32' },
    backend: { type: 'string', default: 'auto' },
  },
});
const modelDir = values.model ? userPath(values.model) : fileURLToPath(new URL('../.cache/mnistnet', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/serve.ts', '--model', modelDir, '--port', '0', '--backend', values.backend!], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
});
const rss = async (): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/cnn_process_resident_memory_bytes (\d+)/.exec(text)![1]) / 2 ** 20;
};
const { test } = await loadMnist({ split: 'test' });
const png = await sharp(Buffer.from(test.images.subarray(0, 784)), { raw: { width: 28, height: 28, channels: 1 } })
  .png()
  .toBuffer();
await fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png }); // warm-up
const rssBefore = await rss();
const r = await autocannon({
  url: `${url}/v1/predict`,
  method: 'POST',
  headers: { 'content-type': 'image/png' },
  body: png,
  connections: Number(values.connections),
  amount: Number(values.requests),
  timeout: 30,
});
const rssAfter = await rss();
const metrics = await (await fetch(`${url}/metrics`)).text();
const batches = Number(/cnn_predict_batch_size_count (\d+)/.exec(metrics)?.[1]);
const samples = Number(/cnn_predict_batch_size_sum (\d+)/.exec(metrics)?.[1]);
child.kill('SIGTERM');
const result = {
  requests: r.requests.sent,
  connections: Number(values.connections),
  ok: r['2xx'],
  errors: r.errors,
  timeouts: r.timeouts,
  non2xx: r.non2xx,
  p50Ms: r.latency.p50,
  p99Ms: r.latency.p99,
  reqPerSec: r.requests.average,
  meanBatch: samples / batches,
  rssBeforeMiB: Number(rssBefore.toFixed(1)),
  rssAfterMiB: Number(rssAfter.toFixed(1)),
};
console.log(JSON.stringify(result));
console.log(
  `${result.ok}/${result.requests} ok, ${result.errors} errors, ${result.non2xx} non-2xx; p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ` +
    `${result.reqPerSec.toFixed(0)} req/s, mean batch ${result.meanBatch.toFixed(1)}; RSS ${result.rssBeforeMiB} → ${result.rssAfterMiB} MiB`,
);
process.exit(result.errors + result.non2xx + result.timeouts === 0 ? 0 : 1);
