import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_CHROMIUM, inspectReport } from '@cnn/explain/node';
import { afterAll, describe, expect, it } from 'vitest';
import { trainClassifier } from '@cnn/cli';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'cnn-mnist-app-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = ['--import', 'tsx', 'src/main.ts'];
function runCli(args: string[]) {
  return spawnSync(process.execPath, [...cli, ...args], { cwd: appDir, encoding: 'utf8' });
}

describe('trainClassifier on real MNIST (first 2,048 training images, 1 epoch)', () => {
  it('trains, evaluates on the 10,000 test images and writes model/, history.json, summary.json', async () => {
    const out = path.join(tmp, 'run');
    const lines: string[] = [];
    const { summary, history } = (await trainClassifier({
      source: 'mnist',
      epochs: 1,
      limit: 2048,
      backend: 'onednn',
      out,
      seed: 3,
      log: (l) => lines.push(l),
    }))!;
    expect(summary.backend).toBe('onednn');
    expect(summary.params).toBe(184_586);
    expect(summary.epochs).toBe(1);
    // 2,048 images for one epoch are enough for a clearly-learning net, far from chance (10%).
    expect(summary.testAcc).toBeGreaterThan(0.8);
    expect(summary.testAcc).toBeLessThanOrEqual(1);
    expect(Number.isFinite(summary.testLoss)).toBe(true);
    expect(summary.trainImgPerSec).toBeGreaterThan(0);
    expect(summary.evalImgPerSec).toBeGreaterThan(0);
    expect(history).toHaveLength(1);
    expect(history[0]!.test_accuracy).toBeCloseTo(summary.testAcc, 6);
    expect(history[0]!.val_accuracy).toBeUndefined(); // no validation set without --valid-pct or a selecting flag
    expect(summary.data).toMatchObject({ source: 'mnist', format: 'idx' });
    expect(summary.data.sha256).toMatch(/^[0-9a-f]{64}$/);

    const written = JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(written.valAcc).toBeUndefined();
    expect(written).toEqual(summary);
    expect(JSON.parse(readFileSync(path.join(out, 'history.json'), 'utf8'))).toEqual(history);
    expect(readdirSync(path.join(out, 'model')).sort()).toContain('model.json');
    expect(lines.some((l) => /Epoch 1\/1/.test(l))).toBe(true);
    expect(lines.join('\n')).toContain('184,586');
    const files = readdirSync(out);
    for (const f of ['analysis.json', 'samples.png', 'misclassified.png', 'top-losses.png', 'gradcam.png', 'report.html']) expect(files).toContain(f);

    // The report as a person sees it: every section, every image decoded, no console errors.
    if (existsSync(DEFAULT_CHROMIUM)) {
      const seen = await inspectReport(path.join(out, 'report.html'), { screenshot: path.join(appDir, 'test-artifacts', 'report.png') });
      expect(seen.sections).toEqual(['summary', 'curves', 'confusion', 'per-class', 'misclassified', 'top-losses', 'grad-cam', 'samples', 'histograms']);
      expect(seen.images.length).toBeGreaterThanOrEqual(10);
      for (const img of seen.images) expect(img.width * img.height, img.alt).toBeGreaterThan(0);
      expect(seen.errors).toEqual([]);
    }
  });
});

describe('the mnist command line', () => {
  it('exits 2 with the list of backends for an unknown --backend', () => {
    const r = runCli(['--backend', 'tpu']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("argument 'tpu' is invalid. Allowed choices are auto, onednn, webgpu, tensorflow, wasm, cpu");
  });

  it('exits 2 for an unknown --model and for --batch-size 0', () => {
    expect(runCli(['--model', 'vgg']).status).toBe(2);
    const r = runCli(['--batch-size', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--batch-size must be a positive integer, got 0');
  });

  it('exits 1 naming where it looked when the data directory has no MNIST files', () => {
    const empty = mkdtempSync(path.join(tmp, 'empty-'));
    const r = runCli(['--data-dir', empty, '--backend', 'onednn', '--out', path.join(tmp, 'never')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(empty);
    expect(r.stderr).toMatch(/train-images-idx3-ubyte/);
    expect(readdirSync(tmp)).not.toContain('never');
  });
});

describe('--resume after SIGKILL', () => {
  const common = ['--epochs', '4', '--limit', '512', '--batch-size', '32', '--log-every', '4', '--seed', '5', '--backend', 'onednn'];
  const history = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'history.json'), 'utf8')) as Record<string, number>[];

  it("a run killed in the middle of epoch 3 and resumed ends with the uninterrupted run's history", async () => {
    const whole = path.join(tmp, 'whole');
    const killed = path.join(tmp, 'killed');
    const ref = runCli([...common, '--out', whole]);
    expect(ref.status, ref.stderr).toBe(0);

    // Second run: SIGKILL as soon as it reports progress inside epoch 3 (batch 4 or 8 of 16).
    const child = spawn(process.execPath, [...cli, ...common, '--out', killed], { cwd: appDir });
    let out = '';
    const sawEpoch3 = await new Promise<boolean>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/Epoch 3\/4\s+batch (4|8)\/16/.test(out)) {
          child.kill('SIGKILL');
          resolve(true);
        }
      });
      child.on('exit', () => resolve(false));
    });
    expect(sawEpoch3, out).toBe(true);
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.on('exit', resolve)));
    expect(child.signalCode).toBe('SIGKILL');
    expect(readdirSync(killed)).not.toContain('summary.json');

    const resumed = runCli([...common, '--out', killed, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    const a = history(whole);
    const b = history(killed);
    expect(b).toHaveLength(4);
    for (let i = 0; i < 4; i++) {
      for (const key of ['epoch', 'loss', 'accuracy', 'test_loss', 'test_accuracy', 'lr']) {
        expect(Math.abs(b[i]![key]! - a[i]![key]!), `epoch ${i + 1} ${key}`).toBeLessThanOrEqual(1e-5);
      }
    }
  }, 900_000);
});
