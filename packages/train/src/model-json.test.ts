import { CnnError } from '@cnn/core';
import { describe, expect, it } from 'vitest';
import { TrainError } from './errors.js';
import { checkWeightBytes, MODEL_FILES_CODE, parseModelJson, readModelArtifacts, resolveWeightUrl } from './model-json.js';

const topology = { class_name: 'Sequential', config: { layers: [] } };
const manifest = (paths: string[]) => [
  {
    paths,
    weights: [
      { name: 'dense/kernel', shape: [2, 3], dtype: 'float32' },
      { name: 'dense/bias', shape: [3], dtype: 'float32' },
    ],
  },
];

/** An in-memory model folder: `model.json` plus two shards holding 0..8 as float32 (36 bytes in all). */
function memorySource(files: Record<string, Uint8Array>) {
  const reads: string[] = [];
  return {
    reads,
    read: async (loc: string) => {
      reads.push(loc);
      const f = files[loc];
      if (!f) throw new Error(`no file ${loc}`);
      return f;
    },
    resolve: (p: string) => resolveWeightUrl('http://h/m/model.json', p).href,
  };
}

const floats = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7, 8]);
const bytes = new Uint8Array(floats.buffer);

describe('model.json reader', () => {
  it('reads model.json and its shards into ModelArtifacts (specs in order, bytes joined)', async () => {
    const json = {
      format: 'layers-model',
      modelTopology: topology,
      weightsManifest: manifest(['./a.bin', 'b.bin']),
      userDefinedMetadata: { cnn: { classNames: ['x'] } },
    };
    const src = memorySource({
      'http://h/m/model.json': new TextEncoder().encode(JSON.stringify(json)),
      'http://h/m/a.bin': bytes.slice(0, 20),
      'http://h/m/b.bin': bytes.slice(20),
    });
    const a = await readModelArtifacts('http://h/m/model.json', src);
    expect(src.reads).toEqual(['http://h/m/model.json', 'http://h/m/a.bin', 'http://h/m/b.bin']);
    expect(a.weightSpecs?.map((s) => s.name)).toEqual(['dense/kernel', 'dense/bias']);
    expect(Array.from(new Float32Array(a.weightData as ArrayBuffer))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(a.userDefinedMetadata).toEqual({ cnn: { classNames: ['x'] } });
    expect(a.format).toBe('layers-model');
  });

  it('bad input: TrainError with code ERR_CNN_MODEL_FILES naming the file, the field or the tensor', async () => {
    const err = await Promise.resolve()
      .then(() => parseModelJson('{"modelTopology": {', 'm/model.json'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainError);
    expect(CnnError.isInstance(err)).toBe(true);
    expect((err as CnnError).code).toBe(MODEL_FILES_CODE);
    expect((err as Error).message).toMatch(/^m\/model\.json is not valid JSON: /);
    expect(() => parseModelJson(JSON.stringify({ modelTopology: topology, weightsManifest: {} }), 'm/model.json')).toThrow(
      "m/model.json: 'weightsManifest' must be an array",
    );
    const group = parseModelJson(JSON.stringify({ modelTopology: topology, weightsManifest: manifest(['w.bin']) }), 'm/model.json').groups[0]!;
    expect(() => checkWeightBytes(group, 32, 'w.bin')).toThrow(
      "w.bin holds 32 bytes, the manifest declares more: tensor 'dense/bias' ([3] float32) needs bytes 24–36",
    );
    expect(() => checkWeightBytes(group, 40, 'w.bin')).toThrow("w.bin holds 40 bytes, model.json declares 36: 4 unexpected bytes after tensor 'dense/bias'");
    expect(() => checkWeightBytes(group, 36, 'w.bin')).not.toThrow();
    const src = memorySource({
      'http://h/m/model.json': new TextEncoder().encode(JSON.stringify({ modelTopology: topology, weightsManifest: manifest(['a.bin']) })),
      'http://h/m/a.bin': bytes.slice(4),
    });
    await expect(readModelArtifacts('http://h/m/model.json', src)).rejects.toMatchObject({ code: MODEL_FILES_CODE });
  });

  it('refuses weight URLs outside the model folder, however they are spelt', () => {
    for (const p of ['../w.bin', '/m/w.bin', 'a/../w.bin', 'http://other/m/w.bin', '..%2fw.bin', 'file:///etc/passwd']) {
      expect(() => resolveWeightUrl('http://h/m/model.json', p), p).toThrow(
        `http://h/m/model.json: weight path '${p}' is outside the model folder http://h/m/`,
      );
    }
    expect(resolveWeightUrl('http://h/m/model.json', 'sub/w.bin').href).toBe('http://h/m/sub/w.bin');
  });
});
