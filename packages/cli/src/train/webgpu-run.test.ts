// A whole `cnn train` run on the `webgpu` backend (tfjs-backend-webgpu on Dawn), where a synchronous read of GPU
// data throws in Node: training, the ModelDebugger, early stopping with the best weights, the checkpoint, the best
// model, the final evaluation with TTA, saving, analyzeRun and the report — then `--resume` from that checkpoint;
// the augmentation preview; and the fast recipe's stateful parts (patch whitening, two-group SGD, Lookahead in a
// checkpoint). Every tensor read on the way is `await t.data()`. Runs where an adapter exists (scripts/setup.sh
// installs a software one, llvmpipe: about 25 s here); under CI one must exist.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { augmentationPreview } from '@cnn/augment/node';
import { probeWebGpu, selectBackend } from '@cnn/backend-onednn';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelCheckpoint } from '@cnn/callbacks';
import { CIFAR10_MEAN, CIFAR10_STD, DataLoader, type ImageDataset } from '@cnn/data';
import { airbench94 } from '@cnn/models';
import { CrossEntropyLoss, fit } from '@cnn/train';
import { loadCheckpoint } from '@cnn/train/node';
import { createFastOptimizer, fastCallbacks, fastOptimizerSettings, flipTranslate, initFastWhitening, whiteningLayer } from './airbench.js';
import { trainClassifier } from './train-classifier.js';

const missing = await probeWebGpu();
const required = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cnn-webgpu-run-'));
const savedDataDir = process.env.CNN_DATA_DIR;
afterAll(() => {
  if (savedDataDir === undefined) delete process.env.CNN_DATA_DIR;
  else process.env.CNN_DATA_DIR = savedDataDir;
  rmSync(tmp, { recursive: true, force: true });
});

/** `n` 8×8 RGB PNGs per class, class k a different brightness with seeded noise per channel. */
async function makeFolder(root: string, classes: string[], n: number): Promise<string> {
  let s = 1;
  for (const [k, cls] of classes.entries()) {
    mkdirSync(path.join(root, cls), { recursive: true });
    for (let i = 0; i < n; i++) {
      const px = Buffer.alloc(8 * 8 * 3);
      for (let j = 0; j < px.length; j++) {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        px[j] = Math.max(0, Math.min(255, 40 + 80 * k + (s % 31) - 15));
      }
      await sharp(px, { raw: { width: 8, height: 8, channels: 3 } })
        .png()
        .toFile(path.join(root, cls, `${i}.png`));
    }
  }
  return root;
}

