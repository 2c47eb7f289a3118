import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activationHistograms } from '@cnn/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Analysis, analyzeRun } from './analysis/analyze-run.js';
import { weightHistograms } from './analysis/histograms.js';
import { applyColormap, colormapLut } from './render/colormap.js';
import { type NoSyncReadBackend, useNoSyncReadBackend } from '@cnn/testing';
import { makeSyntheticRun, NORMALIZE, tinyModel } from './testing/synthetic-run.js';

let root: string;
let backend: NoSyncReadBackend;
let restore: () => Promise<void>;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'explain-no-sync-'));
});
afterAll(async () => {
  await restore?.();
  await rm(root, { recursive: true, force: true });
});

const options = { maxGallery: 6, maxCam: 2, smoothGradSamples: 2 };
const withoutDate = ({ createdAt: _, ...rest }: Analysis): Omit<Analysis, 'createdAt'> => rest;

describe('@cnn/explain on a backend without synchronous reads', () => {
  it('analyzeRun writes the analysis the cpu backend writes (histograms, colormaps and predictions read asynchronously)', async () => {
    const { model, test } = await makeSyntheticRun(join(root, 'cpu')); // trained on cpu (tfjs-layers' fit reads synchronously)
    const ref = await analyzeRun({ runDir: join(root, 'cpu'), model, dataset: test, normalize: NORMALIZE, ...options });
    ({ backend, restore } = await useNoSyncReadBackend('cpu-no-sync-read-explain'));
    const got = await analyzeRun({ runDir: join(root, 'no-sync'), model, dataset: test, normalize: NORMALIZE, ...options });
    expect(backend.syncReads).toBe(0);
    expect(withoutDate(got)).toEqual(withoutDate(ref));
    expect(got.weightHistograms.map((h) => h.name)).toEqual(['conv1 (3×3×3×8)', 'conv2 (3×3×8×12)', 'fc (12×3)']);
    model.dispose();
  });

  it('weightHistograms, activationHistograms and applyColormap give known answers', async () => {
    const model = tinyModel();
    model.getLayer('fc').setWeights([tf.fill([12, 3], 0.5), tf.zeros([3])]);
    const fc = (await weightHistograms(model, 4)).find((h) => h.name.startsWith('fc'))!;
    expect(fc).toEqual({ name: 'fc (12×3)', edges: [0, 0.25, 0.5, 0.75, 1], counts: [0, 0, 36, 0], nonFinite: 0 });
    const acts = await activationHistograms(model, tf.zeros([2, 12, 12, 3]), { bins: 2, filter: (n) => n.className === 'Dense' });
    expect(acts.map((a) => [a.name, a.counts.reduce((s, c) => s + c, 0)])).toEqual([['fc [3]', 6]]);
    const lut = await colormapLut('inferno');
    const rgb = await applyColormap(tf.tensor2d([[0, 1, 2]]), lut);
    expect(Array.from(rgb)).toEqual([...lut.subarray(0, 3), ...lut.subarray(765), ...lut.subarray(765)]); // 2 is clipped to 1
    expect(backend.syncReads).toBe(0);
    model.dispose();
  });
});
