import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, sharedCifar10Archive } from '@cnn/app-common';
import { ensureCifar10Jpeg, loadCifar10 } from '@cnn/data/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFlags } from './cli.js';
import { runCifar10, subsetIndices } from './run.js';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cnn-cifar-app-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const archive = sharedCifar10Archive();

// CI always has ../shared beside the checkout: there a missing archive fails instead of skipping.
it.runIf(process.env.CI === 'true')('CI has the offline CIFAR-10 archive', () => {
  expect(archive).toBeDefined();
});

describe.skipIf(!archive)('runCifar10 on real CIFAR-10 JPEGs (30 per class, from ../shared)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await ensureCifar10Jpeg({ archive, cacheDir: path.join(tmp, 'cache'), limitPerClass: 30 });
  });

  it('trains CIFAR10Net one epoch with standard augmentation and writes the run directory', async () => {
    const out = path.join(tmp, 'run');
    const lines: string[] = [];
    const r = await runCifar10(
      parseFlags(['--data-dir', dataDir, '--epochs', '1', '--batch-size', '32', '--backend', 'onednn', '--out', out, '--milestones', '1']),
      (l) => lines.push(l),
    );
    const { summary, history } = r!;
    expect(summary).toMatchObject({ model: 'cifar10net', backend: 'onednn', params: 3_841_610, epochs: 1 });
    expect(Number.isFinite(summary.testLoss)).toBe(true);
    expect(history[0]!.lr).toBeCloseTo(0.1, 12);
    for (const f of ['augment-preview.png', 'history.json', 'summary.json', 'report.html', 'model/model.json', 'best', 'checkpoint']) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('Augmentation preview');
    expect(lines.join('\n')).toMatch(/data: CIFAR-10 folder/);
  });

  it('refuses a --subset larger than the training set', async () => {
    const { train } = await loadCifar10({ root: dataDir });
    expect(() => subsetIndices(train, 301, 0)).toThrow(UsageError);
    expect(() => subsetIndices(train, 301, 0)).toThrow('--subset 301 is larger than the training set (300 images)');
    const idx = subsetIndices(train, 100, 0);
    expect(new Set(idx).size).toBe(100);
    expect(new Set(Array.from(idx, (i) => train.labels[i])).size).toBe(10);
  });
});

describe('the cifar10 command line', () => {
  it('exits 2 for a model that does not take 32x32x3 images', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', '--model', 'mnistnet', '--out', path.join(tmp, 'x')], {
      cwd: appDir,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--model mnistnet takes 28x28x1 images; CIFAR-10 needs a 32x32x3 model');
  });
});
