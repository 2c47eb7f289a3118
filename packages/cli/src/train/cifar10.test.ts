import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCifar10Jpeg } from '@cnn/data/node';
import { LambdaCallback } from '@cnn/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../commands/train.js';
import { UsageError } from '../errors.js';
import { runClassifier } from './train-classifier.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'cnn-cifar-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
/** The workspace's offline JPEG archive (`../shared` beside the checkout), for the image-folder code path. */
const jpeg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../shared/datasets/cifar10-jpeg.tar.gz');
const archive = process.env.CNN_CIFAR10_JPEG_ARCHIVE ?? (existsSync(jpeg) ? jpeg : undefined);
const runCifar10 = (argv: string[], log: (l: string) => void = () => {}, callbacks: LambdaCallback[] = []) =>
  runClassifier({ ...parseTrainArgs(['cifar10', ...argv]), log }, callbacks);

// CI always has ../shared beside the checkout: there a missing archive fails instead of skipping.
it.runIf(process.env.CI === 'true')('CI has the offline CIFAR-10 archive', () => {
  expect(archive).toBeDefined();
});

describe.skipIf(!archive)('cnn train cifar10 on real CIFAR-10 JPEGs (30 per class, from ../shared)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await ensureCifar10Jpeg({ archive, cacheDir: path.join(tmp, 'cache'), limitPerClass: 30 });
  });

  it('trains CIFAR10Net one epoch with standard augmentation and writes the run directory', async () => {
    const out = path.join(tmp, 'run');
    const lines: string[] = [];
    const r = await runCifar10(
      ['--data-dir', dataDir, '--epochs', '1', '--batch-size', '32', '--backend', 'onednn', '--out', out, '--milestones', '1', '--save-best'],
      (l) => lines.push(l),
    );
    const { summary, history } = r!;
    expect(summary).toMatchObject({ model: 'cifar10net', backend: 'onednn', params: 3_841_610, epochs: 1 });
    expect(Number.isFinite(summary.testLoss)).toBe(true);
    expect(history[0]!.lr).toBeCloseTo(0.1, 12);
    expect(summary.data).toMatchObject({ source: 'cifar10', format: 'image folder', sha256: 'image folder' });
    expect(summary.sizes).toEqual({ train: 270, validation: 30, test: 300 }); // --save-best splits 10% off for validation
    expect(Number.isFinite(summary.valAcc)).toBe(true);
    for (const f of ['augment-preview.png', 'history.json', 'summary.json', 'report.html', 'model/model.json', 'best', 'checkpoint']) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('Augmentation preview');
    expect(lines.join('\n')).toMatch(/data: CIFAR-10 folder/);
    expect(lines.join('\n')).toMatch(/data: warning: an image folder is not the official lossless CIFAR-10/);
  });
});

