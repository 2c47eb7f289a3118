import * as tf from '@tensorflow/tfjs-core';
import Fastify, { type FastifyInstance } from 'fastify';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { improvedMnistNet, mnistNet } from '@cnn/models';
import { ModelFileError } from './errors.js';
import { loadModelFiles, resolveWeightUrl, saveModelFiles } from './model-files.js';
import { float32ToFloat16Bits } from './quantize.js';
import { calibrateBatchNorm, maxAbsDiff, seededUniform, useTestBackend } from './testing/backend.js';

let tmp: string;
let server: FastifyInstance;
let baseUrl: string;

beforeAll(async () => {
  await useTestBackend();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'deploy-files-'));
  server = Fastify();
  server.get('/*', async (req, reply) => {
    const rel = decodeURIComponent((req.params as { '*': string })['*']);
    const file = path.resolve(tmp, rel);
    if (!file.startsWith(tmp + path.sep)) return reply.code(403).send('forbidden');
    try {
      return reply.type('application/octet-stream').send(await fs.readFile(file));
    } catch {
      return reply.code(404).send('not found');
    }
  });
  baseUrl = await server.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const input = (n: number): tf.Tensor4D => tf.tensor4d(seededUniform(n * 28 * 28, 3, -0.5, 2.5), [n, 28, 28, 1]);

describe('saveModelFiles / loadModelFiles', () => {
  it('shards weights and round-trips exactly (filesystem and http)', async () => {
    const model = improvedMnistNet({ seed: 2 });
    calibrateBatchNorm(model);
    const dir = path.join(tmp, 'sharded');
    const saved = await saveModelFiles(model, dir, { shardBytes: 400_000 });
    expect(saved.shards).toEqual(['group1-shard1of4.bin', 'group1-shard2of4.bin', 'group1-shard3of4.bin', 'group1-shard4of4.bin']);
    expect(saved.weightBytes).toBe((391_370 + 960) * 4);
    const sizes = await Promise.all(saved.shards.map(async (s) => (await fs.stat(path.join(dir, s))).size));
    expect(sizes).toEqual([400_000, 400_000, 400_000, saved.weightBytes - 1_200_000]);
    expect((await fs.readdir(tmp)).filter((f) => f.startsWith('.'))).toEqual([]); // no temp folder left
    const x = input(4);
    const want = model.predict(x) as tf.Tensor;
    for (const source of [dir, `${baseUrl}/sharded/model.json`]) {
      const loaded = await loadModelFiles(source);
      const got = loaded.predict(x) as tf.Tensor;
      expect(maxAbsDiff(got, want)).toBe(0);
      tf.dispose(got);
      loaded.dispose();
    }
    tf.dispose([x, want]);
  });

  it('float16 and uint8 weights: 1/2 and 1/4 of the bytes, loadable, close outputs', async () => {
    const model = mnistNet({ seed: 4 });
    const x = input(8);
    const want = model.predict(x) as tf.Tensor;
    const f32 = await saveModelFiles(model, path.join(tmp, 'f32'));
    const cases = [
      ['float16', 2, 1e-3],
      ['uint8', 4, 5e-2],
    ] as const;
    for (const [q, ratio, tol] of cases) {
      const saved = await saveModelFiles(model, path.join(tmp, q), { quantization: q });
      expect(saved.weightBytes).toBe(f32.weightBytes / ratio);
      const json = JSON.parse(await fs.readFile(path.join(tmp, q, 'model.json'), 'utf8'));
      expect(json.weightsManifest[0].weights[0].quantization.dtype).toBe(q);
      const loaded = await loadModelFiles(path.join(tmp, q));
      const orig = model.getWeights()[0]!.dataSync();
      const back = loaded.getWeights()[0]!.dataSync();
      const spec = json.weightsManifest[0].weights[0].quantization;
      for (let i = 0; i < orig.length; i++) {
        const bound = q === 'uint8' ? spec.scale / 2 + 1e-7 : Math.abs(orig[i]!) * 2 ** -11 + 2 ** -25;
        expect(Math.abs(back[i]! - orig[i]!)).toBeLessThanOrEqual(bound);
      }
      const got = loaded.predict(x) as tf.Tensor;
      expect(maxAbsDiff(got, want)).toBeLessThan(tol);
      tf.dispose(got);
      loaded.dispose();
    }
    tf.dispose([x, want]);
  });

  it('float32 → float16 bits: known answers', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00);
    expect(float32ToFloat16Bits(-2)).toBe(0xc000);
    expect(float32ToFloat16Bits(0.1)).toBe(0x2e66);
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff);
    expect(float32ToFloat16Bits(70000)).toBe(0x7c00);
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16Bits(1e-9)).toBe(0);
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });
});

