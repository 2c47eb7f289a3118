/**
 * The packages as a user gets them: `pnpm pack` each published package, `npm install` the tarballs into a
 * fresh project outside the workspace (the native addon compiles there from the tarball's sources), then
 * train one MNISTNet step on real MNIST from both an ES module and a CommonJS script.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const published = ['core', 'backend-onednn', 'data', 'models', 'train'];

const stepScript = (style: 'esm' | 'cjs') => `
${
  style === 'esm'
    ? `import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '@cnn/backend-onednn';
import { DataLoader, MNIST_MEAN, MNIST_STD } from '@cnn/data';
import { loadMnist } from '@cnn/data/node';
import { mnistNet, summary } from '@cnn/models';
import { Adam, trainStep } from '@cnn/train';`
    : `const tf = require('@tensorflow/tfjs-core');
const { selectBackend } = require('@cnn/backend-onednn');
const { DataLoader, MNIST_MEAN, MNIST_STD } = require('@cnn/data');
const { loadMnist } = require('@cnn/data/node');
const { mnistNet, summary } = require('@cnn/models');
const { Adam, trainStep } = require('@cnn/train');`
}
(async () => {
  const chosen = await selectBackend('onednn');
  const { train } = await loadMnist();
  const loader = new DataLoader(train, { batchSize: 64, mean: MNIST_MEAN, std: MNIST_STD, limit: 64 });
  const { x, y } = loader[Symbol.iterator]().next().value;
  const model = mnistNet({ seed: 1 });
  const opt = new Adam({ lr: 1e-3 });
  const first = trainStep(model, x, y, opt);
  const second = trainStep(model, x, y, opt);
  console.log(JSON.stringify({ backend: tf.getBackend(), chosen: chosen.backend, params: summary(model).trainableParams,
    loss1: first.loss, loss2: second.loss }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('packed tarballs installed with npm outside the workspace', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cnn-pack-'));
    const tarballs = path.join(dir, 'tarballs');
    for (const p of published) {
      execFileSync('pnpm', ['pack', '--pack-destination', tarballs], { cwd: path.join(root, 'packages', p), stdio: 'pipe' });
    }
    const project = path.join(dir, 'project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true, version: '1.0.0' }));
    const files = readdirSync(tarballs).map((f) => path.join(tarballs, f));
    expect(files).toHaveLength(published.length);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], { cwd: project, stdio: 'pipe' });
    writeFileSync(path.join(project, 'step.mjs'), stepScript('esm'));
    writeFileSync(path.join(project, 'step.cjs'), stepScript('cjs'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const file of ['step.mjs', 'step.cjs']) {
    it(`trains MNISTNet steps on the onednn backend (${file})`, () => {
      const out = execFileSync('node', [file], { cwd: path.join(dir, 'project'), encoding: 'utf8' });
      const result = JSON.parse(out.trim().split('\n').pop()!);
      expect(result.backend).toBe('onednn');
      expect(result.params).toBe(184_586);
      // Cross-entropy of 10 classes at initialisation is close to ln(10) ≈ 2.30; a step on the same batch lowers it.
      expect(result.loss1).toBeGreaterThan(1.8);
      expect(result.loss1).toBeLessThan(2.8);
      expect(result.loss2).toBeLessThan(result.loss1);
    });
  }
});