/** Every file under `dir` (relative path → size and mtime), for "nothing was written" checks. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = `${statSync(p).size}:${statSync(p).mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

describe.skipIf(!archive)('--recipe fast on real CIFAR-10 JPEGs (30 per class, small widths)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await ensureCifar10Jpeg({ archive, cacheDir: path.join(tmp, 'cache'), limitPerClass: 30 });
  });
  // 300 training images in 6 batches of 50 per epoch (the short last batch dropped), 2 epochs = 12 steps
  const fast = (out: string, ...more: string[]): string[] => [
    '--recipe',
    'fast',
    '--data-dir',
    dataDir,
    '--widths',
    '8,16,16',
    '--batch-size',
    '50',
    '--epochs',
    '2',
    '--seed',
    '3',
    '--backend',
    'onednn',
    '--out',
    out,
    ...more,
  ];
  const quiet = (): void => {};

  it('writes the run folder with TTA in the summary and the report, and a killed run resumed ends with the same weights', async () => {
    const outA = path.join(tmp, 'fastA');
    const a = (await runCifar10(fast(outA), quiet))!;
    expect(a.summary).toMatchObject({ model: 'airbench94', backend: 'onednn', epochs: 2, recipe: 'fast', seed: 3, tta: { level: 2 } });
    expect(a.summary.tta!.weights).toEqual([0.25, 0.25, 0.125, 0.125, 0.125, 0.125]);
    for (const k of ['testAcc', 'testLoss', 'testAccNoTta', 'testLossNoTta', 'trainSeconds', 'totalSeconds', 'trainImgPerSec', 'evalImgPerSec'] as const) {
      expect(Number.isFinite(a.summary[k]), k).toBe(true);
    }
    expect(a.summary.totalSeconds!).toBeGreaterThan(a.summary.trainSeconds);
    expect(a.summary.trainImgPerSec).toBeCloseTo((2 * 300) / a.summary.trainSeconds, 0); // 6 batches of 50 per epoch
    expect(a.summary.config).toMatchObject({ recipe: 'fast', batchSize: 50, epochs: 2, widths: '8,16,16', whitening: true, lookahead: true });
    const history = JSON.parse(readFileSync(path.join(outA, 'history.json'), 'utf8'));
    expect(history.map((h: { evaluated?: boolean; test_accuracy: unknown }) => [h.evaluated, h.test_accuracy])).toEqual([
      [false, null],
      [false, null],
    ]); // --eval-every 0
    for (const f of ['summary.json', 'report.html', 'model/model.json', 'checkpoint/checkpoint.json', 'analysis.json', 'augment-preview.png']) {
      expect(existsSync(path.join(outA, f)), f).toBe(true);
    }
    expect(existsSync(path.join(outA, 'best'))).toBe(false); // no per-epoch accuracy to pick a best from
    const report = readFileSync(path.join(outA, 'report.html'), 'utf8');
    expect(report).toContain('<section id="tta">');
    expect(report).toContain('6 views of each test image (airbench level 2)');

    // "killed" between epochs 1 and 2 (after epoch 1's checkpoint), then resumed in a fresh call
    const outB = path.join(tmp, 'fastB');
    const crash = new LambdaCallback({
      onEpochBegin: (epoch) => {
        if (epoch === 2) throw new Error('simulated crash');
      },
    });
    await expect(runCifar10(fast(outB), quiet, [crash])).rejects.toThrow('simulated crash');
    expect(existsSync(path.join(outB, 'summary.json'))).toBe(false);
    const lines: string[] = [];
    const b = (await runCifar10(fast(outB, '--resume'), (l) => lines.push(l)))!;
    expect(lines.join('\n')).toContain('Resumed from');
    expect(readFileSync(path.join(outB, 'model', 'weights.bin')).equals(readFileSync(path.join(outA, 'model', 'weights.bin')))).toBe(true);
    for (const k of ['testAcc', 'testLoss', 'testAccNoTta', 'testLossNoTta'] as const) expect(b.summary[k], k).toBe(a.summary[k]);
    expect(b.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));

    // another seed trains other weights (the comparison above can fail)
    const outC = path.join(tmp, 'fastC');
    await runCifar10([...fast(outC), '--seed', '4'], quiet);
    expect(readFileSync(path.join(outC, 'model', 'weights.bin')).equals(readFileSync(path.join(outA, 'model', 'weights.bin')))).toBe(false);

    // --resume with another recipe (or other settings) is refused before anything is written
    const before = snapshot(outA);
    const refused = runCifar10(
      ['--data-dir', dataDir, '--model', 'airbench94', '--epochs', '1', '--out', outA, '--resume', '--backend', 'onednn', '--seed', '3'],
      quiet,
    );
    await expect(refused).rejects.toThrow(UsageError);
    await expect(
      runCifar10(['--data-dir', dataDir, '--model', 'airbench94', '--epochs', '1', '--out', outA, '--resume', '--seed', '3'], quiet),
    ).rejects.toThrow(`--resume: ${path.join(outA, 'checkpoint')} holds a checkpoint of another run (recipe "fast" there, "standard" here)`);
    await expect(runCifar10([...fast(outA, '--resume'), '--batch-size', '60'], quiet)).rejects.toThrow('batchSize 50 there, 60 here');
    expect(snapshot(outA)).toEqual(before);
  });

  it('refuses a --batch-size larger than the (sub)set before writing anything', async () => {
    const out = path.join(tmp, 'too-big');
    await expect(runCifar10([...fast(out), '--subset', '40'], quiet)).rejects.toThrow(UsageError);
    await expect(runCifar10([...fast(out), '--subset', '40'], quiet)).rejects.toThrow(
      '--batch-size 50 is larger than the training set (40 images with --limit/--subset)',
    );
    await expect(runCifar10([...fast(out), '--subset', '301'], quiet)).rejects.toThrow('--subset 301 is larger than the training set (300 images)');
    await expect(runCifar10([...fast(out), '--batch-size', '301'], quiet)).rejects.toThrow('--batch-size 301 is larger than the training set (300 images)');
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(!archive)('--recipe muon on real CIFAR-10 JPEGs (30 per class, small widths)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await ensureCifar10Jpeg({ archive, cacheDir: path.join(tmp, 'cache'), limitPerClass: 30 });
  });
  // 300 training images in 6 batches of 50 per epoch, 2 epochs = 12 steps (whitening bias trained throughout)
  const muon = (out: string, ...more: string[]): string[] => [
    ...['--recipe', 'muon', '--data-dir', dataDir, '--widths', '8,16,16', '--batch-size', '50', '--epochs', '2', '--seed', '3'],
    ...['--backend', 'onednn', '--tta', '0', '--out', out, ...more],
  ];
  const quiet = (): void => {};

  it('trains with Muon + SGD groups, records its settings, and a killed run resumed ends with the same weights', async () => {
    const outA = path.join(tmp, 'muonA');
    const lines: string[] = [];
    const a = (await runCifar10(muon(outA), (l) => lines.push(l)))!;
    expect(a.summary).toMatchObject({ model: 'airbench94', backend: 'onednn', epochs: 2, recipe: 'muon', seed: 3 });
    expect(a.summary.config).toMatchObject({ recipe: 'muon', batchSize: 50, epochs: 2, widths: '8,16,16', whitening: true, labelSmoothing: 0.2 });
    expect(a.summary.config).not.toHaveProperty('lookahead');
    for (const k of ['testAcc', 'testLoss', 'trainSeconds', 'totalSeconds'] as const) expect(Number.isFinite(a.summary[k]), k).toBe(true);
    expect(lines.join('\n')).toContain('muon recipe: batch 50, 2 epochs; Muon (Nesterov 0.6, 3 Newton–Schulz steps, filters renormalised) lr 0.24');
    // the schedule (history: the rate at the start of each epoch): 0.24 at step 0; epoch 2 starts with the rate of
    // epoch 1's last step (t = 5 of 12), 0.24 · (1 − 5/12)
    expect(a.history.map((h) => h.lr)).toEqual([0.24, expect.closeTo(0.24 * (1 - 5 / 12), 12)]);

    const outB = path.join(tmp, 'muonB');
    const crash = new LambdaCallback({
      onEpochBegin: (epoch) => {
        if (epoch === 2) throw new Error('simulated crash');
      },
    });
    await expect(runCifar10(muon(outB), quiet, [crash])).rejects.toThrow('simulated crash');
    const b = (await runCifar10(muon(outB, '--resume'), quiet))!;
    expect(readFileSync(path.join(outB, 'model', 'weights.bin')).equals(readFileSync(path.join(outA, 'model', 'weights.bin')))).toBe(true);
    expect(b.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));
    // a fast-recipe checkpoint is not resumed as a muon run
    await expect(
      runCifar10(
        [...muon(outA, '--resume')].map((v) => (v === 'muon' ? 'fast' : v)),
        quiet,
      ),
    ).rejects.toThrow('recipe "muon" there, "fast" here');
  });
});