describe('bad model files → clear errors', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(tmp, 'bad');
    await saveModelFiles(mnistNet({ seed: 1 }), dir, { shardBytes: 300_000 });
  });
  const edit = async (name: string, change: (json: Record<string, any>) => void): Promise<string> => {
    const target = path.join(tmp, name);
    await fs.cp(dir, target, { recursive: true });
    const json = JSON.parse(await fs.readFile(path.join(target, 'model.json'), 'utf8'));
    change(json);
    await fs.writeFile(path.join(target, 'model.json'), JSON.stringify(json));
    return target;
  };

  it('corrupt model.json names the file', async () => {
    const target = path.join(tmp, 'corrupt');
    await fs.cp(dir, target, { recursive: true });
    await fs.writeFile(path.join(target, 'model.json'), '{"modelTopology": {');
    await expect(loadModelFiles(target)).rejects.toThrow(new RegExp(`${path.join(target, 'model.json')} is not valid JSON`));
    const noTopo = await edit('no-topology', (j) => {
      delete j.modelTopology;
    });
    await expect(loadModelFiles(noTopo)).rejects.toThrow(/missing 'modelTopology' object/);
    const badSpec = await edit('bad-spec', (j) => {
      j.weightsManifest[0].weights[1].shape = [-1];
    });
    await expect(loadModelFiles(badSpec)).rejects.toThrow(/weights\[1\] \("conv1\/bias"\) needs a name, a shape of integers/);
  });

  it('a truncated shard names the tensor that does not fit', async () => {
    const target = path.join(tmp, 'short');
    await fs.cp(dir, target, { recursive: true });
    const last = path.join(target, 'group1-shard3of3.bin');
    const buf = await fs.readFile(last);
    await fs.writeFile(last, buf.subarray(0, buf.length - 8));
    const err = await loadModelFiles(target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelFileError);
    expect((err as Error).message).toMatch(/holds 738336 bytes, the manifest declares more: tensor 'fc2\/bias' \(\[10\] float32\) needs bytes 738304–738344/);
    await fs.writeFile(last, Buffer.concat([buf, Buffer.alloc(4)]));
    await expect(loadModelFiles(target)).rejects.toThrow(/4 unexpected bytes after tensor 'fc2\/bias'/);
  });

  it('refuses weight paths outside the model folder (filesystem and http)', async () => {
    await fs.writeFile(path.join(tmp, 'secret.bin'), Buffer.alloc(16));
    for (const p of ['../secret.bin', '/etc/passwd', 'sub/../../secret.bin']) {
      const target = await edit(`escape-${p.length}`, (j) => {
        j.weightsManifest[0].paths[0] = p;
      });
      await expect(loadModelFiles(target)).rejects.toThrow(`weight path '${p}' is outside the model folder`);
    }
    const target = await edit('escape-http', (j) => {
      j.weightsManifest[0].paths[0] = '../secret.bin';
    });
    await expect(loadModelFiles(`${baseUrl}/${path.basename(target)}/model.json`)).rejects.toThrow(/weight path '..\/secret.bin' is outside the model folder/);
    expect(() => resolveWeightUrl('http://127.0.0.1:1/m/model.json', 'http://example.org/m/w.bin')).toThrow(/outside the model folder/);
    expect(() => resolveWeightUrl('http://127.0.0.1:1/m/model.json', '..%2fw.bin')).toThrow(/outside the model folder/);
    expect(resolveWeightUrl('http://127.0.0.1:1/m/model.json', './group1-shard1of1.bin').href).toBe('http://127.0.0.1:1/m/group1-shard1of1.bin');
  });

  it('http: a missing weight file names the URL and status', async () => {
    const target = await edit('missing-http', (j) => {
      j.weightsManifest[0].paths[0] = './nope.bin';
    });
    await expect(loadModelFiles(`${baseUrl}/${path.basename(target)}/model.json`)).rejects.toThrow(
      /cannot fetch http:\/\/127\.0\.0\.1:\d+\/missing-http\/nope\.bin: HTTP 404/,
    );
  });
});
