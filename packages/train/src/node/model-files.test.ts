import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { improvedMnistNet } from '@cnn/models';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../model-io.js';
import { tinyNet } from '../testing/toy.js';
import { modelFolderHandler } from './model-files.js';
import './index.js';

const predict = (m: { predict: (x: tf.Tensor) => unknown }, x: tf.Tensor): number[] => Array.from((m.predict(x) as tf.Tensor).dataSync());

describe('saveModel / loadModel', () => {
  it('round-trips a model with custom BatchNorm layers to identical predictions', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cnn-io-')), 'improved');
    const model = improvedMnistNet({ seed: 1 });
    const x = tf.randomUniform([2, 28, 28, 1], 0, 1, 'float32', 4);
    tf.dispose(model.apply(x, { training: true }) as tf.Tensor); // non-trivial running stats
    const info = await saveModel(model, dir);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    expect(info.dir).toBe(dir);
    expect(info.weightBytes).toBe(4 * (391_370 + 960));
    const loaded = await loadModel(dir);
    expect(predict(loaded, x)).toEqual(predict(model, x));
  });

  it('replaces an existing model atomically; a failed write leaves the old model intact', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'cnn-io-'));
    const dir = join(parent, 'model');
    const x = tf.randomUniform([3, 6, 6, 1], 0, 1, 'float32', 8);
    const oldModel = tinyNet(1);
    await saveModel(oldModel, dir);
    const oldJson = readFileSync(join(dir, 'model.json'), 'utf8');
    const newModel = tinyNet(2);

    // crash while writing model.json into the temporary folder
    const failingWrite = async (file: string, data: Uint8Array | string): Promise<void> => {
      if (file.endsWith('model.json')) throw new Error('disk full (simulated)');
      await fsp.writeFile(file, data);
    };
    await expect(saveModel(newModel, modelFolderHandler(dir, { fs: { writeFile: failingWrite } }))).rejects.toThrow(/disk full/);
    // crash when moving the new folder into place (after the old one was moved to the backup)
    let renames = 0;
    const failingRename = async (a: string, b: string): Promise<void> => {
      renames += 1;
      if (renames === 2) throw new Error('rename failed (simulated)');
      await fsp.rename(a, b);
    };
    await expect(saveModel(newModel, modelFolderHandler(dir, { fs: { rename: failingRename } }))).rejects.toThrow(/previous model kept/);
    expect(readdirSync(parent)).toEqual(['model']); // no temp/backup leftovers
    expect(readFileSync(join(dir, 'model.json'), 'utf8')).toBe(oldJson);
    expect(predict(await loadModel(dir), x)).toEqual(predict(oldModel, x));

    await saveModel(newModel, dir);
    expect(readdirSync(parent)).toEqual(['model']);
    expect(predict(await loadModel(dir), x)).toEqual(predict(newModel, x));
  });

  it('refuses to overwrite a non-model folder and validates weight files', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'cnn-io-'));
    writeFileSync(join(parent, 'notes.txt'), 'keep me');
    await expect(saveModel(tinyNet(1), parent)).rejects.toThrow(/not a model folder/);

    const dir = join(parent, 'm');
    await saveModel(tinyNet(1), dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const weights = readFileSync(join(dir, 'weights.bin'));
    writeFileSync(join(dir, 'weights.bin'), weights.subarray(0, weights.length - 4));
    await expect(loadModel(dir)).rejects.toThrow(/weights\.bin holds \d+ bytes, the manifest declares more: tensor '/);
    json.weightsManifest[0].paths = ['../notes.txt'];
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    await expect(loadModel(dir)).rejects.toThrow(/'..\/notes.txt' is outside the model folder/);
    await expect(loadModel(join(parent, 'missing'))).rejects.toThrow(/cannot read .*missing\/model\.json/);
  });
});

describe('saveModel targets and options', () => {
  it('writes file://DIR into DIR, not into a folder named "file:"', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'cnn-io-'));
    const cwd = process.cwd();
    try {
      process.chdir(parent);
      await saveModel(tinyNet(1), 'file://./m');
      expect(readdirSync(parent)).toEqual(['m']);
      expect(readdirSync(join(parent, 'm')).sort()).toEqual(['model.json', 'weights.bin']);
      const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 3);
      expect(predict(await loadModel('file://./m'), x)).toEqual(predict(await loadModel(join(parent, 'm')), x));
    } finally {
      process.chdir(cwd);
    }
  });

  it('shards the weights and stores the normalisation metadata with the model', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'cnn-io-')), 'sharded');
    const model = tinyNet(3);
    const info = await saveModel(model, dir, { shardBytes: 100, metadata: { normalization: { mean: [0.5], std: [0.25] }, classNames: ['a', 'b'] } });
    const total = info.weightBytes;
    const n = Math.ceil(total / 100);
    expect(info.shards).toEqual(Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`));
    expect(readdirSync(dir).sort()).toEqual(['model.json', ...info.shards].sort());
    const loaded = await loadModel(dir);
    expect(loaded.getUserDefinedMetadata()).toEqual({ cnn: { normalization: { mean: [0.5], std: [0.25] }, classNames: ['a', 'b'] } });
    const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 5);
    expect(predict(loaded, x)).toEqual(predict(model, x));
    await expect(saveModel(model, dir, { shardBytes: 0 })).rejects.toThrow('saveModel: shardBytes must be an integer >= 1. Received: shardBytes=0');
  });

  it('goes through any tfjs IO handler (the browser path)', async () => {
    let saved: tf.io.ModelArtifacts | undefined;
    const model = tinyNet(4);
    await saveModel(
      model,
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await loadModel(tf.io.fromMemory(saved!));
    const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 6);
    expect(predict(loaded, x)).toEqual(predict(model, x));
  });
});
