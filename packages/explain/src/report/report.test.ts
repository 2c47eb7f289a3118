import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Analysis, analyzeRun } from '../analysis/analyze-run.js';
import { ExplainError } from '../errors.js';
import { makeSyntheticRun, NORMALIZE, syntheticDataset, tinyModel } from '../test-utils/synthetic-run.js';
import { inspectReport } from './inspect-report.js';
import { describeTtaView, writeReport } from './write-report.js';

const CHROMIUM = '/usr/bin/chromium';
const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = join(packageRoot, 'test-artifacts');
const SECTIONS = ['summary', 'curves', 'confusion', 'per-class', 'misclassified', 'top-losses', 'grad-cam', 'samples', 'augmentation', 'histograms'];

let root: string;
let runDir: string;
let analysis: Analysis;
let reportPath: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'explain-report-'));
  runDir = join(root, 'run');
  const { model, test } = await makeSyntheticRun(runDir);
  const before = tf.memory().numTensors;
  analysis = await analyzeRun({ runDir, model, dataset: test, normalize: NORMALIZE, maxGallery: 12, maxCam: 4, smoothGradSamples: 4 });
  expect(tf.memory().numTensors).toBe(before);
  reportPath = await writeReport(runDir);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('analyzeRun', () => {
  it('writes a consistent analysis.json and the PNGs', async () => {
    const saved = JSON.parse(await readFile(join(runDir, 'analysis.json'), 'utf8')) as Analysis;
    expect(saved.numSamples).toBe(36);
    const trace = saved.confusionMatrix.reduce((s, row, i) => s + row[i], 0);
    expect(saved.accuracy).toBeCloseTo(trace / 36, 12);
    expect(saved.report.accuracy).toBeCloseTo(saved.accuracy, 12);
    expect(saved.topK[0]).toEqual({ k: 1, accuracy: saved.accuracy });
    // 4 test labels are flipped on purpose, so the model (which learns the shapes) makes mistakes.
    expect(saved.misclassified.length).toBeGreaterThan(0);
    expect(saved.misclassified.every((e) => e.trueLabel !== e.predLabel)).toBe(true);
    for (let i = 1; i < saved.topLosses.length; i++) expect(saved.topLosses[i - 1].loss).toBeGreaterThanOrEqual(saved.topLosses[i].loss);
    expect(saved.camLayer).toBe('conv2');
    expect(saved.weightHistograms.map((h) => h.name.split(' ')[0])).toEqual(['conv1', 'conv2', 'fc']);
    expect(saved.activationHistograms).toHaveLength(5);
    expect(saved).toEqual(JSON.parse(JSON.stringify(analysis)));
    for (const file of ['samples.png', 'misclassified.png', 'top-losses.png', 'gradcam.png']) expect(existsSync(join(runDir, file))).toBe(true);
  });

  it('rejects labels >= numClasses and an unknown camLayer with clear errors', async () => {
    const bad = { ...syntheticDataset(6, 3), labels: new Uint8Array([0, 1, 2, 3, 0, 1]) };
    const model = tinyModel();
    await expect(analyzeRun({ runDir: join(root, 'bad'), model, dataset: bad, normalize: NORMALIZE })).rejects.toThrow(
      /dataset.labels\[3\]=3 is not a class index in \[0, 3\)/,
    );
    await expect(analyzeRun({ runDir: join(root, 'bad'), model, dataset: syntheticDataset(6, 3), normalize: NORMALIZE, camLayer: 'fc' })).rejects.toThrow(
      /layer 'fc' output has shape \[null,3\].*convolution layers available: conv1, conv2/,
    );
  });
});

