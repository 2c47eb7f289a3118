import * as tf from '@tensorflow/tfjs-core';
import autocannon from 'autocannon';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setModelMetadata } from '@cnn/core';
import { MNIST_CLASSES, MNIST_MEAN, MNIST_STD } from '@cnn/data';
import { loadMnist } from '@cnn/data/node';
import { mnistNet } from '@cnn/models';
import { useTestBackend } from '../testing/backend.js';
import { decodeImageInput } from './decode-input.js';
import { compileNative } from '../native.js';
import { createInferenceServer } from './inference-server.js';

const model = mnistNet({ seed: 21 });
setModelMetadata(model, { normalization: { mean: [MNIST_MEAN], std: [MNIST_STD] } });
let png: Buffer;
let png2: Buffer;

beforeAll(async () => {
  await useTestBackend();
  const { test } = await loadMnist({ split: 'test' });
  const img = (i: number) =>
    sharp(Buffer.from(test.images.subarray(i * 784, (i + 1) * 784)), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
  png = await img(0);
  png2 = await img(1);
});

function inject(app: FastifyInstance, body: Buffer | object, type = 'image/png') {
  return app.inject({ method: 'POST', url: '/v1/predict', headers: { 'content-type': type }, payload: Buffer.isBuffer(body) ? body : JSON.stringify(body) });
}

describe('createInferenceServer normalisation', () => {
  it('takes the normalisation and labels from the model metadata and refuses a model without it', async () => {
    const bare = mnistNet({ seed: 22 });
    expect(() => createInferenceServer({ model: bare })).toThrow(/the model has no normalisation metadata/);
    setModelMetadata(bare, { normalization: { mean: [0.5], std: [0.5] }, classNames: [...MNIST_CLASSES].map((c) => `digit ${c}`) });
    const app = createInferenceServer({ model: bare });
    const res = await inject(app, png);
    expect(res.statusCode).toBe(200);
    const got = (res.json() as { predictions: { label: string; probability: number }[] }).predictions;
    const x = await decodeImageInput(png, [28, 28, 1], { mean: [0.5], std: [0.5] });
    const probs = tf.tidy(() => Array.from(tf.softmax(bare.predict(tf.tensor4d(x, [1, 28, 28, 1])) as tf.Tensor).dataSync()));
    const best = probs.indexOf(Math.max(...probs));
    expect(got[0].label).toBe(`digit ${best}`);
    expect(got[0].probability).toBeCloseTo(probs[best], 5);
    await app.close();
    const rgb = mnistNet({ seed: 23 });
    rgb.setUserDefinedMetadata({ cnn: { normalization: { mean: [0.1, 0.2], std: [1, 1] } } });
    expect(() => createInferenceServer({ model: rgb })).toThrow(/normalization.mean must be 1 or 1 finite numbers/);
  });
});

describe('createInferenceServer', () => {
  let app: FastifyInstance;
  beforeAll(() => {
    app = createInferenceServer({ model, bodyLimit: 64 * 1024 });
  });
  afterAll(async () => {
    await app.close();
  });

  it('PNG and JSON bodies give the model softmax top-3, descending', async () => {
    const x = await decodeImageInput(png, [28, 28, 1], { mean: [MNIST_MEAN], std: [MNIST_STD] });
    const want = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(x, [1, 28, 28, 1])) as tf.Tensor).dataSync());
    const order = Array.from(want.keys()).sort((a, b) => want[b]! - want[a]!);
    const res = await inject(app, png);
    expect(res.statusCode).toBe(200);
    const { predictions } = res.json() as { predictions: { label: string; probability: number }[] };
    expect(predictions.map((p) => p.label)).toEqual(order.slice(0, 3).map(String));
    predictions.forEach((p, i) => expect(p.probability).toBeCloseTo(want[order[i]!]!, 5));
    const json = await inject(app, { tensor: Array.from(x), shape: [1, 28, 28, 1] }, 'application/json');
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual(res.json());
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok', inputShape: [28, 28, 1] });
  });

  it('413 for an oversized body, 400 for an undecodable image or a wrong JSON shape, 415 for other types', async () => {
    const big = await inject(app, Buffer.alloc(65 * 1024, 1));
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toBe('request body exceeds the limit of 65536 bytes');
    const junk = await inject(app, Buffer.from('definitely not a png'));
    expect(junk.statusCode).toBe(400);
    expect(junk.json().error).toMatch(/body is not a decodable image/);
    const shape = await inject(app, { tensor: [1, 2, 3], shape: [3, 1, 1] }, 'application/json');
    expect(shape.statusCode).toBe(400);
    expect(shape.json().error).toBe('"shape" [3,1,1] does not match the model input [28,28,1] (height, width, channels; optional leading batch 1)');
    const count = await inject(app, { tensor: [1, 2, 3], shape: [28, 28, 1] }, 'application/json');
    expect(count.json().error).toBe('"tensor" has 3 values, shape [28,28,1] needs 784');
    const nan = await inject(app, { tensor: [[1, 'x']], shape: [28, 28, 1] }, 'application/json');
    expect(nan.json().error).toMatch(/"tensor" must contain only finite numbers, found "x"/);
    const text = await inject(app, Buffer.from('hi'), 'text/plain');
    expect(text.statusCode).toBe(400);
    expect(text.json().error).toMatch(/^unsupported body; send an image/);
    expect((await inject(app, Buffer.from('<a/>'), 'application/xml')).statusCode).toBe(415);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/cnn_http_requests_total\{route="\/v1\/predict",status="413"\} 1/);
    expect(metrics).toMatch(/cnn_http_errors_total\{route="\/v1\/predict",kind="client"\} [6-9]/);
    expect(metrics).toMatch(/cnn_http_request_duration_seconds_bucket\{le="0.1",route="\/v1\/predict"\} \d+/);
  });
});

