import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { resnet18 } from '@cnn/models';
import { saveModel } from '@cnn/train';
import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLayersModelFrom } from './load.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'cnn-tune-load-'));
let server: FastifyInstance;
let base = '';
const dir = path.join(tmp, 'model');

beforeAll(async () => {
  tf.setBackend('cpu');
  const m = resnet18({ stem: 'cifar', baseWidth: 2, numClasses: 3, inputShape: [8, 8, 3], seed: 4 });
  await saveModel(m, dir);
  m.dispose();
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  json.weightsManifest[0].paths = ['../secret.bin'];
  writeFileSync(path.join(dir, 'escape.json'), JSON.stringify(json));
  server = Fastify();
  server.get('/models/good/model.json', async (_req, reply) => reply.type('application/json').send(readFileSync(path.join(dir, 'model.json'))));
  server.get('/models/good/weights.bin', async (_req, reply) => reply.type('application/octet-stream').send(readFileSync(path.join(dir, 'weights.bin'))));
  server.get('/models/bad/model.json', async (_req, reply) => reply.type('application/json').send(readFileSync(path.join(dir, 'escape.json'))));
  await server.listen({ port: 0, host: '127.0.0.1' });
  const addr = server.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('loadLayersModelFrom', () => {
  it('loads the same model from a folder, a model.json path and an http URL', async () => {
    const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 1);
    const outs: number[][] = [];
    for (const src of [dir, path.join(dir, 'model.json'), `${base}/models/good/model.json`]) {
      const m = await loadLayersModelFrom(src);
      const y = m.predict(x) as tf.Tensor;
      outs.push(Array.from(y.dataSync()));
      y.dispose();
      m.dispose();
    }
    expect(outs[1]).toEqual(outs[0]);
    expect(outs[2]).toEqual(outs[0]);
    x.dispose();
  });

  it('a URL that answers 404 names the URL and the status', async () => {
    await expect(loadLayersModelFrom(`${base}/models/missing/model.json`)).rejects.toThrow(`${base}/models/missing/model.json answered 404 Not Found`);
  });

  it('refuses weight paths that leave the model folder (URL and local folder via @cnn/train loadModel)', async () => {
    await expect(loadLayersModelFrom(`${base}/models/bad/model.json`)).rejects.toThrow(
      `loadLayersModelFrom: ${base}/models/bad/model.json: weight path '../secret.bin' is outside the model folder`,
    );
    const bad = path.join(tmp, 'bad');
    rmSync(bad, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'model.json'), readFileSync(path.join(dir, 'escape.json')));
    await expect(loadLayersModelFrom(bad)).rejects.toThrow(/loadModel: .*model\.json: weight path '\.\.\/secret\.bin' is outside the model folder/);
  });
});