describe('writeReport', () => {
  it('is a self-contained page with every section', async () => {
    const html = await readFile(reportPath, 'utf8');
    for (const id of SECTIONS) expect(html).toContain(`<section id="${id}">`);
    expect(html).not.toMatch(/(src|href)="(https?:|\/\/)/);
    expect(html).toContain('tiny_cnn');
  });

  it('says what is missing in a run directory without history.json', async () => {
    const dir = join(root, 'empty');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'summary.json'), '{}');
    const error = await writeReport(dir).catch((e: unknown) => e);
    expect(ExplainError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/missing history\.json \(per-epoch history/);
    expect((error as Error).message).not.toMatch(/summary\.json \(/);
  });

  it('names the bad field of a malformed history.json', async () => {
    const dir = join(root, 'malformed');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'history.json'), JSON.stringify([{ epoch: 1, loss: 'x' }]));
    await writeFile(join(dir, 'summary.json'), '{}');
    await expect(writeReport(dir)).rejects.toThrow(/history\.json: entry 0 field 'loss' must be a finite number/);
  });

  it('shows test-time augmentation (views, weights, accuracy with and without) and skips epochs that were not evaluated', async () => {
    const dir = join(root, 'tta');
    await mkdir(dir, { recursive: true });
    const entry = (epoch: number, evaluated: boolean) => ({
      epoch,
      loss: 1 / epoch,
      accuracy: 0.5 + 0.1 * epoch,
      val_loss: evaluated ? 0.4 : null,
      val_accuracy: evaluated ? 0.9137 : null,
      lr: 0.01,
      seconds: 2,
      imgPerSec: 500,
      ...(evaluated ? {} : { evaluated: false }),
    });
    await writeFile(join(dir, 'history.json'), JSON.stringify([entry(1, false), entry(2, false), entry(3, true)]));
    const summary = {
      model: 'airbench94',
      backend: 'cpu',
      params: 10,
      epochs: 3,
      testAcc: 0.9412,
      testLoss: 0.31,
      trainSeconds: 6,
      trainImgPerSec: 500,
      evalImgPerSec: 900,
      testAccNoTta: 0.9301,
      testLossNoTta: 0.35,
      totalSeconds: 7.5,
      recipe: 'fast',
      seed: 3,
      tta: {
        level: 2,
        views: ['identity', 'flip', { translate: [1, 1] }, { translate: [1, 1], flip: true }, { translate: [-1, -1] }, { translate: [-1, -1], flip: true }],
        weights: [0.25, 0.25, 0.125, 0.125, 0.125, 0.125],
      },
    };
    await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
    const html = await readFile(await writeReport(dir), 'utf8');
    expect(html).toContain('<section id="tta">');
    expect(html).toMatch(/test accuracy \(TTA\)<\/div><div class="value">94\.12%/);
    expect(html).toMatch(/test acc\. without TTA<\/div><div class="value">93\.01%/);
    expect(html).toMatch(/best val\. acc\.<\/div><div class="value">91\.37% \(epoch 3\)/);
    expect(html).toMatch(/total time<\/div><div class="value">7\.5 s/);
    expect(html).toMatch(/recipe<\/div><div class="value">fast/);
    expect(html).toContain('6 views of each test image (airbench level 2)');
    expect(html).toContain('Without TTA: accuracy 93.01%, loss 0.3500.');
    for (const row of [
      '<th>identity</th><td>0.2500</td>',
      '<th>mirror</th><td>0.2500</td>',
      '<th>shift (1, 1)</th><td>0.1250</td>',
      '<th>shift (1, 1) + mirror</th><td>0.1250</td>',
      '<th>shift (−1, −1) + mirror</th><td>0.1250</td>',
    ])
      expect(html).toContain(row);
    expect(describeTtaView({})).toBe('identity');
  });

  it('refuses null validation fields on an evaluated epoch (also in a file from before the metric rename) and a malformed tta', async () => {
    const dir = join(root, 'bad-tta');
    await mkdir(dir, { recursive: true });
    // the pre-rename names: converted by readHistory, errors name today's field
    const h = { epoch: 1, trainLoss: 1, trainAcc: 0.5, testLoss: null, testAcc: null, lr: 0.1, seconds: 1, imgPerSec: 1 };
    await writeFile(join(dir, 'history.json'), JSON.stringify([h]));
    const summary = { model: 'm', backend: 'cpu', params: 1, epochs: 1, testAcc: 0.5, testLoss: 1, trainSeconds: 1, trainImgPerSec: 1, evalImgPerSec: 1 };
    await writeFile(join(dir, 'summary.json'), JSON.stringify(summary));
    await expect(writeReport(dir)).rejects.toThrow(/entry 0 field 'val_loss' must be a finite number \(null only with evaluated: false\), got null/);
    await writeFile(join(dir, 'history.json'), JSON.stringify([{ ...h, evaluated: false }]));
    await writeFile(join(dir, 'summary.json'), JSON.stringify({ ...summary, tta: { views: ['identity', 'flip'], weights: [1] } }));
    await expect(writeReport(dir)).rejects.toThrow(/field 'tta' must be \{views: \[\.\.\.\], weights: \[\.\.\.\]\} with one finite weight per view/);
    await writeFile(join(dir, 'summary.json'), JSON.stringify({ ...summary, totalSeconds: 'x' }));
    await expect(writeReport(dir)).rejects.toThrow(/field 'totalSeconds' must be a finite number when present/);
  });

  it('regenerates from the CLI and exits 1 with the message on a bad directory', () => {
    const ok = spawnSync('pnpm', ['exec', 'tsx', 'src/cli/report.ts', '--run', runDir, '--title', 'CLI title'], { cwd: packageRoot, encoding: 'utf8' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('report written');
    const bad = spawnSync('pnpm', ['exec', 'tsx', 'src/cli/report.ts', '--run', join(root, 'nowhere')], { cwd: packageRoot, encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('missing history.json');
  });
});

describe.skipIf(!existsSync(CHROMIUM))(`report in headless Chromium (${CHROMIUM}; skipped when absent: apt-get install -y chromium)`, () => {
  it('loads without console errors, every image has a natural size, and a screenshot is saved', async () => {
    const seen = await inspectReport(reportPath, { screenshot: join(artifacts, 'report.png') });
    expect(seen.images.length).toBeGreaterThanOrEqual(11);
    for (const img of seen.images) {
      expect(img.complete, img.alt).toBe(true);
      expect(img.width * img.height, img.alt).toBeGreaterThan(0);
    }
    expect(seen.sections).toEqual(SECTIONS);
    expect(seen.errors).toEqual([]);
    expect(existsSync(join(artifacts, 'report.png'))).toBe(true);
  });

  it('refuses a missing report or browser with the fix in the message', async () => {
    await expect(inspectReport(join(root, 'none.html'))).rejects.toThrow(/no report at/);
    await expect(inspectReport(reportPath, { executablePath: '/nonexistent/chromium' })).rejects.toThrow(/apt-get install -y chromium/);
  });
});