describe('batching, crash isolation, shutdown, load', () => {
  it('serves a compileNative model (pnpm serve --native) with the same probabilities', async () => {
    const native = await compileNative(model);
    const app = createInferenceServer({ model });
    const nativeApp = createInferenceServer({
      model: { predict: (x) => native.predict(x), inputs: model.inputs, getUserDefinedMetadata: () => model.getUserDefinedMetadata() },
    });
    try {
      const a = (await inject(app, png)).json() as { predictions: { label: string; probability: number }[] };
      const b = (await inject(nativeApp, png)).json() as { predictions: { label: string; probability: number }[] };
      expect(b.predictions.map((p) => p.label)).toEqual(a.predictions.map((p) => p.label));
      b.predictions.forEach((p, i) => expect(p.probability).toBeCloseTo(a.predictions[i]!.probability, 5));
    } finally {
      await Promise.all([app.close(), nativeApp.close()]);
      native.dispose();
    }
  });

  it('micro-batches concurrent requests into few predicts', async () => {
    const app = createInferenceServer({ model, maxBatch: 8, maxDelayMs: 50 });
    const replies = await Promise.all(Array.from({ length: 16 }, (_, i) => inject(app, i % 2 ? png : png2)));
    expect(replies.every((r) => r.statusCode === 200)).toBe(true);
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/cnn_predict_batch_size_sum 16/);
    expect(Number(/cnn_predict_batch_size_count (\d+)/.exec(metrics)![1])).toBeLessThanOrEqual(4);
    await app.close();
  });

  it('a request that crashes the model fails alone; the server keeps serving', async () => {
    const fragile = {
      inputs: model.inputs,
      getUserDefinedMetadata: () => model.getUserDefinedMetadata(),
      predict(x: tf.Tensor): tf.Tensor {
        if (tf.tidy(() => tf.any(tf.equal(x, 42)).dataSync()[0])) throw new Error('kernel exploded on 42');
        return model.predict(x) as tf.Tensor;
      },
    };
    const app = createInferenceServer({ model: fragile, maxBatch: 8, maxDelayMs: 30 });
    const poison = { tensor: new Array(784).fill(42), shape: [28, 28, 1] };
    const replies = await Promise.all([inject(app, png), inject(app, poison, 'application/json'), inject(app, png2), inject(app, png)]);
    expect(replies.map((r) => r.statusCode)).toEqual([200, 500, 200, 200]);
    expect(replies[1]!.json().error).toBe('prediction failed: kernel exploded on 42');
    expect((await inject(app, png)).statusCode).toBe(200);
    await app.close();
  });

  it('graceful shutdown: in-flight requests finish', async () => {
    const app = createInferenceServer({ model, maxDelayMs: 60_000, maxBatch: 64 });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    let received = 0;
    const all = new Promise<void>((resolve) =>
      app.server.on('request', () => {
        if (++received === 12) resolve();
      }),
    );
    const pending = Array.from({ length: 12 }, () => fetch(`${url}/v1/predict`, { method: 'POST', headers: { 'content-type': 'image/png' }, body: png }));
    await all;
    await new Promise((r) => setTimeout(r, 50)); // decoded and queued in the batcher, which would wait 60 s
    await app.close();
    const statuses = await Promise.all(pending.map(async (p) => (await p).status));
    expect(statuses).toEqual(new Array(12).fill(200));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('autocannon: 200 requests at concurrency 32 on 127.0.0.1 → 0 errors', async () => {
    const app = createInferenceServer({ model });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const result = await autocannon({
      url: `${url}/v1/predict`,
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: png,
      connections: 32,
      amount: 200,
      timeout: 30,
    });
    await app.close();
    expect(result.errors).toBe(0);
    expect(result.timeouts).toBe(0);
    expect(result.non2xx).toBe(0);
    expect(result['2xx']).toBe(200);
  });
});