describe.skipIf(missing !== null && !required)('a whole training run on webgpu (no synchronous reads)', () => {
  it('trains, debugs, checkpoints, evaluates, saves, analyses and reports; --resume continues from the checkpoint', async () => {
    expect(missing, `no WebGPU adapter under CI: ${missing}`).toBeNull();
    process.env.CNN_DATA_DIR = path.join(tmp, 'cache');
    const src = await makeFolder(path.join(tmp, 'train'), ['dark', 'mid', 'light'], 12);
    const testDir = await makeFolder(path.join(tmp, 'test'), ['dark', 'mid', 'light'], 3);
    const out = path.join(tmp, 'run');
    const lines: string[] = [];
    const options = {
      source: src,
      testDir,
      imageSize: 28,
      model: 'mnistnet',
      validPct: 0.25,
      batchSize: 9,
      backend: 'webgpu' as const,
      saveBest: true,
      debugEvery: 2,
      earlyStoppingPatience: 3,
      tta: 1 as const,
      out,
      log: (l: string) => lines.push(l),
    };
    const r = await trainClassifier({ ...options, epochs: 1 });
    const log = lines.join('\n');
    expect(log).toMatch(/^backend: webgpu \(requested webgpu/m);
    expect(log).not.toMatch(/FALLING BACK/);
    expect(r!.summary).toMatchObject({ backend: 'webgpu', epochs: 1, evaluatedOn: 'test', sizes: { train: 27, validation: 9, test: 9 } });
    for (const k of ['valAcc', 'valLoss', 'testAcc', 'testLoss'] as const) expect(Number.isFinite(r!.summary[k]), k).toBe(true);
    expect(log).toContain('=== ModelDebugger: epoch 1, batch 2 ===');
    expect(log).toMatch(/with 2 TTA views and without/);
    expect(readdirSync(path.join(out, 'debug')).some((f) => f.endsWith('.png'))).toBe(true);
    for (const f of ['model', 'best', 'checkpoint', 'history.json', 'summary.json', 'analysis.json', 'gradcam.png', 'report.html'])
      expect(readdirSync(out), f).toContain(f);
    const analysis = JSON.parse(readFileSync(path.join(out, 'analysis.json'), 'utf8'));
    expect(analysis.numSamples).toBe(9);
    expect(analysis.weightHistograms.length).toBeGreaterThan(0);
    expect(analysis.activationHistograms.length).toBeGreaterThan(0);

    lines.length = 0;
    const again = await trainClassifier({ ...options, epochs: 2, resume: true });
    expect(again!.history).toHaveLength(2);
    expect(again!.history[0]).toEqual(r!.history[0]); // epoch 1 comes from the checkpoint
    expect(Number.isFinite(again!.history[1]!.loss)).toBe(true);
    expect(again!.summary.backend).toBe('webgpu');
  });

  it('renders the augmentation preview (the runner writes it for 3-channel data) from webgpu tensors', async () => {
    const chosen = await selectBackend('webgpu');
    try {
      const px = Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => (i % 17) / 16);
      const images = tf.tensor4d(px, [2, 8, 8, 3]);
      const onGpu = tf.mul(images, 1) as tf.Tensor4D; // computed by a shader: GPU-resident
      const png = await augmentationPreview(onGpu, flipTranslate(1, true, 8), { draws: 2, scale: 1 });
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      const meta = await sharp(png).metadata();
      expect([meta.width, meta.height]).toEqual([3 * 8 + 2, 2 * 8 + 1]); // 3 cells of 8 and 2 gaps; 2 rows and 1 gap
      tf.dispose([images, onGpu]);
    } finally {
      chosen.dispose();
    }
  });

  it("the fast recipe's stateful parts: patch whitening from data, two-group SGD and Lookahead in a checkpoint", async () => {
    const chosen = await selectBackend('webgpu');
    try {
      const n = 8;
      const images = new Uint8Array(n * 32 * 32 * 3);
      for (let i = 0; i < images.length; i++) images[i] = (i * 7919 + (i >> 9) * 31) % 256;
      const ds: ImageDataset = {
        images,
        labels: Uint8Array.from({ length: n }, (_, i) => i % 2),
        length: n,
        height: 32,
        width: 32,
        channels: 3,
        classNames: ['a', 'b'],
        name: 'fast-webgpu',
      };
      const model = airbench94({ seed: 1, widths: { block1: 8, block2: 8, block3: 8 }, numClasses: 2 });
      expect(await initFastWhitening(model, ds, { whitening: true })).toBe(n);
      const kernel = whiteningLayer(model)
        .getWeights()
        .find((w) => w.rank === 4)!;
      expect(Array.from(await kernel.data()).every(Number.isFinite)).toBe(true);
      const dir = path.join(tmp, 'fast-ckpt');
      const optimizer = createFastOptimizer(fastOptimizerSettings({ lr: 11.5, momentum: 0.85, weightDecay: 0.0153, batchSize: 4 }));
      const callbacks = [...fastCallbacks({ lookahead: true }), new ModelCheckpoint(dir, { log: () => {} })];
      const history = await fit(model, {
        train: new DataLoader(ds, { batchSize: 4, mean: CIFAR10_MEAN, std: CIFAR10_STD }),
        epochs: 1,
        optimizer,
        loss: new CrossEntropyLoss({ reduction: 'sum' }),
        callbacks,
        log: () => {},
        progress: 'none',
      });
      expect(Number.isFinite(history[0]!.loss)).toBe(true);
      const state = await loadCheckpoint(dir);
      expect(state.optimizer.type).toBe('ParamGroups');
      expect(Object.keys(state.optimizer.slots)).toEqual(expect.arrayContaining(['__group0__', '__group1__']));
      const slow = (state.callbacks.Lookahead as { slow: { weights: { name: string; values: Float32Array }[] } }).slow.weights;
      expect(slow.map((w) => w.name)).toContain('whiten/kernel');
      expect(slow.every((w) => w.values.every(Number.isFinite))).toBe(true);
      for (const cb of callbacks) (cb as { dispose?: () => void }).dispose?.();
      optimizer.dispose();
      model.dispose();
    } finally {
      chosen.dispose();
    }
  });
});
